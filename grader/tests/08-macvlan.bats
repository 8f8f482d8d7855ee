#!/usr/bin/env bats
# Stage 8: macvlan and ipvlan networks (lab 8), on two hosts.
#
# Host A runs these tests; host B is a second VM on the same LAN (eth1 on each; `b CMD` and
# `on_b SCRIPT` run there, peer.bash). The LAN is 192.168.50.0/24: host A's eth1 is .1, host
# B's .2 (given by setup_file), containers from .10 on. Each test removes what it made, on both
# hosts (teardown).

load helpers
load peer

LAN=192.168.50

setup_file() {
	shared_state_setup_file
	ip addr add "$LAN.1/24" dev eth1
	on_b "ip addr add $LAN.2/24 dev eth1 && minidock image load -i \$IMAGES/busybox-oci.tar >/dev/null" ||
		fail "host B: $(on_b true)"
}

teardown_file() {
	ip addr del "$LAN.1/24" dev eth1 2>/dev/null || true
	on_b "ip addr del $LAN.2/24 dev eth1" >/dev/null 2>&1 || true
}

setup() {
	shared_state_setup
}

# Both hosts back as they were: no container, no network but the built-in ones.
teardown() {
	common_teardown
	remove_all_containers
	local nets
	nets=$(minidock network ls -q 2>/dev/null | xargs -r minidock network inspect -f '{{.Name}}' 2>/dev/null |
		grep -vx -e bridge -e host -e none) || true
	[ -z "$nets" ] || minidock network rm $nets >/dev/null 2>&1 || true
	on_b 'ids=$(minidock ps -aq); [ -z "$ids" ] || minidock rm -f $ids >/dev/null
		for n in $(minidock network ls -q | xargs -r minidock network inspect -f "{{.Name}}"); do
			case $n in bridge|host|none) ;; *) minidock network rm "$n" >/dev/null ;; esac
		done; ip link del eth1.60 2>/dev/null; ip link del eth1.61 2>/dev/null
		ip neigh flush dev eth1; true' >/dev/null 2>&1 || true
	ip link del eth1.60 2>/dev/null || true
	# The next test's containers have new MACs at the same addresses: no stale neighbours.
	ip neigh flush dev eth1 2>/dev/null || true
}

# in_net CONTAINER CMD...: run the host's CMD (iproute2's /sbin/ip, say: busybox's has no -d)
# in the network namespace of a container of host A.
in_net() {
	local pid
	pid=$(minidock inspect -f '{{.State.Pid}}' "$1") || return 1
	shift
	nsenter -t "$pid" -n "$@"
}

@test "macvlan: containers on two hosts reach each other across the LAN, each with a MAC of its own" {
	run minidock network create -d macvlan --subnet "$LAN.0/24" --gateway "$LAN.254" -o parent=eth1 lan
	[ "$status" -eq 0 ] || fail "network create on A: $output"
	run b minidock network create -d macvlan --subnet "$LAN.0/24" --gateway "$LAN.254" -o parent=eth1 lan
	[ "$status" -eq 0 ] || fail "network create on B: $output"
	minidock run -d --name a1 --network lan --ip "$LAN.10" busybox sleep 300 >/dev/null
	run b minidock run -d --name b1 --network lan --ip "$LAN.20" busybox sleep 300
	[ "$status" -eq 0 ] || fail "run on B: $output"
	run minidock exec a1 ping -c 2 -W 2 "$LAN.20"
	[ "$status" -eq 0 ] || fail "A's container cannot reach B's: $output"
	run b minidock exec b1 ping -c 2 -W 2 "$LAN.10"
	[ "$status" -eq 0 ] || fail "B's container cannot reach A's: $output"
	# Its own MAC, not the parent's; its address; the default route through the gateway.
	run in_net a1 sh -c '/sbin/ip -o link show eth0 | sed "s/.*link\/ether \([^ ]*\).*/\1/"
		/sbin/ip -o -4 addr show eth0; /sbin/ip route'
	local mac=${lines[0]}
	[ "$mac" != "$(cat /sys/class/net/eth1/address)" ] || fail "the container has its parent's MAC: $output"
	[[ "$output" == *"inet $LAN.10/24"* ]] || fail "eth0 has not $LAN.10/24: $output"
	[[ "$output" == *"default via $LAN.254 dev eth0"* ]] || fail "no default route through the gateway: $output"
	[ "$(minidock inspect -f '{{.NetworkSettings.Networks.lan.MacAddress}}' a1)" = "$mac" ] ||
		fail "inspect's MacAddress is not eth0's ($mac)"
	# The link's kind, seen from inside: a macvlan.
	run in_net a1 /sbin/ip -d link show eth0
	[[ "$output" == *"macvlan mode bridge"* ]] || fail "eth0 is not a macvlan in bridge mode: $output"
	# Host B, once it talked to the container, knows it by the container's own MAC.
	run on_b "ping -c 1 -W 2 $LAN.10 >/dev/null; ip neigh show $LAN.10"
	[[ "$output" == *"$mac"* ]] || fail "host B does not know $LAN.10 by the container's MAC $mac: $output"
}

