#!/usr/bin/env bats
# Stage 7: bridge networks (labs/07-bridge). The default network on minidock0, veth pairs,
# addresses, masquerade, published ports, user networks with DNS, isolation, --internal, and a
# teardown that leaves nothing. The "outside world" is a network namespace the test makes,
# joined to the VM by a veth pair: no packet leaves the VM. Points are in grader/rubric.

load helpers

setup_file() {
	shared_state_setup_file
}

setup() {
	shared_state_setup
}

teardown() {
	local net
	remove_all_containers
	for net in $(minidock network ls 2>/dev/null | awk 'NR>1 {print $2}'); do
		case $net in bridge | host | none) ;; *) minidock network rm "$net" >/dev/null 2>&1 || true ;; esac
	done
	ip netns pids outside 2>/dev/null | xargs -r kill -9 2>/dev/null || true
	ip netns del outside 2>/dev/null || true
	ip link del vout 2>/dev/null || true
	common_teardown
}

# The outside world: namespace "outside" at 10.99.0.2, the VM at 10.99.0.1 on veth vout, and
# a web server there whose /cgi-bin/addr prints the address a client came from.
make_outside() {
	ip netns add outside
	ip link add vout type veth peer name vin netns outside
	ip addr add 10.99.0.1/24 dev vout
	ip link set vout up
	ip netns exec outside ip addr add 10.99.0.2/24 dev vin
	ip netns exec outside ip link set vin up
	ip netns exec outside ip link set lo up
	local www=$BATS_TEST_TMPDIR/www
	mkdir -p "$www/cgi-bin"
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%%s\\n" "$REMOTE_ADDR"\n' >"$www/cgi-bin/addr"
	chmod +x "$www/cgi-bin/addr"
	# httpd goes to the background: none of bats' descriptors with it, or bats would wait
	# for it at the end of the file (teardown kills it).
	ip netns exec outside busybox httpd -p 10.99.0.2:80 -h "$www" </dev/null >/dev/null 2>&1
	wait_for ip netns exec outside sh -c 'busybox netstat -ltn | grep -q 10.99.0.2:80'
}

# The veth ends on the host, by name (the test's own vout aside).
host_veths() {
	ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^veth' | sort
}

# What minidock has in its nftables maps and sets (the elements only).
nft_elements() {
	nft list table ip minidock 2>/dev/null | grep -A3 -E '^\s+(map|set) (ports_any|ports_ip|subnets|bridges)' |
		grep 'elements' || true
}

@test "the default network: minidock0 at 172.17.0.1/16; eth0 at 172.17.0.N/16 with a default route through it" {
	run minidock run --rm busybox sh -c 'ip -o -4 addr show eth0; ip route'
	[ "$status" -eq 0 ]
	[[ "$output" =~ inet\ 172\.17\.0\.([0-9]+)/16 ]] || fail "eth0: $output"
	[ "${BASH_REMATCH[1]}" -ge 2 ]
	[[ "$output" == *"default via 172.17.0.1 dev eth0"* ]] || fail "routes: $output"
	run ip -o -4 addr show minidock0
	[[ "$output" == *"inet 172.17.0.1/16"* ]] || fail "minidock0: $output"
	# The gateway answers, and so does another container on the network.
	minidock run -d --name peer busybox sleep 60 >/dev/null
	local ip
	ip=$(minidock inspect -f '{{.NetworkSettings.IPAddress}}' peer)
	[[ "$ip" == 172.17.0.* ]]
	run minidock run --rm busybox sh -c "ping -c 1 -W 2 172.17.0.1 >/dev/null && ping -c 1 -W 2 $ip >/dev/null && echo both"
	[ "$output" = both ]
}

@test "each container has a veth on the host, attached to minidock0, gone with the container" {
	local before
	before=$(host_veths)
	minidock run -d --name vt busybox sleep 60 >/dev/null
	local after
	after=$(host_veths | grep -vxF -e "$before" || true)
	[[ "$after" =~ ^veth[0-9a-f]{7}$ ]] || fail "new host interfaces: $after"
	ip -o link show "$after" | grep -q "master minidock0" || fail "$(ip -o link show "$after")"
	local mac
	mac=$(minidock exec vt cat /sys/class/net/eth0/address)
	[ "$mac" = "$(minidock inspect -f '{{.NetworkSettings.MacAddress}}' vt)" ]
	# Locally administered, not multicast, as Docker's.
	(( (0x${mac:0:2} & 3) == 2 )) || fail "MAC $mac"
	minidock rm -f vt >/dev/null
	# The kernel dismantles a namespace (and its veth pair) just after its last process ends.
	local i
	for i in $(seq 50); do [ "$(host_veths)" = "$before" ] && break; sleep 0.1; done
	[ "$(host_veths)" = "$before" ] || fail "left: $(host_veths)"
}

