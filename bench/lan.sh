#!/bin/bash
# lan.sh: container to container across two hosts, measured inside the grader VMs (bench/lan.py
# boots host A with it, and host B serving A's requests as in stage 8).
#
#   macvlan        a container on each host, both on a macvlan network on eth1: frames go
#                  from one container's MAC to the other's over the LAN, nothing in between
#   overlay        a container on each host, both on an overlay network (lab 9): frames go
#                  wrapped in UDP (VXLAN) between the hosts' addresses, at an MTU of 1450;
#                  etcd, the cluster store, runs on A
#   bridge + port  a container on each host's default bridge; B's publishes its port (DNAT),
#                  A's leaves through A's masquerade (SNAT): what two bridged hosts need
# Each row: iperf3 throughput over 3 s, and the average round trip of 20 pings (macvlan and
# overlay: to B's container; bridge: to host B, the farthest a ping goes without a published
# port for it). Under TCG both hosts are emulated on one machine: compare the rows, not the
# numbers with real hardware.
set -u
source /grader/tests/peer.bash
LAN=192.168.50
minidock=/grader/stages/all/minidock
export MINIDOCK_ROOT=/tmp/bench-lan
ip addr add "$LAN.1/24" dev eth1
on_b "ip addr add $LAN.2/24 dev eth1" >/dev/null || { echo "host B does not answer"; exit 1; }
"$minidock" image load -i /grader/images/busybox-oci.tar >/dev/null
b minidock image load -i /grader/images/busybox-oci.tar >/dev/null

pid_of() { "$minidock" inspect -f '{{.State.Pid}}' "$1"; }
# row NAME TARGET: iperf3 from container a1 to TARGET, and pings.
row() {
	local name=$1 target=$2 pid json mbits rtt
	pid=$(pid_of a1)
	json=$(nsenter -t "$pid" -n iperf3 -c "$target" -t 3 -J 2>/dev/null)
	mbits=$(printf '%s\n' "$json" | awk '/"sum_received"/ {f = 1} f && /"bits_per_second"/ {gsub(/[,]/, ""); printf "%.0f", $2 / 1e6; exit}')
	rtt=$(nsenter -t "$pid" -n ping -c 20 -i 0.2 -q "${3:-$target}" 2>/dev/null | awk -F/ '/min\/avg/ {print $4}')
	printf '  %-15s %8s Mbit/s   %8s ms\n' "$name" "${mbits:-?}" "${rtt:-?}"
}

echo "container to container across the LAN (two VMs, $(nproc) CPUs each; iperf3 3 s; ping: average of 20)"
printf '  %-15s %15s   %11s\n' "" throughput "round trip"

"$minidock" network create -d macvlan --subnet "$LAN.0/24" -o parent=eth1 lan >/dev/null
b minidock network create -d macvlan --subnet "$LAN.0/24" -o parent=eth1 lan >/dev/null
"$minidock" run -d --name a1 --network lan --ip "$LAN.10" busybox sleep 600 >/dev/null
b minidock run -d --name b1 --network lan --ip "$LAN.20" busybox sleep 600 >/dev/null
on_b 'nsenter -t $(minidock inspect -f "{{.State.Pid}}" b1) -n iperf3 -s -D' >/dev/null
sleep 1
row macvlan "$LAN.20"
"$minidock" rm -f a1 >/dev/null
on_b 'minidock rm -f b1 >/dev/null; killall iperf3; true' >/dev/null

# overlay: etcd on A, reached by B over the control link, named in both hosts' daemon.json.
etcd --data-dir /tmp/bench-etcd --listen-peer-urls http://127.0.0.1:2380 \
	--listen-client-urls http://10.99.0.1:2379 --advertise-client-urls http://10.99.0.1:2379 >/tmp/bench-etcd.log 2>&1 &
etcd_pid=$!
config='{"cluster-store": "etcd://10.99.0.1:2379", "cluster-advertise": "eth1"}'
printf '%s\n' "$config" >"$MINIDOCK_ROOT/daemon.json"
on_b "mkdir -p /var/lib/minidock && printf '%s\n' '$config' >/var/lib/minidock/daemon.json" >/dev/null
for _ in $(seq 100); do (exec 5<>/dev/tcp/10.99.0.1/2379) 2>/dev/null && break; sleep 0.2; done
"$minidock" network create -d overlay --attachable ov >/dev/null
"$minidock" run -d --name a1 --network ov busybox sleep 600 >/dev/null
b minidock run -d --name b1 --network ov busybox sleep 600 >/dev/null
on_b 'nsenter -t $(minidock inspect -f "{{.State.Pid}}" b1) -n iperf3 -s -D' >/dev/null
b1=$(b minidock inspect -f '{{(index .NetworkSettings.Networks "ov").IPAddress}}' b1)
# A learns of B's container at its keeper's next round (every second).
for _ in $(seq 20); do nsenter -t "$(pid_of a1)" -n ping -c 1 -W 1 "$b1" >/dev/null 2>&1 && break; done
row overlay "$b1"
"$minidock" rm -f a1 >/dev/null
on_b 'minidock rm -f b1 >/dev/null; killall iperf3; true' >/dev/null
"$minidock" network rm ov >/dev/null
rm -f "$MINIDOCK_ROOT/daemon.json"
on_b 'rm -f /var/lib/minidock/daemon.json' >/dev/null
kill "$etcd_pid" 2>/dev/null

"$minidock" run -d --name a1 busybox sleep 600 >/dev/null
b minidock run -d --name b1 -p 5201:5201 busybox sleep 600 >/dev/null
on_b 'nsenter -t $(minidock inspect -f "{{.State.Pid}}" b1) -n iperf3 -s -D' >/dev/null
sleep 1
row "bridge + port" "$LAN.2"
