#!/usr/bin/env bats
# Stage 5: limits and security (labs/05-limits). Each escape a root process in a container could
# try is tried, from a default container, and must fail; where a flag allows it (--privileged,
# --cap-add, seccomp=unconfined), it must then work. Each failure names the defence that did not
# hold. Points are in grader/rubric.

load helpers

setup_file() {
	shared_state_setup_file
	# A root of busybox and stage 5's probe (grader/tools/probe.c): one system call per attempt.
	export PROBE_ROOT=$BATS_FILE_TMPDIR/probe-root
	cp -a "$BUSYBOX" "$PROBE_ROOT"
	cp /grader/bin/probe "$PROBE_ROOT/bin/probe"
}

setup() {
	shared_state_setup
}

teardown() {
	remove_all_containers
	common_teardown
}

# probe [RUN OPTIONS...] -- ATTEMPT...: the attempts, in a container of $PROBE_ROOT.
probe() {
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	minidock run --rm "${opts[@]}" --network none --rootfs "$PROBE_ROOT" /bin/probe "$@"
}

# expect_denied ATTEMPT DEFENCE: $output (from probe) says ATTEMPT was refused.
expect_denied() {
	grep -q "^$1 denied" <<<"$output" || fail "$1 got through: $2 did not stop it ($output)"
}

expect_allowed() {
	grep -q "^$1 ok" <<<"$output" || fail "$1 was refused with $2 ($output)"
}

# The capability sets of a container's process, one "Cap...: HEX" per line.
caps_of() {
	grep '^Cap' <<<"$1"
}

# The host's PID of the process whose command line is "sleep 31" (busybox has no pgrep).
pid_of_sleep_31() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" = "sleep 31 " ] && echo "${p#/proc/}" && return 0
	done
	return 1
}

# The host's cgroup of a running container.
cgroup_of() {
	echo "/sys/fs/cgroup/minidock/$(minidock inspect -f '{{.Id}}' "$1")"
}

@test "capabilities: Docker's 14 in the bounding, permitted and effective sets, none inheritable or ambient" {
	run minidock run --rm busybox grep Cap /proc/self/status
	[ "$status" -eq 0 ] || fail "run: $output"
	local want
	want=$'CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000'
	[ "$output" = "$want" ] || fail "capabilities (caps_limit, caps_apply): want Docker's a80425fb, got: $output"
	# A user other than root holds none, but the bounding set stays Docker's.
	run minidock run --rm -u 65534 busybox grep Cap /proc/self/status
	want=$'CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000'
	[ "$output" = "$want" ] || fail "as user 65534: $output"
	# An exec'd process gets the same sets as PID 1.
	minidock run -d --name capx busybox sleep 30 >/dev/null
	run minidock exec capx grep -E 'Cap(Eff|Bnd)' /proc/self/status
	[ "$output" = $'CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb' ] || fail "exec: $output"
}

@test "--cap-add and --cap-drop take names with or without CAP_, in any case, and ALL" {
	run minidock run --rm --cap-drop ALL --cap-add net_bind_service busybox grep CapEff /proc/self/status
	[ "$output" = $'CapEff:\t0000000000000400' ] || fail "--cap-drop ALL --cap-add net_bind_service: $output"
	run minidock run --rm --cap-add CAP_SYS_TIME --cap-drop chown busybox grep CapEff /proc/self/status
	[ "$output" = $'CapEff:\t00000000aa0425fa' ] || fail "--cap-add CAP_SYS_TIME --cap-drop chown: $output"
	run minidock run --rm --cap-add ALL busybox grep CapBnd /proc/self/status
	[ "$output" = "CapBnd:	$(capbnd)" ] || fail "--cap-add ALL: $output"
	run minidock run --rm --cap-add NOT_A_CAP busybox true
	[ "$status" -eq 125 ] && [[ "$output" == *NOT_A_CAP* ]] || fail "an unknown capability: $status $output"
	# Without CAP_NET_RAW, ping's raw socket is refused; without CAP_CHOWN, chown is.
	run minidock run --rm --cap-drop CHOWN busybox chown 1 /tmp
	[ "$status" -ne 0 ] || fail "chown worked without CAP_CHOWN"
}

@test "the host's clock cannot be set; --cap-add SYS_TIME allows it" {
	run probe -- clock_settime
	expect_denied clock_settime "the capabilities and seccomp"
	run probe --cap-add SYS_TIME -- clock_settime
	expect_allowed clock_settime "--cap-add SYS_TIME"
}

