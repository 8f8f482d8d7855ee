#!/usr/bin/env bats
# Stage 9: overlay networks (lab 9), across two hosts, with etcd as the cluster store.
#
# Host A runs these tests; host B is a second VM on the same LAN (eth1; `b CMD` and `on_b
# SCRIPT` run there, peer.bash). The underlay is 192.168.60.0/24: A's eth1 is .1, B's .2. etcd
# runs on A (setup_file), its clients on the control link (10.99.0.1:2379), and both hosts'
# state directories name it in daemon.json, with eth1 as the address they advertise.
# Each test removes what it made, on both hosts (teardown).

load helpers
load peer

LAN=192.168.60
STORE=10.99.0.1:2379

setup_file() {
	shared_state_setup_file
	ip addr add "$LAN.1/24" dev eth1
	etcd --name a --data-dir "$BATS_FILE_TMPDIR/etcd" --listen-peer-urls http://127.0.0.1:2380 \
		--listen-client-urls "http://$STORE,http://127.0.0.1:2379" --advertise-client-urls "http://$STORE" \
		>"$BATS_FILE_TMPDIR/etcd.log" 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/etcd.pid"
	local config="{\"cluster-store\": \"etcd://$STORE\", \"cluster-advertise\": \"eth1\"}"
	printf '%s\n' "$config" >"$MINIDOCK_ROOT/daemon.json"
	on_b "ip addr add $LAN.2/24 dev eth1 && mkdir -p /var/lib/minidock &&
		printf '%s\n' '$config' >/var/lib/minidock/daemon.json &&
		minidock image load -i \$IMAGES/busybox-oci.tar >/dev/null" || fail "host B: $(on_b true)"
	within 60 etcd_up || fail "etcd did not start: $(tail -5 "$BATS_FILE_TMPDIR/etcd.log")"
}

teardown_file() {
	kill "$(cat "$BATS_FILE_TMPDIR/etcd.pid")" 2>/dev/null || true
	ip addr del "$LAN.1/24" dev eth1 2>/dev/null || true
	on_b "ip addr del $LAN.2/24 dev eth1; rm -f /var/lib/minidock/daemon.json" >/dev/null 2>&1 || true
}

setup() {
	shared_state_setup
}

# The overlay networks' names, from `network ls` (the first host's view; the store is one).
overlays() {
	minidock network ls 2>/dev/null | awk '$3 == "overlay" { print $2 }'
}

# Both hosts back as they were: no container, no overlay network, no device of one.
teardown() {
	common_teardown
	remove_all_containers
	on_b 'ids=$(minidock ps -aq); [ -z "$ids" ] || minidock rm -f $ids >/dev/null; true' >/dev/null 2>&1 || true
	local net
	for net in $(overlays); do
		minidock network rm "$net" >/dev/null 2>&1 || true
	done
	local links
	links=$(ip -o link show | awk -F': ' '$2 ~ /^(ov|vx)-/ { sub(/@.*/, "", $2); print $2 }')
	for net in $links; do ip link del "$net" 2>/dev/null || true; done
	on_b 'for l in $(ip -o link show | awk -F": " "\$2 ~ /^(ov|vx)-/ { sub(/@.*/, \"\", \$2); print \$2 }"); do
		ip link del $l; done; true' >/dev/null 2>&1 || true
}

