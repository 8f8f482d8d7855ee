# helpers.bash - shared by the stage tests (load it with `load helpers`).
#
# Tests run as root inside the grader VM, one bats file per stage. minidock is on PATH (the
# submission's build for this stage), the test images are under $IMAGES.

bats_require_minimum_version 1.5.0 # run -N, run --separate-stderr

export BUSYBOX=$IMAGES/busybox/rootfs

# Every test runs minidock (and minidockd) through this wrapper, first on PATH. Bats writes its
# TAP results on fd 3, so the submission's minidock must not inherit fd 3: whatever it prints
# stays the test's output. (A wrapper that execs keeps minidock's PID, which `cmd &` tests rely
# on.) It runs without three capabilities that no lab needs and that would let a submission
# reach past the grader (grader/vm/runner): SYS_RAWIO (the serial ports' registers), SYS_MODULE
# and SYS_BOOT (another kernel). Tests that compare with the host's capabilities use capbnd.
# (Not SYS_PTRACE, though it opens bats' files: `exec` into a container of another user needs it.)
export MINIDOCK_DROP=-sys_rawio,-sys_module,-sys_boot
if [ -z "${MINIDOCK_REAL:-}" ]; then
	export MINIDOCK_REAL
	MINIDOCK_REAL=$(command -v minidock)
	mkdir -p "$BATS_RUN_TMPDIR/wrap"
	# It also notes each command, its state directory and when it began in /tmp/minidock-trace,
	# where the runner finds what a test that ran out of time was doing.
	for name in minidock minidockd; do
		cat >"$BATS_RUN_TMPDIR/wrap/$name" <<-WRAP
			#!/bin/sh
			read -r up _ </proc/uptime
			printf '%s\t%s\t$name %s\n' "\$up" "\${MINIDOCK_ROOT:-/var/lib/minidock}" "\$*" >>"\${MINIDOCK_TRACE:-/tmp/minidock-trace}" 2>/dev/null
			exec /usr/bin/setpriv --bounding-set "\$MINIDOCK_DROP" -- "$(dirname "$MINIDOCK_REAL")/$name" "\$@" 3>&-
		WRAP
		chmod +x "$BATS_RUN_TMPDIR/wrap/$name"
	done
	export PATH="$BATS_RUN_TMPDIR/wrap:$PATH"
fi

# capbnd: the capability bounding set (hex) minidock runs with: the most a container may have.
capbnd() {
	/usr/bin/setpriv --bounding-set "$MINIDOCK_DROP" -- grep CapBnd /proc/self/status | cut -f2
}

# A private, writable copy of the busybox root, for tests that change it.
writable_rootfs() {
	local dir=$BATS_TEST_TMPDIR/rootfs
	cp -a "$BUSYBOX" "$dir"
	echo "$dir"
}

# The PIDs of the children of process $1 (field 4 of /proc/PID/stat, after "pid (comm)").
children_of() {
	awk -v parent="$1" '{pid = $1; sub(/^.*\) /, ""); if ($2 == parent) print pid}' \
		/proc/[0-9]*/stat 2>/dev/null
	return 0
}

# wait_for CMD...: retry CMD for up to 10 s.
wait_for() {
	local i
	for i in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

# The container process of the minidock whose PID is $1: its child, or from lab 4 on, the
# child of its child the container's monitor (named minidock-mon). Fails at once if minidock
# ends first.
container_pid() {
	local i child
	for i in $(seq 100); do
		child=$(children_of "$1" | head -n 1)
		if [ -n "$child" ] && [ "$(cat "/proc/$child/comm" 2>/dev/null)" = minidock-mon ]; then
			child=$(children_of "$child" | head -n 1)
		fi
		[ -n "$child" ] && { echo "$child"; return 0; }
		kill -0 "$1" 2>/dev/null || { fail "minidock (pid $1) exited before its container showed up"; return 1; }
		sleep 0.1
	done
	fail "no container process under minidock (pid $1) after 10 s"
}

# wait_for_output PID FILE TEXT: wait until FILE holds TEXT, while process PID lives.
wait_for_output() {
	local i
	for i in $(seq 100); do
		grep -q "$3" "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || { grep -q "$3" "$2" 2>/dev/null && return 0;
			fail "minidock (pid $1) exited before printing \"$3\": $(cat "$2")"; return 1; }
		sleep 0.1
	done
	fail "\"$3\" did not show up in 10 s: $(cat "$2")"
}

# The mount table, without the fields that change between reads.
host_mounts() {
	cut -d' ' -f4-5,9- /proc/self/mountinfo | sort
}

# Print a message and fail (use after a check that bats would not show).
fail() {
	echo "$*" >&2
	return 1
}

# Stages 4, 6 and 7 share one state directory per file, with the busybox image loaded once:
# their setup_file, setup and teardown call these.
shared_state_setup_file() {
	export MINIDOCK_ROOT=$BATS_FILE_TMPDIR/state
	minidock image load -i "$IMAGES/busybox-oci.tar" >/dev/null
}

shared_state_setup() {
	export MINIDOCK_ROOT=$BATS_FILE_TMPDIR/state
}

# Every container a test made goes, whatever the test did.
remove_all_containers() {
	local ids
	ids=$(minidock ps -a -q 2>/dev/null) || true
	[ -z "$ids" ] || minidock rm -f $ids >/dev/null 2>&1 || true
}

# What every test's teardown does; a file with a teardown of its own calls it last.
common_teardown() {
	# When a test fails after `run`, show what the command said: that is the reason a student
	# needs ("not implemented yet: lab 1, ...", "exec: ... not found").
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${output:-}" ]; then
		echo "the last command (exit ${status:-?}) said: ${output:0:6000}"
	fi
	# Whatever a failed test left in the background.
	local job
	for job in $(jobs -p); do
		kill -9 "$job" 2>/dev/null
	done
	return 0
}

teardown() {
	common_teardown
}