@test "macvlan: host B reaches A's container, host A does not (the kernel's rule), unless through a macvlan of its own" {
	minidock network create -d macvlan --subnet "$LAN.0/24" -o parent=eth1 lan >/dev/null
	minidock run -d --name a1 --network lan --ip "$LAN.10" busybox sleep 300 >/dev/null
	run b ping -c 2 -W 2 "$LAN.10"
	[ "$status" -eq 0 ] || fail "host B cannot reach A's container: $output"
	run ping -c 1 -W 1 "$LAN.10"
	[ "$status" -ne 0 ] || fail "host A reached its own macvlan container through eth1: the kernel forbids it"
	run minidock exec a1 ping -c 1 -W 1 "$LAN.1"
	[ "$status" -ne 0 ] || fail "the container reached its host's address on the parent: the kernel forbids it"
	# The usual fix: a macvlan interface on the host itself, with a route to the container.
	ip link add shim link eth1 type macvlan mode bridge
	ip addr add "$LAN.9/32" dev shim && ip link set shim up && ip route add "$LAN.10/32" dev shim
	run ping -c 2 -W 2 "$LAN.10"
	ip link del shim
	[ "$status" -eq 0 ] || fail "host A cannot reach its container through a macvlan shim: $output"
}

@test "macvlan on eth1.60: minidock makes the VLAN sub-interface, frames are tagged 60, rm removes it" {
	run minidock network create -d macvlan --subnet 192.168.60.0/24 -o parent=eth1.60 v60
	[ "$status" -eq 0 ] || fail "network create: $output"
	run ip -d link show eth1.60
	[[ "$output" == *"vlan protocol 802.1Q id 60"* ]] || fail "no eth1.60 (VLAN 60 of eth1): $output"
	[[ "$output" =~ \<([A-Z_-]+,)*UP[,\>] ]] || fail "eth1.60 is not up: $output"
	# Host B answers on VLAN 60 only: its untagged eth1 has an address of the same subnet too.
	on_b "ip link add link eth1 name eth1.60 type vlan id 60 && ip addr add 192.168.60.250/24 dev eth1.60 &&
		ip link set eth1.60 up" >/dev/null
	minidock run -d --name v1 --network v60 busybox sleep 300 >/dev/null
	run minidock exec v1 ping -c 2 -W 2 192.168.60.250
	[ "$status" -eq 0 ] || fail "the container on eth1.60 cannot reach host B's eth1.60: $output"
	# The same address on B's VLAN 61 instead: out of reach (were the frames untagged, B's eth1
	# would answer for any address of B's: Linux answers ARP for its addresses on any card).
	run on_b "ip link del eth1.60 && ip link add link eth1 name eth1.61 type vlan id 61 &&
		ip addr add 192.168.60.250/24 dev eth1.61 && ip link set eth1.61 up"
	[ "$status" -eq 0 ] || fail "host B: $output"
	run minidock exec v1 ping -c 1 -W 2 192.168.60.250
	on_b "ip link del eth1.61" >/dev/null 2>&1
	[ "$status" -ne 0 ] || fail "the container reached B's VLAN 61: its frames are not tagged 60"
	minidock rm -f v1 >/dev/null
	run minidock network rm v60
	[ "$status" -eq 0 ] || fail "network rm: $output"
	run ip link show eth1.60
	[ "$status" -ne 0 ] || fail "network rm left eth1.60, which minidock made"
}

@test "a VLAN sub-interface minidock did not make stays after network rm; a missing parent is refused" {
	ip link add link eth1 name eth1.60 type vlan id 60
	minidock network create -d macvlan --subnet 192.168.60.0/24 -o parent=eth1.60 v60 >/dev/null
	minidock network rm v60 >/dev/null
	run ip link show eth1.60
	[ "$status" -eq 0 ] || fail "network rm removed eth1.60, which the host made"
	run minidock network create -d macvlan --subnet 192.168.61.0/24 -o parent=eth9 nope
	[ "$status" -ne 0 ] || fail "a network on a card the host does not have was made"
	[[ "$output" == *eth9* ]] || fail "the error does not name the missing parent: $output"
	run minidock network create -d macvlan --subnet 192.168.62.0/24 -o parent=eth9.5 nope
	[ "$status" -ne 0 ] && [[ "$output" == *eth9* ]] || fail "a VLAN of a missing card: $output"
	run minidock network create -d macvlan --subnet 192.168.63.0/24 -o parent=eth1.5000 nope
	[ "$status" -ne 0 ] || fail "VLAN id 5000 was taken"
	run minidock network ls
	[[ "$output" != *nope* ]] || fail "a refused network was stored: $output"
	[ -z "$(ip -o link show | grep -e 'eth9' -e 'eth1.5000')" ] || fail "a refused network left a link"
}