@test "/etc/hosts, /etc/hostname and /etc/resolv.conf are written for the container" {
	run minidock run --rm -h myhost busybox sh -c 'cat /etc/hostname; cat /etc/hosts; ip -o -4 addr show eth0'
	[ "${lines[0]}" = myhost ]
	[[ "$output" == *"127.0.0.1"*"localhost"* ]]
	[[ "$output" =~ inet\ (172\.17\.0\.[0-9]+)/ ]]
	grep -q "^${BASH_REMATCH[1]}[[:space:]]*myhost$" <<<"$output" || fail "hosts: $output"
	# Docker's IPv6 lines too.
	local name
	for name in "::1"$'\t'"localhost ip6-localhost ip6-loopback" "fe00::0"$'\t'ip6-localnet "ff00::0"$'\t'ip6-mcastprefix \
		"ff02::1"$'\t'ip6-allnodes "ff02::2"$'\t'ip6-allrouters; do
		grep -qxF "$name" <<<"$output" || fail "/etc/hosts lacks \"$name\": $output"
	done
	run minidock run --rm busybox cat /etc/resolv.conf
	[ "$status" -eq 0 ]
	minidock network create webnet >/dev/null
	run minidock run --rm --network webnet busybox cat /etc/resolv.conf
	[[ "$output" == *"nameserver 127.0.0.11"* ]]
}

@test "outbound traffic is masqueraded: the outside sees the host's address" {
	make_outside
	run minidock run --rm busybox wget -qO- http://10.99.0.2/cgi-bin/addr
	[ "$status" -eq 0 ] || fail "the container could not reach the outside: $output"
	[ "$output" = 10.99.0.1 ] || fail "the outside saw $output, not the host's 10.99.0.1"
	# The rule is minidock's own table's.
	nft list table ip minidock | grep -q masquerade
}

@test "-p HOST:CTR is reachable from outside, from the host's address and from 127.0.0.1; port lists it" {
	make_outside
	minidock run -d --name pub -p 8080:80 busybox sh -c 'echo published > /index.html; httpd -f -p 80 -h /' >/dev/null
	run minidock port pub
	[ "$output" = "80/tcp -> 0.0.0.0:8080" ]
	run minidock ps
	[[ "$output" == *" 0.0.0.0:8080->80/tcp "*" pub"* ]] || fail "ps PORTS: $output"
	wait_for sh -c 'busybox wget -qO- http://127.0.0.1:8080/ 2>/dev/null | grep -q published'
	[ "$(busybox wget -qO- http://10.99.0.1:8080/)" = published ]
	[ "$(ip netns exec outside busybox wget -qO- http://10.99.0.1:8080/)" = published ]
	# Withdrawn with the container.
	minidock rm -f pub >/dev/null
	run ip netns exec outside timeout 3 busybox wget -qO- http://10.99.0.1:8080/
	[ "$status" -ne 0 ]
	[ -z "$(nft_elements)" ] || [[ "$(nft_elements)" != *8080* ]] || fail "left in nftables: $(nft_elements)"
}

@test "-p CTR picks a free host port; -p IP:HOST:CTR only that address; a port in use is refused" {
	minidock run -d --name any -p 80 busybox sh -c 'echo picked > /index.html; httpd -f -p 80 -h /' >/dev/null
	local port
	port=$(minidock port any | sed -n 's|^80/tcp -> 0.0.0.0:||p')
	[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -gt 1023 ] || fail "port: $(minidock port any)"
	wait_for sh -c "busybox wget -qO- http://127.0.0.1:$port/ 2>/dev/null | grep -q picked"
	minidock run -d --name local -p 127.0.0.1:8090:80 busybox sh -c 'echo local > /index.html; httpd -f -p 80 -h /' >/dev/null
	wait_for sh -c 'busybox wget -qO- http://127.0.0.1:8090/ 2>/dev/null | grep -q local'
	# Only that address: another of the host's (its bridge's, 172.17.0.1) does not lead there.
	# (The same wget as the wait above, which reached 127.0.0.1:8090: only the address differs.)
	run timeout 5 busybox wget -qO- http://172.17.0.1:8090/
	[ "$status" -ne 0 ] && [[ "$output" != *local* ]] || fail "-p 127.0.0.1:8090:80 answers on 172.17.0.1:8090 too"
	run minidock run -d --name clash -p 127.0.0.1:8090:80 busybox sleep 60
	[ "$status" -ne 0 ]
	[[ "$output" == *"port is already allocated"* ]] || fail "$output"
	run minidock run --rm -p 99999:80 busybox true
	[ "$status" -eq 125 ]
}