@test "seccomp: the host root's keyring, new user namespaces and personality flags are refused; seccomp=unconfined allows them" {
	run probe -- keyctl unshare_user personality keyctl_int80 getpid_int80
	expect_denied keyctl "seccomp"
	expect_denied keyctl_int80 "seccomp's x86 (32-bit) part"
	expect_allowed getpid_int80 "seccomp's x86 (32-bit) part (an ordinary 32-bit call)"
	expect_denied unshare_user "seccomp"
	expect_denied personality "seccomp (personality's argument rule)"
	[[ "$output" == *"Operation not permitted"* ]] || fail "seccomp's refusal is EPERM: $output"
	run probe --security-opt seccomp=unconfined -- keyctl unshare_user personality
	expect_allowed keyctl "seccomp=unconfined"
	expect_allowed unshare_user "seccomp=unconfined"
	expect_allowed personality "seccomp=unconfined"
	# Ordinary work goes on under the filter: threads (clone without namespace flags), files.
	run minidock run --rm busybox sh -c 'sleep 0 & wait; echo x >/tmp/f && cat /tmp/f'
	[ "$output" = x ] || fail "an ordinary command under the default profile: $output"
}

@test "escapes through the kernel: bpf, perf_event_open, userfaultfd, open_by_handle_at, acct, swapoff, syslog, mount, unshare are refused" {
	run probe -- bpf perf_event_open userfaultfd open_by_handle_at acct swapoff syslog mount unshare_mount clone_newns sethostname
	local attempt
	for attempt in bpf perf_event_open userfaultfd open_by_handle_at acct swapoff syslog mount unshare_mount clone_newns sethostname; do
		expect_denied "$attempt" "the capabilities and seccomp" || return 1
	done
	# The kernel's settings stay out of reach: /proc/sys and /sys cannot be made writable, the
	# masked paths cannot be unmasked, cgroup v1 (release_agent) cannot be mounted.
	run minidock run --rm busybox sh -c 'mount -o remount,rw /proc/sys; umount /proc/kcore; mkdir -p /tmp/cg;
		mount -t cgroup -o rdma cgroup /tmp/cg; mount -o remount,rw /sys; grep -c " /tmp/cg " /proc/mounts'
	[ "${lines[${#lines[@]}-1]}" = 0 ] || fail "a cgroup v1 hierarchy was mounted: $output"
	run minidock run --rm busybox sh -c 'grep -E " /proc/sys | /sys " /proc/mounts'
	[[ "$output" != *" rw,"* ]] || fail "/proc/sys or /sys became writable: $output"
}

@test "--privileged: every capability, no seccomp, nothing masked, /sys writable, the host's devices" {
	run probe --privileged -- keyctl mount unshare_mount clone_newns syslog acct
	local attempt
	for attempt in keyctl mount unshare_mount clone_newns syslog acct; do
		expect_allowed "$attempt" "--privileged" || return 1
	done
	run minidock run --rm --privileged busybox sh -c 'grep CapEff /proc/self/status; grep -c kcore /proc/self/mountinfo;
		grep " /sys " /proc/mounts; ls /dev | wc -l'
	[ "${lines[0]}" = "CapEff:	$(capbnd)" ] || fail "capabilities: ${lines[0]}"
	[ "${lines[1]}" = 0 ] || fail "/proc/kcore is still masked"
	[[ "${lines[2]}" == *" rw,"* ]] || fail "/sys is read-only: ${lines[2]}"
	[ "${lines[3]}" -gt 20 ] || fail "the host's devices are not in /dev (${lines[3]} entries)"
}

@test "no-new-privileges: set with --security-opt, off by default" {
	run minidock run --rm busybox grep NoNewPrivs /proc/self/status
	[ "$output" = $'NoNewPrivs:\t0' ] || fail "default: $output"
	run minidock run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status
	[ "$output" = $'NoNewPrivs:\t1' ] || fail "--security-opt no-new-privileges: $output"
}

