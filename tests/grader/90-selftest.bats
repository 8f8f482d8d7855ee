#!/usr/bin/env bats
# Tests that misbehave on purpose, to check the grader (tests/grader.bats says what to expect).

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
	printf '%s\t%s\tminidock run --name stuck busybox sleep 600\n' "$up" "$root" >>/tmp/minidock-trace
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
	false
}

@test "crashes the VM" {
	echo 1 >/proc/sys/kernel/sysrq
	echo c >/proc/sysrq-trigger
}

@test "hangs the VM" {
	# Stop the runner: the VM is alive but says nothing more, as a hung VM would.
	local f
	for f in /proc/[0-9]*/cmdline; do
		if tr '\0' ' ' <"$f" 2>/dev/null | grep -q '^/bin/bash /grader/runner'; then
			kill -STOP "$(basename "$(dirname "$f")")"
		fi
	done
	sleep 600
}

@test "passes after the restarts" {
	true
}
