#!/usr/bin/env bats
# Stage 1: process isolation (labs/01-process). Each test checks one behaviour of
# `minidock run --rootfs DIR CMD`, from inside the container and, where it can, from the host.
# Points are in grader/rubric.
#
# MINIDOCK_NO_MONITOR=1: `run` keeps the container as its own child, with lab 1's proc_spawn()
# and proc_wait() (as before lab 4), so that this stage grades lab 1's waiting and signals,
# not the reference monitor's.

load helpers

export MINIDOCK_NO_MONITOR=1

@test "the command's output reaches the terminal" {
	run minidock run --rootfs "$BUSYBOX" echo hello from the container
	[ "$status" -eq 0 ]
	[ "$output" = "hello from the container" ]
}

@test "the command runs as PID 1 of a new PID namespace" {
	run minidock run --rootfs "$BUSYBOX" sh -c 'echo $$'
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "the container has its own PID, UTS, IPC and mount namespaces, seen from the host" {
	# --network host: the network namespace is lab 6's; with host, it is the host's.
	minidock run --network host --rootfs "$BUSYBOX" sleep 30 &
	local md=$!
	local pid
	pid=$(container_pid "$md")
	wait_for grep -q sleep "/proc/$pid/comm"
	for ns in pid uts ipc mnt; do
		[ "$(readlink /proc/$pid/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ] ||
			fail "the container shares the host's $ns namespace"
	done
	# The labs so far leave the network and users alone.
	[ "$(readlink /proc/$pid/ns/net)" = "$(readlink /proc/self/ns/net)" ]
	[ "$(readlink /proc/$pid/ns/user)" = "$(readlink /proc/self/ns/user)" ]
	kill -9 "$pid"
	wait "$md" || true
}

@test "--hostname sets the container's host name and leaves the host's alone" {
	local before
	before=$(hostname)
	run minidock run --rootfs "$BUSYBOX" --hostname box1 hostname
	[ "$status" -eq 0 ]
	[ "$output" = box1 ]
	[ "$(hostname)" = "$before" ]
}

@test "the default host name is a random 12-digit hex id" {
	run minidock run --rootfs "$BUSYBOX" hostname
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{12}$ ]] || fail "not 12 hex digits: $output"
	local first=$output
	run minidock run --rootfs "$BUSYBOX" hostname
	[ "$output" != "$first" ] || fail "two containers got the same host name $first"
}

@test "the root directory is the rootfs and nothing of the host is visible" {
	local root
	root=$(writable_rootfs)
	echo "only in this rootfs" >"$root/marker"
	run minidock run --rootfs "$root" cat /marker
	[ "$status" -eq 0 ]
	[ "$output" = "only in this rootfs" ]
	# /grader exists on the host, not in the image.
	run minidock run --rootfs "$root" sh -c 'test -e /grader && echo visible || echo hidden; cd /..; ls /'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hidden ]
	[[ "$output" == *marker* ]]
}

@test "the environment is Docker's default plus -e" {
	FROM_HOST=copied run minidock run --rootfs "$BUSYBOX" --hostname envbox -e A=1 -e HOME=/home/x \
		-e FROM_HOST -e NOT_SET_ANYWHERE env
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$output" == *"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"* ]]
	[[ "$output" == *"HOSTNAME=envbox"* ]]
	[[ "$output" == *"HOME=/home/x"* ]]
	[[ "$output" == *"A=1"* ]]
	[[ "$output" == *"FROM_HOST=copied"* ]]
	[[ "$output" != *NOT_SET_ANYWHERE* ]]
	# Nothing else leaks from minidock's own environment.
	[[ "$output" != *BATS_* ]]
	run minidock run --rootfs "$BUSYBOX" sh -c 'echo $HOME'
	[ "$output" = /root ]
}

@test "the user's HOME and groups come from the image's passwd and group files; ids past 2^31-1 are refused" {
	# Root (no -u) is in the groups /etc/group names it in, as Docker's `id` shows.
	run minidock run --rootfs "$BUSYBOX" id
	[ "$output" = "uid=0(root) gid=0(root) groups=0(root),10(wheel)" ] || fail "root's id: $output"
	run minidock run --rootfs "$BUSYBOX" -u daemon sh -c 'id; echo $HOME'
	[ "${lines[0]}" = "uid=1(daemon) gid=1(daemon) groups=1(daemon),100(users)" ] || fail "daemon: $output"
	[ "${lines[1]}" = /usr/sbin ]
	# A listed uid is that user, groups included; an unlisted one has group 0 and HOME=/.
	run minidock run --rootfs "$BUSYBOX" -u 65534 sh -c 'id; echo $HOME'
	[ "${lines[0]}" = "uid=65534(nobody) gid=65534(nogroup) groups=100(users),65534(nogroup)" ] || fail "65534: $output"
	[ "${lines[1]}" = /nonexistent ]
	run minidock run --rootfs "$BUSYBOX" -u 4242 sh -c 'echo $HOME'
	[ "$output" = / ]
	# HOME set by -e wins.
	run minidock run --rootfs "$BUSYBOX" -u daemon -e HOME=/mine sh -c 'echo $HOME'
	[ "$output" = /mine ]
	# 4294967296 cut to 32 bits is 0: root. Refused, as runc refuses it.
	for user in 4294967296 2147483648 0:4294967296 99999999999999999999999; do
		run minidock run --rootfs "$BUSYBOX" -u "$user" id -u
		[ "$status" -eq 125 ] || fail "-u $user ran: $output"
		[[ "$output" == *"out of range"* ]] || fail "-u $user: $output"
	done
}

