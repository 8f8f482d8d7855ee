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