@test "macvlan modes: bridge lets two containers of one host talk, private does not" {
	minidock network create -d macvlan --subnet "$LAN.0/24" -o parent=eth1 -o macvlan_mode=private lan >/dev/null
	minidock run -d --name p1 --network lan --ip "$LAN.11" busybox sleep 300 >/dev/null
	minidock run -d --name p2 --network lan --ip "$LAN.12" busybox sleep 300 >/dev/null
	run in_net p1 /sbin/ip -d link show eth0
	[[ "$output" == *"macvlan mode private"* ]] || fail "not in private mode: $output"
	run minidock exec p1 ping -c 1 -W 2 "$LAN.12"
	[ "$status" -ne 0 ] || fail "two private macvlan containers talked"
	run b ping -c 1 -W 2 "$LAN.12"
	[ "$status" -eq 0 ] || fail "host B cannot reach a private container: $output"
	minidock rm -f p1 p2 >/dev/null
	minidock network rm lan >/dev/null
	minidock network create -d macvlan --subnet "$LAN.0/24" -o parent=eth1 lan >/dev/null
	minidock run -d --name p1 --network lan --ip "$LAN.11" busybox sleep 300 >/dev/null
	minidock run -d --name p2 --network lan --ip "$LAN.12" busybox sleep 300 >/dev/null
	run minidock exec p1 ping -c 1 -W 2 "$LAN.12"
	[ "$status" -eq 0 ] || fail "two bridge-mode containers of one host cannot talk: $output"
	run minidock network create -d macvlan --subnet 10.1.0.0/24 -o parent=eth1 -o macvlan_mode=loud x
	[ "$status" -ne 0 ] || fail "a mode that does not exist was taken"
}

@test "ipvlan: the parent's MAC, reachable across the LAN; l3 mode routes without a gateway" {
	minidock network create -d ipvlan --subnet "$LAN.0/24" -o parent=eth1 ipl >/dev/null
	minidock run -d --name i1 --network ipl --ip "$LAN.13" busybox sleep 300 >/dev/null
	run in_net i1 sh -c '/sbin/ip -o link show eth0 | sed "s/.*link\/ether \([^ ]*\).*/\1/"
		/sbin/ip -d link show eth0'
	[ "${lines[0]}" = "$(cat /sys/class/net/eth1/address)" ] || fail "an ipvlan link has its parent's MAC: $output"
	[[ "$output" == *"ipvlan"*"mode l2"* ]] || fail "eth0 is not an ipvlan in l2 mode: $output"
	run b ping -c 2 -W 2 "$LAN.13"
	[ "$status" -eq 0 ] || fail "host B cannot reach the ipvlan container: $output"
	minidock rm -f i1 >/dev/null
	minidock network rm ipl >/dev/null
	minidock network create -d ipvlan --subnet 10.2.0.0/24 -o parent=eth1 -o ipvlan_mode=l3 ip3 >/dev/null
	minidock run -d --name i3 --network ip3 busybox sleep 300 >/dev/null
	run in_net i3 sh -c '/sbin/ip -d link show eth0; /sbin/ip route'
	[[ "$output" == *"mode l3"* ]] || fail "not in l3 mode: $output"
	[[ "$output" == *"default dev eth0"* ]] || fail "l3: the default route is not straight out of eth0: $output"
	# Host B routes 10.2.0.0/24 to host A: the parent routes for its l3 children.
	on_b "ip route add 10.2.0.0/24 via $LAN.1" >/dev/null
	run b ping -c 2 -W 2 10.2.0.2
	on_b "ip route del 10.2.0.0/24" >/dev/null
	[ "$status" -eq 0 ] || fail "host B cannot reach the l3 container through host A: $output"
}