# within SECONDS CMD...: CMD succeeds before SECONDS have passed (tried every half second).
within() {
	local end=$((SECONDS + $1))
	shift
	until "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}

# etcd_up: etcd answers on the control link.
etcd_up() {
	(exec 5<>"/dev/tcp/${STORE%:*}/${STORE#*:}") 2>/dev/null
}

# etcd_keys: every key of the store, one per line (through etcd's JSON gateway, as minidock).
etcd_keys() {
	local body='{"key":"AA==","range_end":"AA==","keys_only":true}' reply key
	exec 5<>"/dev/tcp/127.0.0.1/2379" || return 1
	printf 'POST /v3/kv/range HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
		"${#body}" "$body" >&5
	reply=$(cat <&5)
	exec 5<&-
	for key in $(grep -o '"key":"[^"]*"' <<<"$reply" | cut -d'"' -f4); do
		printf '%s\n' "$(printf '%s' "$key" | base64 -d)"
	done
}

# in_net CONTAINER CMD...: host A's CMD (iproute2's /sbin/ip, say) in a container's network namespace.
in_net() {
	local pid
	pid=$(minidock inspect -f '{{.State.Pid}}' "$1") || return 1
	shift
	nsenter -t "$pid" -n "$@"
}

# tunnel_fdb: the entries of A's tunnel's own forwarding table ("self"; the bridge also learns
# where frames came from, "master", and forgets by itself).
tunnel_fdb() {
	bridge fdb show dev vx-4096 | grep -w self
}

# tunnel_forgot MAC ADDRESS: A's tunnel has neither an FDB nor a neighbour entry for them.
tunnel_forgot() {
	! tunnel_fdb | grep -q "^$1 " && ! ip neigh show dev vx-4096 | grep -q "^$2 "
}

# ip_of CONTAINER NETWORK: its address there (host A's containers; `b minidock inspect` for B's).
ip_of() {
	minidock inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"
}

# reaches CONTAINER TARGET [HOST]: a ping from a container of A (or of B: HOST b) gets an answer
# within 10 s (a host learns of another's new container at its next round, every second).
reaches() {
	local i
	for i in $(seq 10); do
		if [ "${3:-}" = b ]; then
			b minidock exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
		else
			minidock exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
		fi
	done
	return 1
}

@test "a network made on one host is the other's too: one ID, one VNI (from 4096), peers in inspect" {
	run minidock network create -d overlay --attachable --subnet 10.20.0.0/24 ov
	[ "$status" -eq 0 ] || fail "network create -d overlay: $output"
	local id=$output
	run b minidock network ls
	[[ "$output" == *"${id:0:12}"*" ov "*"overlay"*"global"* ]] || fail "B's network ls has not A's network: $output"
	run b minidock network inspect -f '{{.Id}} {{.Driver}} {{.Scope}} {{index .Options "com.docker.network.driver.overlay.vxlanid_list"}} {{(index .IPAM.Config 0).Subnet}} {{.Attachable}}' ov
	[ "$output" = "$id overlay global 4096 10.20.0.0/24 true" ] || fail "B's inspect: $output"
	run b minidock network create -d overlay ov
	[ "$status" -ne 0 ] && [[ "$output" == *"already exists"* ]] || fail "B made a second ov: $output"
	run minidock network create ov
	[ "$status" -ne 0 ] && [[ "$output" == *"already exists"* ]] || fail "a bridge network took the overlay's name: $output"
	run minidock network create -d overlay --attachable ov2
	[ "$(minidock network inspect -f '{{index .Options "com.docker.network.driver.overlay.vxlanid_list"}}' ov2)" = 4097 ] ||
		fail "the second network has not VNI 4097: $(minidock network inspect ov2)"
	# Peers: the hosts that have a container on it.
	minidock run -d --name a1 --network ov busybox sleep 300 >/dev/null
	run b minidock run -d --name b1 --network ov busybox sleep 300
	[ "$status" -eq 0 ] || fail "run on B: $output"
	run minidock network inspect -f '{{range .Peers}}{{.IP}} {{end}}' ov
	[[ "$output" == *"$LAN.1 "* && "$output" == *"$LAN.2 "* ]] || fail "Peers are not both hosts: $output"
	run minidock network inspect -f '{{range .Containers}}{{.Name}} {{.IPv4Address}} {{end}}' ov
	[ "$output" = "a1 10.20.0.2/24 " ] || fail "inspect on A shows other than A's container (Docker's rule): $output"
}

@test "containers on two hosts reach each other by address and by name, through a VXLAN tunnel" {
	minidock network create -d overlay --attachable --subnet 10.20.0.0/24 ov >/dev/null
	minidock run -d --name a1 --network ov busybox sleep 300 >/dev/null
	run b minidock run -d --name b1 --network ov busybox sleep 300
	[ "$status" -eq 0 ] || fail "run on B: $output"
	local a1 b1
	a1=$(ip_of a1 ov) b1=$(b minidock inspect -f '{{(index .NetworkSettings.Networks "ov").IPAddress}}' b1)
	[ "$a1" = 10.20.0.2 ] && [ "$b1" = 10.20.0.3 ] || fail "addresses $a1 and $b1, not 10.20.0.2 and .3"
	# What crosses the LAN: A's card sees UDP datagrams to port 4789 carrying the containers' frames.
	timeout 60 /grader/bin/vxdump eth1 2 >"$BATS_TEST_TMPDIR/wire" 2>&1 &
	local dump=$!
	reaches a1 "$b1" || fail "A's container cannot reach B's ($b1)"
	reaches b1 "$a1" b || fail "B's container cannot reach A's ($a1)"
	run minidock exec a1 ping -c 1 -W 2 b1
	[ "$status" -eq 0 ] && [[ "$output" == *"$b1"* ]] || fail "by name: $output"
	run b minidock exec b1 nslookup a1 127.0.0.11
	[[ "$output" == *"$a1"* ]] || fail "B's DNS does not know A's container: $output"
	minidock rename a1 web
	run b minidock exec b1 nslookup web 127.0.0.11
	[[ "$output" == *"$a1"* ]] || fail "B's DNS does not know A's container by its new name: $output"
	wait "$dump" || fail "no VXLAN datagram on eth1: $(cat "$BATS_TEST_TMPDIR/wire")"
	run cat "$BATS_TEST_TMPDIR/wire"
	[[ "$output" == *"VXLAN "*"VNI 4096"* ]] || fail "not the network's VNI on the wire: $output"
	[[ "$output" == *"outer IPv4      [20 bytes] $LAN."[12]" -> $LAN."[12]", protocol 17 (UDP)"* ]] ||
		fail "not between the hosts' addresses: $output"
	[[ "$output" == *"inner IPv4      [20 bytes] 10.20.0."[23]" -> 10.20.0."[23]", protocol 1 (ICMP)"* ]] ||
		fail "not the containers' pings inside: $output"
	# Host A's side of it: the bridge and the tunnel, the FDB and neighbour entries of b1.
	run ip -d link show vx-4096
	[[ "$output" == *"master ov-4096"* && "$output" == *"vxlan id 4096 local $LAN.1"* &&
		"$output" == *"dstport 4789"* && "$output" == *"nolearning"* && "$output" == *"proxy"* ]] ||
		fail "vx-4096 is not the tunnel: $output"
	local mac
	mac=$(b minidock inspect -f '{{(index .NetworkSettings.Networks "ov").MacAddress}}' b1)
	[ "$mac" = 02:42:0a:14:00:03 ] || fail "b1's MAC is $mac, not 02:42 and its address"
	run tunnel_fdb
	[[ "$output" == *"$mac dst $LAN.2 self permanent"* ]] || fail "no FDB entry for b1 behind $LAN.2: $output"
	run ip neigh show dev vx-4096
	[[ "$output" == *"$b1 lladdr $mac PERMANENT"* ]] || fail "no neighbour entry for b1: $output"
	# Only remote containers: none for A's own.
	[[ "$(tunnel_fdb)" != *02:42:0a:14:00:02* ]] || fail "an FDB entry for A's own container"
}

@test "eth0's MTU is 1450, and 1400-byte pings and a TCP stream cross the tunnel whole" {
	minidock network create -d overlay --attachable ov >/dev/null
	minidock run -d --name a1 --network ov busybox sh -c 'mkdir /www && head -c 300000 /dev/urandom >/www/data &&
		md5sum </www/data >/sum && exec httpd -f -p 80 -h /www' >/dev/null
	run b minidock run -d --name b1 --network ov busybox sleep 300
	[ "$status" -eq 0 ] || fail "run on B: $output"
	run in_net a1 /sbin/ip -o link show eth0
	[[ "$output" == *"mtu 1450"* ]] || fail "A's eth0: $output"
	run b minidock exec b1 cat /sys/class/net/eth0/mtu
	[ "$output" = 1450 ] || fail "B's eth0 MTU: $output"
	reaches b1 a1 b || fail "B's container cannot reach A's"
	run b minidock exec b1 ping -c 2 -W 2 -s 1400 a1
	[ "$status" -eq 0 ] || fail "1400-byte pings: $output"
	# Full-sized TCP segments, from A to B: at a 1500 MTU they would not fit the tunnel, and vanish.
	run b minidock exec b1 sh -c 'timeout 30 wget -q -O - http://a1/data | md5sum'
	[ "$status" -eq 0 ] && [ "$output" = "$(minidock exec a1 cat /sum)" ] ||
		fail "the stream arrived damaged or short: $output"
}

@test "10 containers started on A and 10 on B at the same time get 20 different addresses" {
	minidock network create -d overlay --attachable --subnet 10.20.0.0/24 ov >/dev/null
	on_b 'for i in $(seq 10); do minidock run -d --network ov busybox sleep 300 >/dev/null & done; wait
		for c in $(minidock ps -q); do
			minidock inspect -f "{{(index .NetworkSettings.Networks \"ov\").IPAddress}}" $c; done' \
		>"$BATS_TEST_TMPDIR/b" 2>&1 &
	local i
	for i in $(seq 10); do minidock run -d --network ov busybox sleep 300 >/dev/null & done
	wait
	local addresses
	addresses=$({ for c in $(minidock ps -q); do ip_of "$c" ov; done; cat "$BATS_TEST_TMPDIR/b"; } | sort)
	[ "$(grep -c '^10\.20\.0\.' <<<"$addresses")" -eq 20 ] || fail "not 20 containers with addresses: $addresses"
	[ "$(uniq <<<"$addresses" | wc -l)" -eq 20 ] || fail "an address given twice: $(uniq -d <<<"$addresses")"
	# And the lowest ones: .2 to .21.
	addresses=$(sort -t. -k4n <<<"$addresses")
	[ "$(head -1 <<<"$addresses")" = 10.20.0.2 ] && [ "$(tail -1 <<<"$addresses")" = 10.20.0.21 ] ||
		fail "not the addresses .2 to .21: $addresses"
}

@test "two overlay networks are apart: each its VNI and devices, no way from one to the other" {
	minidock network create -d overlay --attachable --subnet 10.20.0.0/24 ov1 >/dev/null
	minidock network create -d overlay --attachable --subnet 10.21.0.0/24 ov2 >/dev/null
	minidock run -d --name a1 --network ov1 busybox sleep 300 >/dev/null
	minidock run -d --name a2 --network ov2 busybox sleep 300 >/dev/null
	b minidock run -d --name b1 --network ov1 busybox sleep 300 >/dev/null
	b minidock run -d --name b2 --network ov2 busybox sleep 300 >/dev/null
	reaches a1 10.20.0.3 || fail "ov1: A's container cannot reach B's"
	reaches a2 10.21.0.3 || fail "ov2: A's container cannot reach B's"
	run ip -o link show master ov-4097
	[[ "$output" == *"vx-4097"* ]] || fail "ov2 has not its own tunnel: $output"
	# a1 given a way into ov2's subnet by hand: still nothing answers there, not even b2 (the
	# tunnel of ov1 knows only ov1's containers).
	in_net a1 /sbin/ip route add 10.21.0.0/24 dev eth0
	run minidock exec a1 ping -c 2 -W 1 10.21.0.3
	[ "$status" -ne 0 ] || fail "ov1's container reached ov2's: $output"
	run minidock exec a1 ping -c 1 -W 1 a2
	[ "$status" -ne 0 ] || fail "ov1's container found ov2's by name: $output"
}

@test "network rm is refused while a container of either host is on the network" {
	minidock network create -d overlay --attachable ov >/dev/null
	b minidock run -d --name b1 --network ov busybox sleep 300 >/dev/null
	run minidock network rm ov
	[ "$status" -ne 0 ] && [[ "$output" == *"active endpoints"* ]] || fail "rm on A while B has a container: $output"
	run b minidock network inspect -f '{{.Name}}' ov
	[ "$output" = ov ] || fail "the network is gone: $output"
	b minidock rm -f b1 >/dev/null
	run b ip link show vx-4096
	[ "$status" -ne 0 ] || fail "B's last container left, its tunnel stayed: $output"
	run minidock network rm ov
	[ "$status" -eq 0 ] || fail "rm after the last container: $output"
	run b minidock network inspect ov
	[ "$status" -ne 0 ] || fail "B still sees the network: $output"
}

@test "a host whose containers die unannounced: after the lease's time their addresses are free and A forgets them" {
	minidock network create -d overlay --attachable --subnet 10.20.0.0/24 ov >/dev/null
	minidock run -d --name a1 --network ov busybox sleep 300 >/dev/null
	b minidock run -d --name b1 --network ov busybox sleep 300 >/dev/null
	reaches a1 10.20.0.3 || fail "A's container cannot reach B's"
	# B's monitor, keeper, DNS server and container killed: nobody renews the lease.
	on_b 'for p in /proc/[0-9]*; do
		case $(cat $p/comm 2>/dev/null) in minidock-mon|minidock-ov|minidock-dns|minidock-init) kill -9 ${p#/proc/} ;; esac
	done' >/dev/null 2>&1
	run tunnel_fdb
	[[ "$output" == *02:42:0a:14:00:03* ]] || fail "A did not know b1 before: $output"
	within 30 tunnel_forgot 02:42:0a:14:00:03 10.20.0.3 ||
		fail "A's tunnel still knows B's dead container: $(bridge fdb show dev vx-4096)"
	[[ "$(etcd_keys)" != *"/minidock/ipam/ov/10.20.0.3"* ]] || fail "the address is still held: $(etcd_keys)"
	# Its address returns to the pool: the next container gets it.
	minidock run -d --name a2 --network ov busybox sleep 300 >/dev/null
	[ "$(ip_of a2 ov)" = 10.20.0.3 ] || fail "a2 got $(ip_of a2 ov), not the dead container's 10.20.0.3"
}

@test "refused: no cluster store, a network made without --attachable, options overlay has not; nothing is left" {
	run env MINIDOCK_ROOT="$BATS_TEST_TMPDIR/alone" minidock network create -d overlay ov
	[ "$status" -ne 0 ] && [[ "$output" == *"daemon.json"* ]] || fail "no cluster store: $output"
	run minidock network create -d overlay --internal ov
	[ "$status" -eq 125 ] || fail "--internal: $output"
	run minidock network create -d overlay ov
	[ "$status" -eq 0 ] || fail "create: $output"
	run minidock run --rm --network ov busybox true
	[ "$status" -eq 125 ] && [[ "$output" == *"not manually attachable"* ]] || fail "run on a non-attachable network: $output"
	minidock network create -d overlay --attachable ov2 >/dev/null
	minidock run -d --name a1 busybox sleep 300 >/dev/null
	run minidock network connect ov2 a1
	[ "$status" -ne 0 ] && [[ "$output" == *"overlay"* ]] || fail "network connect: $output"
	run minidock network create -d overlay --subnet 10.20.0.0/33 ov3
	[ "$status" -ne 0 ] || fail "a bad subnet: $output"
	[[ "$(etcd_keys)" != *ov3* ]] || fail "a refused network left keys: $(etcd_keys)"
	# A container that fails to start on an overlay network (after its network was set up)
	# leaves no address held, and this host no bridge or tunnel.
	run minidock run --network ov2 busybox /no/such/command
	[ "$status" -eq 127 ] || fail "a missing command on an overlay network: exit $status, not 127: $output"
	[[ "$(etcd_keys)" != */minidock/ipam/ov2/* && "$(etcd_keys)" != */minidock/endpoints/ov2/* ]] ||
		fail "the failed container's address is still held: $(etcd_keys)"
	[ -z "$(ip -o link show | grep -E ': (ov|vx)-')" ] || fail "devices left: $(ip -o link show)"
}

@test "teardown leaves nothing: no device, FDB or neighbour entry on either host, no key in the store" {
	minidock network create -d overlay --attachable ov >/dev/null
	minidock run -d --name a1 --network ov busybox sleep 300 >/dev/null
	b minidock run -d --name b1 --network ov busybox sleep 300 >/dev/null
	b minidock run -d --name b2 --network ov busybox sleep 300 >/dev/null
	reaches a1 b2 || fail "A's container cannot reach B's"
	b minidock rm -f b2 >/dev/null
	within 10 tunnel_forgot 02:42:0a:00:00:04 10.0.0.4 ||
		fail "A's tunnel still knows B's removed container: $(tunnel_fdb; ip neigh show dev vx-4096)"
	minidock rm -f a1 >/dev/null
	b minidock rm -f b1 >/dev/null
	minidock network rm ov >/dev/null
	[ -z "$(ip -o link show | grep -E ': (ov|vx)-')" ] || fail "devices left on A: $(ip -o link show)"
	run on_b "ip -o link show | grep -E ': (ov|vx)-'; bridge fdb show | grep 02:42:0a"
	[ -z "$output" ] || fail "left on B: $output"
	[ -z "$(etcd_keys | grep minidock)" ] || fail "keys left in the store: $(etcd_keys)"
}
