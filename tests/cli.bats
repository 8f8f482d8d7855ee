#!/usr/bin/env bats
# minidock's command-line front end (lib/cli.c, lib/cmd_*.c): help, usage errors, exit codes.
# These need no lab: they run the handout's build.

setup() {
	MD=build/labs/minidock
}

@test "cli: minidock --help and help list the commands" {
	run $MD --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Commands:"*"run"* ]]
	run $MD help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Commands:"* ]]
	run $MD
	[ "$status" -eq 0 ]
}

@test "cli: minidock run --help and help run describe run's options" {
	run $MD run --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage:  minidock run"*"IMAGE"*"--rootfs"*"--hostname"*"--env"*"--workdir"* ]]
	run $MD help run
	[ "$status" -eq 0 ]
	[[ "$output" == *"--rootfs"* ]]
}

@test "cli: an unknown command is an error naming it" {
	run $MD frobnicate
	[ "$status" -eq 1 ]
	[[ "$output" == *"'frobnicate' is not a minidock command"* ]]
	run $MD help frobnicate
	[ "$status" -eq 1 ]
}

@test "cli: an unknown flag of run exits 125 with a usage hint, as Docker" {
	run $MD run --bogus --rootfs / true
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown flag: --bogus"*"See 'minidock run --help'."* ]]
	run $MD --bogus
	[ "$status" -eq 125 ]
}

@test "cli: run without an image, without a command or with a missing argument exits 125" {
	run $MD run
	[ "$status" -eq 125 ]
	[[ "$output" == *"requires an image (or --rootfs DIR)"* ]]
	run $MD --root "$BATS_TEST_TMPDIR/state" run no-such-image
	[ "$status" -eq 125 ]
	[[ "$output" == *"No such image: no-such-image"* ]]
	run $MD run --rootfs /
	[ "$status" -eq 125 ]
	[[ "$output" == *"requires a command"* ]]
	run $MD run --rootfs
	[ "$status" -eq 125 ]
	[[ "$output" == *"needs an argument"* ]]
}

@test "cli: a missing or non-directory rootfs, a bad host name or workdir exit 125 and say why" {
	run $MD run --rootfs /no/such/dir true
	[ "$status" -eq 125 ]
	[[ "$output" == *'rootfs "/no/such/dir": No such file or directory'* ]]
	run $MD run --rootfs /etc/passwd true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Not a directory"* ]]
	run $MD run --rootfs / --hostname 'bad name' true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid hostname"* ]]
	run $MD run --rootfs / -w relative true
	[ "$status" -eq 125 ]
	[[ "$output" == *"absolute path"* ]]
}

@test "cli: --version and version print the version" {
	run $MD --version
	[ "$status" -eq 0 ]
	[[ "$output" == "minidock version "* ]]
	run $MD version
	[[ "$output" == "minidock version "* ]]
}

@test "cli: every container command has --help, and refuses unknown flags and missing arguments with 125" {
	local cmd
	for cmd in create start ps logs exec stop kill rm wait restart inspect container network port system; do
		run $MD $cmd --help
		[ "$status" -eq 0 ] || { echo "$cmd --help: $output"; return 1; }
		[[ "$output" == *"Usage:  minidock $cmd"* ]]
		run $MD $cmd --bogus x
		[ "$status" -eq 125 ] || { echo "$cmd --bogus: $status $output"; return 1; }
	done
	for cmd in start logs exec stop kill rm wait restart inspect port; do
		run $MD $cmd
		[ "$status" -eq 125 ] || { echo "$cmd without arguments: $status $output"; return 1; }
		[[ "$output" == *"See 'minidock $cmd --help'."* ]]
	done
}

@test "cli: bad values are usage errors: a signal, a timeout, a tail, a name" {
	export MINIDOCK_ROOT=$BATS_TEST_TMPDIR/state
	run $MD kill -s SIGNOPE c
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid signal: SIGNOPE"* ]]
	run $MD stop -t soon c
	[ "$status" -eq 125 ]
	run $MD logs --tail -3 c
	[ "$status" -eq 125 ]
	run $MD run -d --rootfs / --name 'no/slash' true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Invalid container name (no/slash)"* ]]
	[ -z "$(ls -A "$MINIDOCK_ROOT/containers" 2>/dev/null)" ]
}

@test "cli: a container that does not exist is an error naming it, exit 1; ps of none is a header" {
	export MINIDOCK_ROOT=$BATS_TEST_TMPDIR/state
	local cmd
	for cmd in start logs stop kill rm wait restart inspect; do
		run $MD $cmd nosuch
		[ "$status" -eq 1 ] || { echo "$cmd nosuch: $status $output"; return 1; }
		[[ "$output" == *"No such container: nosuch"* ]]
	done
	run $MD exec nosuch true
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such container: nosuch"* ]]
	run $MD ps -a
	[ "$status" -eq 0 ]
	[ "$output" = "CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS    PORTS     NAMES" ] ||
		[[ "$output" == "CONTAINER ID"*"NAMES" && "${#lines[@]}" -eq 1 ]]
	run $MD container prune -f
	[ "$status" -eq 0 ]
	[[ "$output" == "Deleted Containers:"* ]]
}

@test "cli: network commands refuse bad input: a subnet, a gateway, a driver, -p, a built-in network" {
	export MINIDOCK_ROOT=$BATS_TEST_TMPDIR/state
	run $MD network create --subnet 10.1.0.0/33 bad
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid subnet"* ]]
	run $MD network create --subnet 10.1.0.0/24 --gateway 10.2.0.1 bad
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid gateway"* ]]
	run $MD network create -d overlay bad
	[ "$status" -eq 125 ]
	run $MD network create 'a/b'
	[ "$status" -eq 125 ]
	run $MD network rm bridge
	[ "$status" -eq 1 ]
	[[ "$output" == *"pre-defined network"* ]]
	run $MD network rm nosuch
	[[ "$output" == *"network nosuch not found"* ]]
	run $MD network ls
	[[ "$output" == *"bridge"*"host"*"none"* ]]
	for p in 0 65536 80/sctp x:80 1.2.3:80:80; do
		run $MD run --rm -p "$p" --rootfs / true
		[ "$status" -eq 125 ] || { echo "-p $p: $status $output"; return 1; }
	done
	run $MD system prune -f
	[ "$status" -eq 0 ]
	[[ "$output" == *"Deleted Containers:"*"Deleted Networks:"* ]]
}