@test "-e: a later K replaces an earlier one in its place, and PATH=... is the one searched; bad entries are refused" {
	run minidock run --rootfs "$BUSYBOX" -e A=1 -e B=2 -e A=3 env
	[ "$status" -eq 0 ]
	[ "$(grep -c '^A=' <<<"$output")" -eq 1 ] || fail "two A's: $output"
	grep -qx 'A=3' <<<"$output" || fail "A is not the last -e's: $output"
	# In the first one's place: A before B.
	[ "$(grep -n -e '^A=' -e '^B=' <<<"$output" | cut -d: -f2 | paste -sd,)" = "A=3,B=2" ] || fail "order: $output"
	# The PATH given replaces Docker's: a command is looked up there, and only there.
	run minidock run --rootfs "$BUSYBOX" -e PATH=/nowhere sh -c true
	[ "$status" -eq 127 ] || fail "-e PATH=/nowhere still found sh: $status $output"
	run minidock run --rootfs "$BUSYBOX" -e PATH=/bin -e HOSTNAME=mine sh -c 'echo $PATH $HOSTNAME'
	[ "$output" = "/bin mine" ]
	for bad in "" "=x"; do
		run minidock run --rootfs "$BUSYBOX" -e "$bad" true
		[ "$status" -eq 125 ] || fail "-e '$bad' was accepted"
		[[ "$output" == *"invalid environment variable"* ]] || fail "-e '$bad': $output"
	done
}

@test "the command starts with every signal at its default action and none blocked, whatever minidock inherited" {
	# A shell's background job ignores SIGINT and SIGQUIT; the container must not inherit that.
	run sh -c 'trap "" INT QUIT USR1 PIPE ALRM TSTP; minidock run --rootfs "$BUSYBOX" grep -E "^Sig(Blk|Ign):" /proc/1/status'
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *$'SigBlk:\t0000000000000000'* ]] || fail "blocked signals: $output"
	[[ "$output" == *$'SigIgn:\t0000000000000000'* ]] || fail "ignored signals: $output"
}

@test "the container dies with the process that started it: kill -9 of it leaves nothing running (parent-death signal)" {
	minidock run --rootfs "$BUSYBOX" sleep 100 &
	local md=$! pid parent
	pid=$(container_pid "$md")
	# Its parent: minidock itself, or from lab 4 on the container's monitor.
	parent=$(awk '{sub(/^.*\) /, ""); print $2}' "/proc/$pid/stat")
	kill -9 "$parent"
	wait "$md" 2>/dev/null || true
	wait_for sh -c "! [ -e /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status" || fail "the container runs on without its parent"
}

@test "the working directory is / by default, -w sets it and makes it when missing" {
	local root
	root=$(writable_rootfs)
	run minidock run --rootfs "$root" pwd
	[ "$output" = / ]
	run minidock run --rootfs "$root" -w /etc pwd
	[ "$output" = /etc ]
	run minidock run --rootfs "$root" -w /made/for/you pwd
	[ "$status" -eq 0 ]
	[ "$output" = /made/for/you ]
	[ -d "$root/made/for/you" ]
}

@test "stdin is passed through with -i, stdout and stderr stay apart" {
	run bash -c 'printf "line one\nline two\n" | minidock run -i --rootfs "$BUSYBOX" sh -c "cat; echo to-stderr >&2" 2>"$BATS_TEST_TMPDIR/err"'
	[ "$status" -eq 0 ]
	[ "$output" = $'line one\nline two' ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = to-stderr ]
}

@test "the exit status is the command's" {
	run minidock run --rootfs "$BUSYBOX" sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run minidock run --rootfs "$BUSYBOX" false
	[ "$status" -eq 1 ]
	run minidock run --rootfs "$BUSYBOX" sh -c 'exit 0'
	[ "$status" -eq 0 ]
}