@test "Docker's own default.json loads unchanged, and a profile's rules, actions and errnoRet are followed" {
	local docker=$IMAGES/docker-seccomp-default.json
	run probe --security-opt "seccomp=$docker" -- keyctl personality sethostname
	expect_denied keyctl "Docker's default.json" && expect_denied personality "Docker's default.json" || return 1
	run minidock run --rm --security-opt "seccomp=$docker" busybox sh -c 'sleep 0 & wait; echo fine'
	[ "$output" = fine ] || fail "a command under Docker's default.json: $output"
	# A profile of its own: everything allowed but mkdir, refused with EACCES (13).
	cat >"$BATS_TEST_TMPDIR/no-mkdir.json" <<-'EOF'
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
	EOF
	run minidock run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/no-mkdir.json" busybox sh -c 'mkdir /tmp/d 2>&1; echo x >/tmp/f && cat /tmp/f'
	[[ "${lines[0]}" == *"Permission denied"* ]] || fail "mkdir was not refused with EACCES: $output"
	[ "${lines[1]}" = x ] || fail "the rest was refused too: $output"
	# Conditions on arguments: unshare refused with CLONE_NEWUSER (0x10000000) or CLONE_NEWNS
	# (0x20000); two conditions on one argument mean either, as in Docker.
	cat >"$BATS_TEST_TMPDIR/args.json" <<-'EOF'
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_ERRNO",
		   "args": [{"index": 0, "value": 268435456, "op": "SCMP_CMP_MASKED_EQ", "valueTwo": 268435456},
		            {"index": 0, "value": 131072, "op": "SCMP_CMP_MASKED_EQ", "valueTwo": 131072}]}]}
	EOF
	run probe --cap-add SYS_ADMIN --security-opt "seccomp=$BATS_TEST_TMPDIR/args.json" -- unshare_user unshare_mount keyctl
	expect_denied unshare_user "a rule on unshare's flags (CLONE_NEWUSER)" && expect_allowed keyctl "a profile that allows it" || return 1
	expect_denied unshare_mount "the second condition on the same argument (CLONE_NEWNS): either holds, not both"
	# A profile that is not one is refused when the container is made.
	echo '{"defaultAction": "SCMP_ACT_SOMETIMES"}' >"$BATS_TEST_TMPDIR/bad.json"
	run minidock run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/bad.json" busybox true
	[ "$status" -eq 125 ] && [[ "$output" == *SCMP_ACT_SOMETIMES* ]] || fail "a bad profile: $status $output"
}

@test "each container has a cgroup of its own, seen from inside as its root, read-only, gone with the container" {
	minidock run -d --name cg busybox sleep 60 >/dev/null
	local dir pid
	dir=$(cgroup_of cg)
	pid=$(minidock inspect -f '{{.State.Pid}}' cg)
	[ -d "$dir" ] || fail "no cgroup $dir"
	grep -qx "$pid" "$dir/cgroup.procs" || fail "PID 1 ($pid) is not in $dir: $(cat "$dir/cgroup.procs")"
	run minidock exec cg sh -c 'cat /proc/self/cgroup; touch /sys/fs/cgroup/x 2>&1; echo $$'
	[ "${lines[0]}" = "0::/" ] || fail "no cgroup namespace: /proc/self/cgroup says ${lines[0]}"
	[[ "$output" == *"Read-only file system"* ]] || fail "/sys/fs/cgroup is writable inside: $output"
	run minidock exec cg grep -c . /sys/fs/cgroup/cgroup.procs
	[ "$output" -ge 2 ] || fail "the container's /sys/fs/cgroup is not its own cgroup: $output"
	minidock rm -f cg >/dev/null
	[ ! -d "$dir" ] || fail "$dir is left after rm -f"
	# A monitor killed with -9 leaves nothing either, once minidock looks again.
	minidock run -d --name cg2 busybox sleep 60 >/dev/null
	dir=$(cgroup_of cg2)
	# The monitor: PID 1's parent.
	kill -9 "$(awk '{print $4}' "/proc/$(minidock inspect -f '{{.State.Pid}}' cg2)/stat")"
	wait_for sh -c "minidock ps -a | grep -q Exited"
	[ ! -d "$dir" ] || fail "$dir is left after kill -9 of the monitor"
	rmdir /sys/fs/cgroup/minidock 2>/dev/null || true
}

