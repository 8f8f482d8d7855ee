#!/usr/bin/env bats
# Stage 6: networks none and host (labs/06-net-basics). A container's own network namespace
# with only a loopback, and the host's own namespace. Points are in grader/rubric.

load helpers

setup_file() {
	shared_state_setup_file
}

setup() {
	shared_state_setup
}

teardown() {
	remove_all_containers
	common_teardown
}

# The host's links, names only.
host_links() {
	ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
}

@test "--network none: only a loopback, up, with 127.0.0.1, in a namespace of its own" {
	run minidock run --rm --network none busybox sh -c 'ip -o link show | cut -d: -f2; ip -o addr show lo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = " lo" ] || fail "links: $output"
	[ "$(grep -c '^ ' <<<"$output")" -eq 1 ] || fail "more than lo: $output"
	[[ "$output" == *"inet 127.0.0.1/8"* ]] || fail "lo has no 127.0.0.1: $output"
	[[ "$output" != *inet6* ]] || fail "lo has an IPv6 address (Docker gives none without an IPv6 network): $output"
	run minidock run --rm --network none busybox cat /sys/class/net/lo/operstate /sys/class/net/lo/flags
	[ "${lines[1]}" = 0x9 ] || fail "lo is not up (flags ${lines[1]})"
	minidock run -d --name iso --network none busybox sleep 30 >/dev/null
	local pid
	pid=$(minidock inspect -f '{{.State.Pid}}' iso)
	[ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ]
}

@test "--network none: the host's servers, even on 127.0.0.1, are out of reach" {
	busybox nc -l -p 7001 </dev/null >/dev/null 2>&1 &
	local server=$!
	wait_for sh -c 'busybox netstat -ltn | grep -q ":7001 "'
	run minidock run --rm --network none busybox sh -c 'echo hi | nc -w 1 127.0.0.1 7001 && echo reached'
	kill "$server" 2>/dev/null || true
	[[ "$output" != *reached* ]] || fail "a --network none container reached the host's 127.0.0.1:7001"
	# And no interface was made on the host.
	local before
	before=$(host_links)
	minidock run --rm --network none busybox true
	[ "$(host_links)" = "$before" ]
}

@test "nl_link_up() brings up the interface it is given: on the default network (lab 7's reference), eth0 and minidock0 are up" {
	# Lab 7 (the reference here) plugs a bridge network's container with lab 6's functions: a
	# namespace of its own from net_enter(), the host's bridge brought up by nl_link_up() (eth0
	# is made up from birth, in the message that creates it).
	run minidock run --rm busybox ip -o link show
	[ "$status" -eq 0 ] || fail "run on the default network: $output"
	[[ "$output" =~ eth0@[^:]*:\ \<([A-Z_-]+,)*UP[,\>] ]] || fail "eth0 is not up: $output"
	[ "$(grep -c . <<<"$output")" -eq 2 ] || fail "a bridge network's container has lo and eth0 only: $output"
	run ip -o link show minidock0
	[[ "$output" =~ \<([A-Z_-]+,)*UP[,\>] ]] || fail "minidock0 is not up on the host: $output"
}

@test "--network host: the host's namespace and interfaces, and no interface made" {
	ip link add mdtest0 type veth peer name mdtest1
	local before
	before=$(host_links)
	minidock run -d --name hm --network host busybox sleep 30 >/dev/null
	local pid
	pid=$(minidock inspect -f '{{.State.Pid}}' hm)
	[ "$(readlink "/proc/$pid/ns/net")" = "$(readlink /proc/self/ns/net)" ]
	run minidock exec hm sh -c "ip -o link show | awk -F': ' '{print \$2}' | sed 's/@.*//' | sort"
	ip link del mdtest0
	[ "$output" = "$before" ] || fail "the container sees: $output; the host has: $before"
	[[ "$output" == *mdtest0* ]]
	[ "$(host_links | grep -v mdtest)" = "$(grep -v mdtest <<<"$before")" ] || fail "an interface was made"
}

@test "--network host: the container has the host's name, as Docker gives it" {
	run minidock run --rm --network host busybox hostname
	[ "$status" -eq 0 ] || fail "run: $output"
	[ "$output" = "$(hostname)" ] || fail "host name: $output, the host's: $(hostname)"
	run minidock run --rm --network host -h other busybox hostname
	[ "$output" = other ]
}

@test "--network host: a server in the container answers on the host's port" {
	minidock run -d --name web --network host busybox sh -c 'echo host-mode > /index.html; httpd -f -p 127.0.0.1:8081 -h /' >/dev/null
	wait_for sh -c 'busybox wget -qO- http://127.0.0.1:8081/ 2>/dev/null | grep -q host-mode'
}

@test "--network host with -p: Docker's warning, and the ports are ignored" {
	run --separate-stderr minidock run --rm --network host -p 8082:80 busybox echo ran
	[ "$status" -eq 0 ]
	[ "$output" = ran ]
	[[ "$stderr" == *"WARNING: Published ports are discarded when using host network mode"* ]] || fail "stderr: $stderr"
}