@test "a container killed by signal N makes minidock exit 128+N" {
	minidock run --rootfs "$BUSYBOX" sleep 30 &
	local md=$! pid
	pid=$(container_pid "$md")
	wait_for grep -q sleep "/proc/$pid/comm"
	kill -KILL "$pid"
	local rc=0
	wait "$md" || rc=$?
	[ "$rc" -eq 137 ] || fail "minidock exited $rc, want 137"
	# PID 1 of a namespace ignores signals it has no handler for, except SIGKILL from outside.
	# A shell with a handler that exits on its own is not "killed": its status is its own.
	minidock run --rootfs "$BUSYBOX" sh -c 'trap "exit 7" USR1; echo ready; while :; do sleep 0.1; done' \
		>"$BATS_TEST_TMPDIR/out" &
	md=$!
	wait_for_output "$md" "$BATS_TEST_TMPDIR/out" ready
	kill -USR1 "$(container_pid "$md")"
	rc=0
	wait "$md" || rc=$?
	[ "$rc" -eq 7 ] || fail "minidock exited $rc, want the container's 7"
}

@test "SIGTERM and SIGINT sent to minidock reach the container" {
	local sig out
	for sig in TERM INT; do
		out=$BATS_TEST_TMPDIR/out-$sig
		minidock run --rootfs "$BUSYBOX" sh -c \
			"trap 'echo got $sig; exit 42' $sig; echo ready; while :; do sleep 0.1; done" >"$out" &
		local md=$!
		wait_for_output "$md" "$out" ready
		kill -"$sig" "$md"
		local rc=0
		wait "$md" || rc=$?
		[ "$rc" -eq 42 ] || fail "SIG$sig: minidock exited $rc, want the container's 42"
		grep -q "got $sig" "$out"
	done
}

@test "a command that is not found exits 127 with Docker's message" {
	run -127 minidock run --rootfs "$BUSYBOX" no-such-command
	[ "$status" -eq 127 ]
	[[ "$output" == *'"no-such-command": executable file not found in $PATH'* ]]
	run -127 minidock run --rootfs "$BUSYBOX" /no/such/file
	[ "$status" -eq 127 ]
	[[ "$output" == *"no such file or directory"* ]]
}

@test "a command that cannot be executed exits 126" {
	run minidock run --rootfs "$BUSYBOX" /etc
	[ "$status" -eq 126 ]
	[[ "$output" == *"ermission denied"* ]]
	run minidock run --rootfs "$BUSYBOX" /etc/passwd
	[ "$status" -eq 126 ]
	[[ "$output" == *"/etc/passwd"* ]]
	# Found by the PATH search, but not executable: 126 too, not "not found".
	run minidock run --rootfs "$BUSYBOX" -e PATH=/etc passwd
	[ "$status" -eq 126 ] || fail "a non-executable file found in PATH: $status $output"
}

@test "a failure inside the container before exec reports the child's real error with 125" {
	# /etc/passwd is a file: the child cannot make it its working directory.
	run minidock run --rootfs "$BUSYBOX" -w /etc/passwd/sub true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Not a directory"* ]] || fail "the child's error is lost: $output"
	[[ "$output" == *"/etc/passwd"* ]]
}

@test "mounts made in the container are not seen by the host" {
	local root before
	root=$(writable_rootfs)
	before=$(host_mounts)
	local flag=$BATS_TEST_TMPDIR/mounted
	# Mounting needs CAP_SYS_ADMIN, which lab 5 takes away by default: given back here.
	minidock run --cap-add SYS_ADMIN --rootfs "$root" sh -c "mount -t tmpfs leak /tmp && touch /tmp/inside && echo ok && sleep 30" >"$flag" &
	local md=$!
	wait_for_output "$md" "$flag" ok
	# While the container runs, its tmpfs must not show up here.
	[ "$(host_mounts)" = "$before" ] || fail "host mounts changed: $(diff <(echo "$before") <(host_mounts))"
	[ ! -e "$root/tmp/inside" ]
	kill -9 "$(container_pid "$md")"
	wait "$md" || true
	[ "$(host_mounts)" = "$before" ]
}

@test "nothing is left running after the container exits" {
	# (busybox sh says it cannot open /dev/null for the background jobs: no /dev before lab 2)
	run --separate-stderr minidock run --rootfs "$BUSYBOX" sh -c 'sleep 1234 & sleep 2345 & echo started'
	[ "$status" -eq 0 ]
	[ "$output" = started ]
	# The namespace's PID 1 is gone: the kernel killed the rest of the namespace with it.
	sleep 0.2
	run sh -c 'grep -l -e "^sleep$" /proc/[0-9]*/comm 2>/dev/null | while read -r f; do d=${f%/comm}; tr "\0" " " <"$d/cmdline"; echo; done'
	[[ "$output" != *1234* && "$output" != *2345* ]] || fail "left running: $output"
}