@test "--memory: memory.max and memory.swap.max set, a memory hog is OOM-killed: exit 137, OOMKilled true" {
	minidock run -d --name mem -m 32m --memory-reservation 16m busybox sleep 60 >/dev/null
	local dir
	dir=$(cgroup_of mem)
	[ "$(cat "$dir/memory.max")" = 33554432 ] || fail "memory.max: $(cat "$dir/memory.max")"
	[ "$(cat "$dir/memory.low")" = 16777216 ] || fail "memory.low (--memory-reservation): $(cat "$dir/memory.low")"
	if [ -e "$dir/memory.swap.max" ]; then
		[ "$(cat "$dir/memory.swap.max")" = 33554432 ] || fail "memory.swap.max (twice --memory in all): $(cat "$dir/memory.swap.max")"
	fi
	minidock rm -f mem >/dev/null
	run minidock run --name hog -m 32m busybox sh -c 'x=0123456789abcdef; while true; do x=$x$x; done'
	[ "$status" -eq 137 ] || fail "the hog ended with $status, not 137 (OOM killer): $output"
	run minidock inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' hog
	[ "$output" = "true 137" ] || fail "State.OOMKilled, ExitCode: $output"
	run minidock run --rm busybox true
	[ "$status" -eq 0 ] || fail "the host cannot start a container after the OOM"
	run minidock run --name calm busybox true
	run minidock inspect -f '{{.State.OOMKilled}}' calm
	[ "$output" = false ] || fail "OOMKilled of a container that ended well: $output"
}

@test "--pids-limit 50: a fork bomb is contained and the host keeps working" {
	# The bomb forks until fork fails; PID 1 then becomes a sleep (exec: no fork needed).
	minidock run -d --name bomb --pids-limit 50 busybox sh -c 'sleep 1; (while :; do sleep 60 & done) 2>/dev/null; exec sleep 60'
	local dir
	dir=$(cgroup_of bomb)
	[ "$(cat "$dir/pids.max")" = 50 ] || fail "pids.max: $(cat "$dir/pids.max")"
	wait_for grep -q "^max [1-9]" "$dir/pids.events" || fail "the bomb never reached the limit: $(cat "$dir/pids.events")"
	local count
	count=$(cat "$dir/pids.current")
	[ "$count" -le 50 ] || fail "$count processes under --pids-limit 50"
	[ "$count" -ge 40 ] || fail "only $count processes: the bomb did not run"
	run sh -c 'echo the host still forks'
	[ "$status" -eq 0 ]
}

@test "--cpus 0.5: cpu.max is half a period, and a busy container is throttled" {
	minidock run -d --name cpu --cpus 0.5 busybox sh -c 'while :; do :; done' >/dev/null
	local dir
	dir=$(cgroup_of cpu)
	[ "$(cat "$dir/cpu.max")" = "50000 100000" ] || fail "cpu.max: $(cat "$dir/cpu.max")"
	local start end
	start=$(awk '$1 == "usage_usec" {print $2}' "$dir/cpu.stat")
	sleep 2
	end=$(awk '$1 == "usage_usec" {print $2}' "$dir/cpu.stat")
	# At most half of 2 s of CPU, with room for a slow clock; and the quota was hit.
	[ $((end - start)) -le 1500000 ] || fail "$((end - start)) us of CPU in 2 s under --cpus 0.5"
	[ "$(awk '$1 == "nr_throttled" {print $2}' "$dir/cpu.stat")" -gt 0 ] || fail "never throttled: $(cat "$dir/cpu.stat")"
}

@test "--cpu-shares, --cpuset-cpus and --blkio-weight set their files as runc does" {
	minidock run -d --name wt --cpu-shares 512 --cpuset-cpus 0 busybox sleep 60 >/dev/null
	local dir
	dir=$(cgroup_of wt)
	[ "$(cat "$dir/cpu.weight")" = 20 ] || fail "cpu.weight for --cpu-shares 512: $(cat "$dir/cpu.weight")"
	[ "$(cat "$dir/cpuset.cpus")" = 0 ] || fail "cpuset.cpus: $(cat "$dir/cpuset.cpus")"
	run minidock exec wt grep Cpus_allowed_list /proc/self/status
	[ "$output" = $'Cpus_allowed_list:\t0' ] || fail "the container runs on: $output"
	if grep -qw io /sys/fs/cgroup/cgroup.controllers; then
		minidock run -d --name io --blkio-weight 300 busybox sleep 60 >/dev/null
		dir=$(cgroup_of io)
		grep -q 300 "$dir/io.bfq.weight" 2>/dev/null || grep -q "default 2930" "$dir/io.weight" ||
			fail "io weight for --blkio-weight 300: $(cat "$dir"/io.*weight 2>&1)"
	fi
}

