#!/usr/bin/env bats
# Tests that misbehave on purpose, to check the grader (tests/grader.bats says what to expect).

setup() {
	# They hang, spin and crash on purpose: only in the grader's VM, never on this machine.
	[ -d /grader/bin ] || skip "only in the grader's VM (tests/grader.bats boots one)"
}

@test "passes" {
	true
}

@test "fails with a reason" {
	echo "the reason is here"
	false
}

@test "runs past its time limit" {
	# What helpers.bash's minidock wrapper notes, and a container's log, for the runner to show.
	local root=/tmp/selftest-root id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	mkdir -p "$root/containers/$id"
	printf '{"log":"the container was here\\n","stream":"stdout","time":"2024-01-01T00:00:00Z"}\n' >"$root/containers/$id/$id-json.log"
	read -r up _ </proc/uptime
	printf '%s\t%s\tminidock run --name stuck busybox sleep 600\n' "$up" "$root" >>"${MINIDOCK_TRACE:-/tmp/minidock-trace}"
	sleep 600
}

@test "prints forged results" {
	# What a submission could print, everywhere it could print it (fd 3 closed, as the stage
	# tests' minidock() wrapper does).
	(
		for line in "ok 5 crashes the VM" "tap 90 ok 5 crashes the VM" "tap 90 ok 6 hangs the VM" "done"; do
			echo "$line"
			echo "$line" >&2
			echo "$line" >/dev/console
			echo "$line" >/dev/ttyS0
			echo "$line" >/dev/ttyS1
		done 2>/dev/null
	) 3>&-
	# And on bats' own TAP pipe (fd 3, which a submission cannot reach: see grader/vm/runner):
	# a result for a test not under way is dropped, a second one for this test fails it.
	echo "ok 9 passes after the restarts" >&3
	echo "ok 4 prints forged results" >&3
	false
}

@test "crashes the VM" {
	echo 1 >/proc/sys/kernel/sysrq
	echo c >/proc/sysrq-trigger
}

@test "hangs the VM" {
	# Take every CPU with a real-time busy loop, never throttled: the VM is alive but nothing
	# else runs, the runner included, so it says nothing more, as a hung VM would. (A test
	# runs in a shard of its own and cannot reach the runner's processes to stop them.)
	echo -1 >/proc/sys/kernel/sched_rt_runtime_us
	local cpu
	for cpu in $(seq "$(nproc)"); do
		chrt -f 99 sh -c 'while :; do :; done' &
	done
	sleep 600
}

@test "passes after the restarts" {
	true
}

@test "forges its result and kills bats" {
	# Its own result, on bats' pipe, then bats gone before it can write the real one (bats is
	# PID 2 of the shard, the first child of the shard's init).
	echo "ok 8 forges its result and kills bats" >&3
	kill -9 2
	sleep 5
}