@test "--internal (or no parent): a dummy parent, containers reach each other and nothing else; prune removes it" {
	# Internal, even with eth1 named (and taken by another network): a dummy parent of its own.
	minidock network create -d macvlan --subnet "$LAN.0/24" -o parent=eth1 lan >/dev/null
	run minidock network create -d macvlan --subnet 10.3.0.0/24 --internal -o parent=eth1 inner
	[ "$status" -eq 0 ] || fail "network create --internal: $output"
	minidock network rm lan >/dev/null
	local id parent
	id=$(minidock network inspect -f '{{.Id}}' inner)
	parent=dm-${id:0:12}
	run ip -d link show "$parent"
	[[ "$output" == *dummy* ]] || fail "no dummy parent $parent: $output"
	minidock run -d --name n1 --network inner busybox sleep 300 >/dev/null
	minidock run -d --name n2 --network inner busybox sleep 300 >/dev/null
	run minidock exec n1 ping -c 1 -W 2 10.3.0.3
	[ "$status" -eq 0 ] || fail "two containers of an internal network cannot talk: $output"
	run minidock exec n1 ping -c 1 -W 1 "$LAN.2"
	[ "$status" -ne 0 ] || fail "an internal network's container reached the LAN"
	minidock rm -f n1 n2 >/dev/null
	minidock system prune -f >/dev/null
	run minidock network ls
	[[ "$output" != *inner* ]] || fail "system prune kept the unused network: $output"
	run ip link show "$parent"
	[ "$status" -ne 0 ] || fail "system prune left the dummy parent $parent"
}

@test "addresses: --ip, --ip-range, inspect's IPAM and Options; a taken or foreign address is refused" {
	run minidock network create -d macvlan --subnet "$LAN.0/24" --ip-range "$LAN.64/26" -o parent=eth1 lan
	[ "$status" -eq 0 ] || fail "network create --ip-range: $output"
	run minidock network inspect -f '{{.Driver}} {{json .IPAM.Config}} {{json .Options}}' lan
	[[ "$output" == "macvlan "*'"IPRange":"'"$LAN.64/26"'"'* ]] || fail "inspect: $output"
	[[ "$output" == *'"parent":"eth1"'* && "$output" == *'"macvlan_mode":"bridge"'* ]] || fail "Options: $output"
	minidock run -d --name r1 --network lan busybox sleep 300 >/dev/null
	run minidock inspect -f '{{.NetworkSettings.Networks.lan.IPAddress}}' r1
	[ "$output" = "$LAN.65" ] || fail "the first address of the range is $LAN.65, not $output"
	minidock run -d --name r2 --network lan --ip "$LAN.30" busybox sleep 300 >/dev/null
	run in_net r2 /sbin/ip -o -4 addr show eth0
	[[ "$output" == *"inet $LAN.30/24"* ]] || fail "--ip $LAN.30: $output"
	run minidock run -d --name r3 --network lan --ip "$LAN.30" busybox sleep 300
	[ "$status" -ne 0 ] || fail "a second container got $LAN.30"
	[[ "$output" == *"in use"* ]] || fail "not Docker's 'Address already in use': $output"
	run minidock run -d --name r4 --network lan --ip 10.9.9.9 busybox sleep 300
	[ "$status" -ne 0 ] || fail "an address outside the subnet was given"
	run minidock run --rm --ip "$LAN.40" busybox true
	[ "$status" -ne 0 ] && [[ "$output" == *"user defined networks only"* ]] || fail "--ip on the default network: $output"
	run minidock network create -d macvlan --subnet 10.4.0.0/24 -o parent=eth1 again
	[ "$status" -ne 0 ] && [[ "$output" == *"already using parent interface eth1"* ]] ||
		fail "a second network on eth1 was made: $output"
}

@test "by name on a macvlan network; teardown leaves nothing: no link, no address held, nothing on host B" {
	minidock network create -d macvlan --subnet "$LAN.0/24" -o parent=eth1 lan >/dev/null
	minidock run -d --name web --network lan busybox sleep 300 >/dev/null
	run minidock run --rm --network lan busybox ping -c 1 -W 2 web
	[ "$status" -eq 0 ] || fail "a container does not find another by name: $output"
	local before
	before=$(ip -o link show | cut -d: -f2 | sort)
	minidock rm -f web >/dev/null
	run minidock network inspect -f '{{json .Containers}}' lan
	[ "$output" = "{}" ] || fail "the network still holds an address: $output"
	[ "$(ip -o link show | cut -d: -f2 | sort)" = "$before" ] || fail "the host's links changed"
	# A start that fails (a taken --ip) leaves nothing either.
	minidock run -d --name keep --network lan --ip "$LAN.50" busybox sleep 300 >/dev/null
	run minidock run --network lan --ip "$LAN.50" busybox true
	[ "$status" -ne 0 ] || fail "a second container got $LAN.50"
	[ "$(minidock ps -aq | wc -l)" -eq 1 ] || [ "$(minidock network inspect -f '{{len .Containers}}' lan)" -eq 1 ] ||
		fail "the refused start holds an address"
	minidock rm -f $(minidock ps -aq) >/dev/null
	minidock network rm lan >/dev/null
	run b sh -c 'ip -o link show | grep -c "@"; minidock network ls -q | wc -l'
	[ "${lines[1]:-0}" -le 3 ] || fail "host B keeps networks: $output"
}