@test "devices: a node made with mknod for the host's memory or console cannot be opened" {
	run minidock run --rm busybox sh -c 'mknod /tmp/mem c 1 1 && echo made; mknod /tmp/ttyS0 c 4 64;
		dd if=/tmp/ttyS0 of=/dev/null count=0 2>&1; dd if=/tmp/mem of=/dev/null count=1 2>&1; head -c 1 /dev/zero | wc -c'
	[ "${lines[0]}" = made ] || fail "mknod is allowed (Docker's default): $output"
	[ "$(grep -c "Operation not permitted" <<<"$output")" -eq 2 ] || fail "the device cgroup let a node open: $output"
	[ "${lines[${#lines[@]}-1]}" = 1 ] || fail "/dev/zero cannot be read: $output"
	run minidock run --rm --privileged busybox sh -c 'mknod /tmp/ttyS0 c 4 64; dd if=/tmp/ttyS0 of=/dev/null count=0 2>&1'
	[[ "$output" != *"Operation not permitted"* ]] || fail "--privileged has no device filter: $output"
}

@test "--userns-remap: root in the container is an unprivileged host uid, root over its own files only" {
	# Docker's "default" range: dockremap's lines in /etc/subuid and /etc/subgid.
	grep -qs '^dockremap:' /etc/subuid || echo dockremap:100000:65536 >>/etc/subuid
	grep -qs '^dockremap:' /etc/subgid || echo dockremap:100000:65536 >>/etc/subgid
	minidock run -d --name remapped --userns-remap default --cap-add ALL --network none busybox sleep 60 >/dev/null
	local pid id
	pid=$(minidock inspect -f '{{.State.Pid}}' remapped)
	id=$(minidock inspect -f '{{.Id}}' remapped)
	[ "$(awk '/^Uid:/ {print $2 $3}' "/proc/$pid/status")" = 100000100000 ] ||
		fail "PID 1 runs as host uid $(awk '/^Uid:/ {print $2}' "/proc/$pid/status"), not 100000 (userns_enter)"
	[ "$(awk '/^Gid:/ {print $2}' "/proc/$pid/status")" = 100000 ] || fail "PID 1's host gid: $(grep Gid "/proc/$pid/status")"
	run minidock exec remapped sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; stat -c %u:%g /bin/busybox /etc; echo hi >/etc/written && stat -c %u /etc/written'
	[ "$(echo $output)" = "0 100000 65536 0 100000 65536 0 0 0:0 0:0 0" ] ||
		fail "inside (uid_map, gid_map, id, owners of the image's files, a new file): $output"
	[ "$(stat -c %u:%g "$MINIDOCK_ROOT/containers/$id/upper/etc/written")" = 100000:100000 ] ||
		fail "a file root made in the container is $(stat -c %u:%g "$MINIDOCK_ROOT/containers/$id/upper/etc/written") on the host"
	minidock exec remapped sleep 31 >/dev/null 2>&1 &
	wait_for pid_of_sleep_31 || fail "exec sleep 31 never ran"
	pid=$(pid_of_sleep_31)
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 100000 ] || fail "an exec'd process is host uid $(awk '/^Uid:/ {print $2}' "/proc/$pid/status")"
	# Every capability (seccomp then allows these calls), but in its own namespace: the host's
	# clock, kernel log, files by handle and disks stay out of reach.
	minidock cp /grader/bin/probe remapped:/probe
	run minidock exec remapped /probe clock_settime syslog open_by_handle_at
	expect_denied clock_settime "the user namespace"
	expect_denied syslog "the user namespace"
	expect_denied open_by_handle_at "the user namespace"
	run minidock exec remapped sh -c 'mknod /tmp/sda b 8 0 && echo made'
	[ "$output" != made ] || fail "mknod of a block device worked under --userns-remap"
	run minidock exec remapped cat /proc/sys/net/ipv4/ip_unprivileged_port_start
	[ "$output" = 0 ] || fail "ports below 1024 are not open to the remapped root: $output"
	run minidock run --rm --userns-remap nosuchuser busybox true
	[ "$status" -eq 125 ] && [[ "$output" == *"/etc/subuid"* ]] || fail "a user without a range: $status $output"
}

