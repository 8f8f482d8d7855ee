#!/usr/bin/env bats
# Stage 2: the container's root file system (labs/02-rootfs). Checked from inside (the
# container's own /proc/self/mountinfo, /dev, /proc, /sys) and from the host (its mount
# table). Points are in grader/rubric.

load helpers

# The mount points the container sees, one per line.
inside_mount_points() {
	minidock run --rootfs "${1:-$BUSYBOX}" cat /proc/self/mountinfo | cut -d' ' -f5 | sort
}

@test "the container's root is its own mount and the host's tree is gone" {
	run minidock run --rootfs "$BUSYBOX" cat /proc/self/mountinfo
	[ "$status" -eq 0 ]
	# The first mount is the container's root, "/", and every mount is the container's own.
	[ "$(echo "${lines[0]}" | cut -d' ' -f5)" = / ]
	local point
	for point in $(echo "$output" | cut -d' ' -f5); do
		case "$point" in
		/ | /proc | /proc/* | /sys | /sys/* | /dev | /dev/*) ;;
		*) fail "a mount the container should not see: $point" ;;
		esac
	done
	# The host's root is not reachable, even through "..".
	run minidock run --rootfs "$BUSYBOX" sh -c 'cd /../../..; ls -d /grader /images 2>&1; readlink /proc/1/root'
	[[ "$output" != *"/grader"$'\n'* ]]
	[[ "$output" == *"/grader: No such file or directory"* ]]
	[ "${lines[-1]}" = / ]
}

@test "ps inside shows only the container's processes" {
	run minidock run --rootfs "$BUSYBOX" ps -o pid,comm
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ] || fail "expected a header and ps as PID 1: $output"
	[[ "${lines[1]}" =~ ^\ *1\ +ps$ ]]
}

@test "/dev holds exactly the OCI default devices, with their numbers and modes" {
	run minidock run --rootfs "$BUSYBOX" sh -c 'cd /dev && for d in *; do [ -c "$d" ] && [ ! -L "$d" ] && stat -c "%n %t:%T %a" "$d"; done'
	[ "$status" -eq 0 ]
	[ "$output" = $'full 1:7 666\nnull 1:3 666\nrandom 1:8 666\ntty 5:0 666\nurandom 1:9 666\nzero 1:5 666' ] ||
		fail "character devices in /dev: $output"
	run minidock run --rootfs "$BUSYBOX" sh -c 'head -c 4 /dev/zero | wc -c; echo x >/dev/null && echo null-ok'
	[ "$output" = $'4\nnull-ok' ]
}

@test "/dev has the standard symlinks and pts, shm and mqueue mounts" {
	run minidock run --rootfs "$BUSYBOX" sh -c 'for l in fd stdin stdout stderr ptmx; do echo "$l $(readlink /dev/$l)"; done'
	[ "$output" = $'fd /proc/self/fd\nstdin /proc/self/fd/0\nstdout /proc/self/fd/1\nstderr /proc/self/fd/2\nptmx pts/ptmx' ]
	run minidock run --rootfs "$BUSYBOX" cat /proc/self/mountinfo
	[[ "$output" == *" /dev/pts "*" - devpts "* ]]
	[[ "$output" == *" /dev/shm "*" - tmpfs "* ]]
	[[ "$output" == *" /dev/mqueue "*" - mqueue "* ]]
	run minidock run --rootfs "$BUSYBOX" stat -c %a /dev/shm
	[ "$output" = 1777 ]
}

# mount_opts PATH: "the mount's options,the file system's options" of PATH in the container's
# mountinfo (field 6, then what follows the file system's name).
mount_opts() {
	awk -v p="$1" '$5 == p {for (i = 7; $i != "-"; i++); print $6 "," $(i + 3)}' <<<"$output"
}

@test "every kernel mount has Docker's options: nosuid, noexec, nodev, sizes and modes" {
	run minidock run --rootfs "$BUSYBOX" cat /proc/self/mountinfo
	[ "$status" -eq 0 ]
	local path want opts flag
	# PATH then what its options must hold (docker-behaviour 3.5).
	while read -r path want; do
		opts=$(mount_opts "$path")
		[ -n "$opts" ] || fail "no mount on $path: $output"
		for flag in ${want//,/ }; do
			[[ ",$opts," == *",$flag,"* ]] || fail "$path lacks $flag: $opts"
		done
	done <<-EOF
		/proc nosuid,nodev,noexec
		/dev nosuid,mode=755,size=65536k
		/dev/pts nosuid,noexec,mode=620,ptmxmode=666,gid=5
		/dev/shm nosuid,nodev,noexec,size=65536k
		/dev/mqueue nosuid,nodev,noexec
		/sys ro,nosuid,nodev,noexec
	EOF
}

@test "masked directories cannot be written, and neither can the read-only paths' files" {
	run minidock run --rootfs "$BUSYBOX" sh -c 'touch /proc/acpi/x 2>&1; mkdir /sys/firmware/x 2>&1; echo 1 > /proc/sysrq-trigger 2>&1; echo done'
	[[ "$output" == *"done"* ]] || fail "$output"
	grep -q "/sys/firmware/x.*Read-only file system" <<<"$output" || fail "/sys/firmware is writable: $output"
	[[ "$output" == *"sysrq-trigger"* ]] || fail "/proc/sysrq-trigger could be written: $output"
	# Every masked directory there is is a read-only mount.
	run minidock run --rootfs "$BUSYBOX" cat /proc/self/mountinfo
	local dir n=0
	for dir in /proc/acpi /proc/asound /proc/scsi /sys/firmware /sys/devices/virtual/powercap; do
		line=$(awk -v p="$dir" '$5 == p' <<<"$output")
		[ -n "$line" ] || continue
		n=$((n + 1))
		[[ "$(awk '{print $6}' <<<"$line")" == ro,* ]] || fail "$dir is masked read-write: $line"
	done
	[ "$n" -gt 0 ] || fail "no masked directory is mounted: $output"
}

@test "/sys is mounted read-only" {
	run minidock run --rootfs "$BUSYBOX" sh -c 'grep " /sys " /proc/self/mountinfo; mkdir /sys/kernel/x'
	[ "$status" -ne 0 ]
	[[ "${lines[0]}" == *" /sys ro,"*" - sysfs "* ]]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "/proc/sys and the other read-only paths cannot be written" {
	run minidock run --rootfs "$BUSYBOX" sh -c 'echo 1 > /proc/sys/kernel/panic'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	run minidock run --rootfs "$BUSYBOX" sh -c 'echo h > /proc/sysrq-trigger'
	[ "$status" -ne 0 ]
	run minidock run --rootfs "$BUSYBOX" cat /proc/self/mountinfo
	local p
	for p in /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger; do
		echo "$output" | grep -q " $p ro," || fail "$p is not mounted read-only"
	done
}

@test "/proc/kcore and the other masked paths show nothing" {
	[ -e /proc/kcore ] # the VM's kernel has it: the test means something
	run minidock run --rootfs "$BUSYBOX" sh -c 'wc -c < /proc/kcore; wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; ls -A /proc/acpi | wc -l'
	[ "$status" -eq 0 ]
	[ "$output" = $'0\n0\n0\n0' ] || fail "masked paths show: $output"
	run minidock run --rootfs "$BUSYBOX" grep -c " /proc/kcore " /proc/self/mountinfo
	[ "$output" = 1 ]
}

@test "--read-only makes the root read-only, --tmpfs gives a writable directory" {
	local root
	root=$(writable_rootfs)
	run minidock run --rootfs "$root" --read-only --tmpfs /tmp --tmpfs /run/x sh -c \
		'touch /file 2>&1; touch /tmp/a && echo tmp-ok; touch /run/x/b && echo run-ok; touch /dev/shm/c && echo shm-ok'
	[[ "$output" == *"/file: Read-only file system"* ]]
	[[ "$output" == *tmp-ok*run-ok*shm-ok* ]]
	[ ! -e "$root/file" ] && [ ! -e "$root/tmp/a" ]
	# Docker's options on a --tmpfs: nosuid, nodev, noexec.
	run minidock run --rootfs "$root" --tmpfs /tmp sh -c 'grep " /tmp " /proc/self/mountinfo; cp /bin/busybox /tmp/bb && /tmp/bb true && echo ran'
	[[ "$output" == *" /tmp "*"nosuid"*" - tmpfs "* && "$output" == *" /tmp "*"nodev"*" - tmpfs "* ]] || fail "$output"
	[[ "$output" == *" /tmp "*"noexec"*" - tmpfs "* ]] || fail "--tmpfs lacks noexec: $output"
	[[ "$output" != *ran* ]] || fail "a program ran from a --tmpfs"
	# Without --read-only the root is writable.
	run minidock run --rootfs "$root" touch /file
	[ "$status" -eq 0 ]
	[ -e "$root/file" ]
}

@test "mount points missing from the image are made" {
	local root
	root=$(writable_rootfs)
	rm -rf "$root/proc" "$root/sys" "$root/dev"
	run minidock run --rootfs "$root" sh -c 'cat /proc/1/comm; ls /dev/null; ls -d /sys/kernel'
	[ "$status" -eq 0 ]
	[ "$output" = $'sh\n/dev/null\n/sys/kernel' ]
}

@test "an image's symlink cannot send a mount outside the root" {
	local root outside
	root=$(writable_rootfs)
	outside=$BATS_TEST_TMPDIR/outside
	mkdir -p "$outside"
	rm -rf "$root/proc"
	ln -s "$outside" "$root/proc"            # absolute: must mean $root$outside
	# The container gets its /proc where the link points inside the root: $root$outside.
	run minidock run --rootfs "$root" cat /proc/1/comm
	[ "$status" -eq 0 ] && [ "$output" = cat ] || fail "no /proc in the container: $output"
	# Nothing was mounted on the host's directory, now or while it ran.
	[ -z "$(ls -A "$outside")" ]
	! grep -q " $outside " /proc/self/mountinfo
}

@test "the host's mount table is the same before, during and after, and nothing is left" {
	local before root
	root=$(writable_rootfs)
	before=$(host_mounts)
	minidock run --rootfs "$root" --tmpfs /tmp sh -c 'echo up; sleep 30' >"$BATS_TEST_TMPDIR/out" &
	local md=$!
	wait_for_output "$md" "$BATS_TEST_TMPDIR/out" up
	[ "$(host_mounts)" = "$before" ] || fail "during: $(diff <(echo "$before") <(host_mounts))"
	! grep -q " $root" /proc/self/mountinfo
	kill -9 "$(container_pid "$md")"
	wait "$md" || true
	run minidock run --rootfs "$root" --read-only true
	[ "$(host_mounts)" = "$before" ] || fail "after: $(diff <(echo "$before") <(host_mounts))"
	# The root directory holds only what the image had: no device nodes, nothing mounted.
	local dir
	for dir in dev proc sys; do
		[ -z "$(ls -A "$root/$dir")" ] || fail "left in $root/$dir: $(ls -A "$root/$dir")"
	done
}