@test "network create, ls, inspect and rm: own bridge and subnet; rm refused while used; built-ins stay" {
	run minidock network create mynet
	[ "$status" -eq 0 ]
	local id=$output
	run minidock network ls
	[[ "$output" == *"mynet"*"bridge"* ]]
	run minidock network inspect mynet
	[[ "$output" == *'"Subnet": "172.18.0.0/16"'* ]] || fail "the next pool is 172.18.0.0/16: $output"
	run minidock network create --subnet 10.77.0.0/24 --gateway 10.77.0.254 custom
	[ "$status" -eq 0 ]
	run minidock network create mynet
	[ "$status" -ne 0 ]
	[[ "$output" == *"already exists"* ]]
	run minidock network create --subnet 172.18.5.0/24 overlapping
	[ "$status" -ne 0 ]
	minidock run -d --name on --network custom busybox sleep 60 >/dev/null
	run minidock exec on ip -o -4 addr show eth0
	[[ "$output" == *"inet 10.77.0.1/24"* ]] || fail "first address of custom: $output"
	run minidock exec on ip route
	[[ "$output" == *"default via 10.77.0.254"* ]]
	local bridge=md-${id:0:12}
	run minidock network rm custom
	[ "$status" -ne 0 ]
	[[ "$output" == *"active endpoints"* ]]
	minidock rm -f on >/dev/null
	minidock run --rm --network mynet busybox true
	ip link show "$bridge" >/dev/null || fail "no bridge $bridge for mynet"
	run minidock network rm mynet custom
	[ "$status" -eq 0 ]
	! ip link show "$bridge" 2>/dev/null
	for net in bridge host none; do
		run minidock network rm $net
		[ "$status" -ne 0 ]
	done
	run minidock run --rm --network nosuchnet busybox true
	[ "$status" -ne 0 ]
	[[ "$output" == *"network nosuchnet not found"* ]]
}

@test "on a user network containers find each other by name through 127.0.0.11; networks are apart" {
	minidock network create front >/dev/null
	minidock network create back >/dev/null
	minidock run -d --name api --network front busybox sleep 60 >/dev/null
	minidock run -d --name db --network back busybox sleep 60 >/dev/null
	local api db
	api=$(minidock inspect -f '{{.NetworkSettings.Networks.front.IPAddress}}' api)
	db=$(minidock inspect -f '{{.NetworkSettings.Networks.back.IPAddress}}' db)
	run minidock run --rm --network front busybox nslookup api 127.0.0.11
	[[ "$output" == *"Address: $api"* ]] || fail "nslookup api: $output"
	run minidock run --rm --network front busybox ping -c 1 -W 2 api
	[ "$status" -eq 0 ]
	run minidock run --rm --network front busybox nslookup nosuchname 127.0.0.11
	[[ "$output" == *"NXDOMAIN"* ]] || fail "$output"
	# A container of another network: not by name, not by address.
	run minidock run --rm --network front busybox nslookup db 127.0.0.11
	[[ "$output" != *"Address: $db"* ]]
	run minidock run --rm --network front busybox ping -c 1 -W 2 "$db"
	[ "$status" -ne 0 ] || fail "front reached back's $db"
	run minidock run --rm busybox ping -c 1 -W 2 "$api"
	[ "$status" -ne 0 ] || fail "the default network reached front's $api"
}

@test "--internal: containers talk to each other but have no way out" {
	make_outside
	minidock network create --internal sealed >/dev/null
	minidock run -d --name s1 --network sealed busybox sleep 60 >/dev/null
	run minidock run --rm --network sealed busybox ping -c 1 -W 2 s1
	[ "$status" -eq 0 ] || fail "s1 not reachable inside the network: $output"
	# --init: busybox's timeout execs the command, which would be PID 1, deaf to SIGTERM.
	run minidock run --rm --init --network sealed busybox timeout 3 wget -qO- http://10.99.0.2/cgi-bin/addr
	[ "$status" -ne 0 ] || fail "an internal network reached the outside: $output"
	# The same request works from a network that is not internal.
	run minidock run --rm --init busybox timeout 3 wget -qO- http://10.99.0.2/cgi-bin/addr
	[ "$output" = 10.99.0.1 ]
}