@test "update changes a running container's limits at once, a stopped one's at its next start" {
	minidock run -d --name up --pids-limit 50 -m 64m --network none busybox sleep 60 >/dev/null
	local dir
	dir=$(cgroup_of up)
	minidock update --pids-limit 20 -m 32m --cpus 0.5 up >/dev/null || fail "update refused valid limits"
	[ "$(cat "$dir/pids.max")" = 20 ] || fail "pids.max after update: $(cat "$dir/pids.max") (cg_set_limits)"
	[ "$(cat "$dir/memory.max")" = 33554432 ] || fail "memory.max after update -m 32m: $(cat "$dir/memory.max")"
	[ "$(cat "$dir/cpu.max")" = "50000 100000" ] || fail "cpu.max after update --cpus 0.5: $(cat "$dir/cpu.max")"
	run minidock inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}}' up
	[ "$output" = "33554432 20 500000000" ] || fail "HostConfig after update: $output"
	# A bad value changes nothing; -1 lifts the process limit.
	run minidock update -m 1m up
	[ "$status" -ne 0 ] || fail "update -m 1m was accepted"
	[ "$(cat "$dir/memory.max")" = 33554432 ] || fail "a refused update changed memory.max: $(cat "$dir/memory.max")"
	minidock update --pids-limit -1 up >/dev/null
	[ "$(cat "$dir/pids.max")" = max ] || fail "pids.max after update --pids-limit -1: $(cat "$dir/pids.max")"
	minidock create --name later --network none busybox sleep 60 >/dev/null
	minidock update -m 48m later >/dev/null
	minidock start later >/dev/null
	[ "$(cat "$(cgroup_of later)/memory.max")" = 50331648 ] || fail "a stopped container's update was not applied at its start"
}

@test "stats shows the CPU, memory and processes a container uses, read from its cgroup" {
	minidock run -d --name busy --cpus 0.5 -m 64m --network none busybox sh -c 'while :; do :; done' >/dev/null
	minidock run -d --name idle --network none busybox sleep 60 >/dev/null
	run minidock stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}' busy idle
	[ "$status" -eq 0 ] || fail "stats: $output"
	local name cpu used slash limit pids
	read -r name cpu used slash limit pids <<<"${lines[0]}"
	[ "$name $slash $limit" = "busy / 64MiB" ] || fail "busy's memory limit: ${lines[0]}"
	# Half a CPU, measured over a second of a slow VM: somewhere between 10% and 75%.
	cpu=${cpu%%.*}
	[ "$cpu" -ge 10 ] && [ "$cpu" -le 75 ] || fail "busy under --cpus 0.5 shows ${lines[0]} (is PID 1 in its cgroup?)"
	[[ "$used" =~ ^[0-9.]+(KiB|MiB)$ ]] || fail "busy uses no memory: ${lines[0]}"
	[ "$pids" = 1 ] || fail "busy has one process, stats says $pids"
	read -r name cpu used slash limit pids <<<"${lines[1]}"
	[ "$name" = idle ] && [ "${cpu%%.*}" -le 5 ] || fail "idle: ${lines[1]}"
	[ "$limit" != 64MiB ] && [ "$pids" = 1 ] || fail "idle (no limit, one process): ${lines[1]}"
}

@test "pause freezes every process of the container through its cgroup, unpause thaws them" {
	minidock run -d --name pz busybox sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/n; sleep 0.1; done' >/dev/null
	local pid dir
	pid=$(minidock inspect -f '{{.State.Pid}}' pz)
	dir=$(cgroup_of pz)
	wait_for test -s "/proc/$pid/root/tmp/n"
	run minidock pause pz
	[ "$status" -eq 0 ] || fail "pause: $output"
	grep -qx "frozen 1" "$dir/cgroup.events" || fail "the cgroup is not frozen: $(cat "$dir/cgroup.events")"
	local before
	before=$(cat "/proc/$pid/root/tmp/n")
	sleep 1
	[ "$(cat "/proc/$pid/root/tmp/n")" = "$before" ] || fail "the container kept running while paused"
	run minidock inspect -f '{{.State.Paused}}' pz
	[ "$output" = true ] || fail "State.Paused: $output"
	[[ "$(minidock ps)" == *"(Paused)"* ]] || fail "ps does not say Paused: $(minidock ps)"
	run minidock exec pz true
	[ "$status" -eq 1 ] && [[ "$output" == *"is paused"* ]] || fail "exec into a paused container: $status $output"
	run minidock pause pz
	[ "$status" -eq 1 ] && [[ "$output" == *"already paused"* ]] || fail "pause twice: $status $output"
	run minidock unpause pz
	[ "$status" -eq 0 ] || fail "unpause: $output"
	wait_for sh -c "[ \"\$(cat /proc/$pid/root/tmp/n)\" != $before ]" || fail "the container did not run again after unpause"
	run minidock inspect -f '{{.State.Paused}}' pz
	[ "$output" = false ] || fail "State.Paused after unpause: $output"
}