@test "addresses: 20 containers started at once get 20 different ones, freed when they go" {
	local i
	for i in $(seq 20); do
		minidock run -d busybox sleep 60 >/dev/null 2>"$BATS_TEST_TMPDIR/err.$i" &
	done
	wait
	run sh -c "cat $BATS_TEST_TMPDIR/err.*"
	[ -z "$output" ] || fail "errors: $output"
	run sh -c "minidock ps -q | while read id; do minidock inspect -f '{{.NetworkSettings.IPAddress}}' \$id; done | sort | uniq"
	[ "${#lines[@]}" -eq 20 ] || fail "addresses: $output"
	local line
	for line in "${lines[@]}"; do
		[[ "$line" =~ ^172\.17\.0\.[0-9]+$ ]] || fail "not an address of the default network: $line"
	done
	minidock rm -f $(minidock ps -a -q) >/dev/null
	run minidock network inspect bridge
	[[ "$output" == *'"Containers": {}'* ]] || fail "addresses not freed: $output"
}

@test "addresses as Docker gives them: the lowest free, so a network's first container is .2" {
	minidock network create low >/dev/null
	local subnet
	subnet=$(minidock network inspect low | grep -o '"Subnet": "[^"]*"' | head -n 1 | cut -d'"' -f4)
	local prefix=${subnet%.0/*}
	prefix=${prefix%.0}
	minidock run -d --name low1 --network low busybox sleep 60 >/dev/null
	minidock run -d --name low2 --network low busybox sleep 60 >/dev/null
	[ "$(minidock inspect -f '{{.NetworkSettings.Networks.low.IPAddress}}' low1)" = "$prefix.0.2" ] ||
		fail "first: $(minidock inspect -f '{{json .NetworkSettings}}' low1) (subnet $subnet)"
	[ "$(minidock inspect -f '{{.NetworkSettings.Networks.low.IPAddress}}' low2)" = "$prefix.0.3" ]
	minidock rm -f low1 >/dev/null
	minidock run -d --name low3 --network low busybox sleep 60 >/dev/null
	[ "$(minidock inspect -f '{{.NetworkSettings.Networks.low.IPAddress}}' low3)" = "$prefix.0.2" ] ||
		fail "after .2 was freed: $(minidock inspect -f '{{.NetworkSettings.Networks.low.IPAddress}}' low3)"
}

@test "a network made without --subnet skips a pool the host already routes" {
	ip link add mdtaken type veth peer name mdtaken2
	ip addr add 172.18.7.1/16 dev mdtaken
	ip link set mdtaken up && ip link set mdtaken2 up
	run minidock network create avoid
	local rc=$status
	ip link del mdtaken
	[ "$rc" -eq 0 ] || fail "network create: $output"
	run minidock run --rm --network avoid busybox ip -o -4 addr show eth0
	[[ "$output" == *"inet 172.19.0.2/16"* ]] || fail "eth0 (172.18.0.0/16 is the host's): $output"
}

@test "minidock0 is one root's at a time: another root is refused while the first has containers on it" {
	minidock run -d --name first busybox sleep 60 >/dev/null
	local other=$BATS_TEST_TMPDIR/other
	run env MINIDOCK_ROOT="$other" minidock image load -i "$IMAGES/busybox-oci.tar"
	run env MINIDOCK_ROOT="$other" minidock run --rm busybox true
	[ "$status" -eq 125 ] || fail "a second root got minidock0: $output"
	[[ "$output" == *"minidock0 is in use by the containers of another state directory"* ]] || fail "$output"
	# Its own networks, none and host still work.
	run env MINIDOCK_ROOT="$other" minidock run --rm --network none busybox echo ok
	[ "$output" = ok ]
	# Once the first root has no container on it, the other may take it.
	minidock rm -f first >/dev/null
	run env MINIDOCK_ROOT="$other" minidock run --rm busybox sh -c 'ip -o -4 addr show eth0'
	[[ "$output" == *"inet 172.17.0.2/16"* ]] || fail "the second root, after: $output"
}

@test "teardown leaves nothing: after rm, a failed start, and kill -9 of a monitor" {
	local veths
	veths=$(host_veths)
	# A start that fails after the network is set up (no such command): nothing stays.
	run minidock run --name failed -p 8095:80 busybox nosuchcommand
	[ "$status" -eq 127 ]
	local i
	for i in $(seq 50); do [ "$(host_veths)" = "$veths" ] && break; sleep 0.1; done
	[ "$(host_veths)" = "$veths" ] || fail "veth left by a failed start"
	[[ "$(nft_elements)" != *8095* ]] || fail "port left by a failed start: $(nft_elements)"
	# A monitor killed: its veth goes with its namespace; the next command frees the rest.
	minidock run -d --name doomed -p 8096:80 busybox sleep 60 >/dev/null
	[ "$(host_veths | wc -l)" -eq $(($(echo -n "$veths" | grep -c '^') + 1)) ] || fail "no veth for doomed"
	[[ "$(nft_elements)" == *8096* ]] || fail "port 8096 not published: $(nft_elements)"
	local pid monitor
	pid=$(minidock inspect -f '{{.State.Pid}}' doomed)
	monitor=$(awk '{sub(/^.*\) /, ""); print $2}' "/proc/$pid/stat")
	kill -9 "$monitor"
	wait_for sh -c "[ \"\$(minidock inspect -f '{{.State.Status}}' doomed)\" = exited ]"
	for i in $(seq 50); do [ "$(host_veths)" = "$veths" ] && break; sleep 0.1; done
	[ "$(host_veths)" = "$veths" ] || fail "veth left after the monitor died: $(host_veths)"
	[[ "$(nft_elements)" != *8096* ]] || fail "port left after the monitor died: $(nft_elements)"
	run minidock network inspect bridge
	[[ "$output" == *'"Containers": {}'* ]] || fail "address not freed: $output"
	# No DNS server is left either.
	minidock network create dnsnet >/dev/null
	minidock run --rm --network dnsnet busybox true
	run sh -c 'grep -l "^minidock-dns" /proc/[0-9]*/comm 2>/dev/null'
	[ -z "$output" ] || fail "DNS servers left: $output"
	# system prune: the stopped containers and the unused networks (bridges included) go.
	run minidock system prune -f
	[ "$status" -eq 0 ]
	[ -z "$(minidock ps -a -q)" ]
	[ "$(minidock network ls -q | wc -l)" -eq 3 ] || fail "networks left: $(minidock network ls)"
	! ip -o link show | grep -q ': md-' || fail "bridges left: $(ip -o link show | grep ': md-')"
}

@test "network connect plugs a running container into one more network (eth1); disconnect takes it out" {
	minidock network create left >/dev/null
	minidock network create right >/dev/null
	minidock run -d --name lc --network left busybox sleep 60 >/dev/null
	minidock run -d --name rc --network right busybox sleep 60 >/dev/null
	local rc_ip
	rc_ip=$(minidock inspect -f '{{.NetworkSettings.Networks.right.IPAddress}}' rc)
	run minidock exec lc ping -c 1 -W 2 "$rc_ip"
	[ "$status" -ne 0 ] || fail "left reached right before connect"
	run minidock network connect right lc
	[ "$status" -eq 0 ] || fail "connect: $output"
	run minidock exec lc ip -o -4 addr show eth1
	[[ "$output" == *"inet ${rc_ip%.*}."* ]] || fail "eth1: $output"
	run minidock exec lc ping -c 1 -W 2 "$rc_ip"
	[ "$status" -eq 0 ] || fail "connected, but right's $rc_ip unreachable: $output"
	run minidock exec lc nslookup rc 127.0.0.11
	[[ "$output" == *"Address: $rc_ip"* ]] || fail "rc by name: $output"
	run minidock network connect right lc
	[ "$status" -ne 0 ]
	[[ "$output" == *"already exists"* ]]
	run minidock network rm right
	[ "$status" -ne 0 ]
	run minidock network disconnect right lc
	[ "$status" -eq 0 ] || fail "disconnect: $output"
	run minidock exec lc ip link show eth1
	[ "$status" -ne 0 ]
	run minidock exec lc ping -c 1 -W 2 "$rc_ip"
	[ "$status" -ne 0 ]
	run minidock network inspect right
	[[ "$output" != *"\"lc\""* ]] || fail "lc still on right: $output"
	run minidock network disconnect right lc
	[ "$status" -ne 0 ]
}
