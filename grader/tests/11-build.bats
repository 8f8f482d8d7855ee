#!/usr/bin/env bats
# Stage 11: building images (labs/11-build). Dockerfile steps, layers as the diff of each step
# (whiteouts, opaque directories), the build cache, reproducible layers, COPY and ADD, multi-stage
# builds, history, commit and image save. Points are in grader/rubric.

load helpers

setup_file() {
	shared_state_setup_file
}

setup() {
	shared_state_setup
	export CTX=$BATS_TEST_TMPDIR/ctx
	mkdir -p "$CTX/sub"
	echo hello >"$CTX/a.txt"
	echo two >"$CTX/sub/b.txt"
}

teardown() {
	remove_all_containers
	common_teardown
}

# The layer tars of an image, saved (docker format) and unpacked into DIR, in order, one a line.
saved_layers() {
	local image=$1 dir=$2
	mkdir -p "$dir"
	minidock image save -o "$dir.tar" "$image" || return 1
	tar xf "$dir.tar" -C "$dir" || return 1
	sed -e 's/.*"Layers":\[//' -e 's/\].*//' -e 's/"//g' -e 's/,/\n/g' "$dir/manifest.json"
}

@test "build runs each step: Step N/M, RUN's output, ENV, WORKDIR, --build-arg, and the image runs its CMD" {
	cat >"$CTX/Dockerfile" <<-'EOF'
	FROM busybox
	ARG WHO=world
	ENV GREETING=hi
	WORKDIR /app
	COPY a.txt .
	RUN echo "$GREETING $WHO" >/app/out && echo "step output: $WHO"
	CMD ["cat", "/app/out"]
	EOF
	run minidock build -t demo:1 --build-arg WHO=class "$CTX"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Step 1/7 : FROM busybox"* ]] || fail "no Step 1/7 line"
	[[ "$output" == *"Step 6/7 : RUN echo"* ]] || fail "no Step 6/7 line"
	[[ "$output" == *"step output: class"* ]] || fail "RUN's output is not shown"
	[[ "$output" == *"Successfully tagged demo:1"* ]] || fail "not tagged"
	run minidock run --rm demo:1
	[ "$output" = "hi class" ]
	run minidock run --rm demo:1 pwd
	[ "$output" = "/app" ]
	run minidock run --rm demo:1 cat a.txt
	[ "$output" = "hello" ]
	# ARG is the build's, not the image's; ENV is both
	run minidock run --rm demo:1 env
	[[ "$output" == *"GREETING=hi"* ]]
	[[ "$output" != *"WHO="* ]] || fail "ARG WHO leaked into the image's environment"
	run minidock image inspect -f '{{json .Config.Cmd}} {{len .RootFS.Layers}}' demo:1
	[ "$output" = '["cat","/app/out"] 3' ]
}

@test "each layer is its step's diff: a deleted file is a whiteout, a directory made again is opaque" {
	cat >"$CTX/Dockerfile" <<-'EOF'
	FROM busybox
	RUN mkdir -p /data/old && touch /data/old/f /data/keep
	RUN rm /bin/vi && rm -rf /data/old && mkdir /data/old && touch /data/old/new
	EOF
	minidock build -q -t wh "$CTX" >/dev/null
	run minidock run --rm wh ls /bin/vi
	[ "$status" -ne 0 ] || fail "/bin/vi is still there"
	run minidock run --rm wh ls /data/old
	[ "$output" = "new" ] || fail "/data/old holds: $output"
	run saved_layers wh "$BATS_TEST_TMPDIR/wh"
	[ "$status" -eq 0 ]
	local last
	last=$(echo "$output" | tail -n 1)
	run tar tvf "$BATS_TEST_TMPDIR/wh/$last"
	[[ "$output" == *"bin/.wh.vi"* ]] || fail "no whiteout bin/.wh.vi in the last layer: $output"
	[[ "$output" == *"data/old/.wh..wh..opq"* ]] || fail "no opaque marker in data/old/"
	[[ "$output" == *"data/old/new"* ]]
	[[ "$output" != *"data/keep"* ]] || fail "the last layer holds a file of the step before"
	# numeric owners, no user names
	[[ "$output" == *"0/0"* || "$output" == *"root/root"* ]]
}

@test "the cache: an unchanged rebuild runs nothing, a changed file invalidates from its COPY on, --no-cache runs all" {
	cat >"$CTX/Dockerfile" <<-'EOF'
	FROM busybox
	RUN echo "ran-""first"
	COPY a.txt /a.txt
	RUN echo "ran-""second"
	EOF
	local first second
	minidock build -t cache:1 "$CTX" >/dev/null
	first=$(minidock image inspect -f '{{.Id}}' cache:1)
	run minidock build -t cache:1 "$CTX"
	[ "$status" -eq 0 ]
	[[ "$output" != *"ran-first"* && "$output" != *"ran-second"* ]] || fail "a cached step ran again"
	[ "$(echo "$output" | grep -c 'Using cache')" -eq 3 ]
	second=$(minidock image inspect -f '{{.Id}}' cache:1)
	[ "$first" = "$second" ]
	echo changed >"$CTX/a.txt"
	run minidock build -t cache:2 "$CTX"
	[[ "$output" != *"ran-first"* ]] || fail "the step before the COPY ran again"
	[[ "$output" == *"ran-second"* ]] || fail "the step after a changed COPY came from the cache"
	run minidock run --rm cache:2 cat /a.txt
	[ "$output" = "changed" ]
	run minidock build --no-cache -t cache:3 "$CTX"
	[[ "$output" == *"ran-first"* && "$output" != *"Using cache"* ]]
}

@test "reproducible: with SOURCE_DATE_EPOCH two builds in two stores give the same layers and the same image id" {
	cat >"$CTX/Dockerfile" <<-'EOF'
	FROM busybox
	COPY sub /sub
	RUN mkdir /made && echo x >/made/file && touch /made/later
	EOF
	local one two
	SOURCE_DATE_EPOCH=1700000000 minidock build -q -t rep "$CTX" >/dev/null
	one=$(minidock image inspect -f '{{.Id}} {{json .RootFS.Layers}}' rep)
	sleep 1
	export MINIDOCK_ROOT=$BATS_TEST_TMPDIR/other
	minidock image load -i "$IMAGES/busybox-oci.tar" >/dev/null
	touch "$CTX/sub/b.txt"
	SOURCE_DATE_EPOCH=1700000000 minidock build -q -t rep "$CTX" >/dev/null
	two=$(minidock image inspect -f '{{.Id}} {{json .RootFS.Layers}}' rep)
	[ -n "$one" ] && [ "$one" = "$two" ] || fail "different: $one / $two"
	# the times after the epoch are the epoch
	run saved_layers rep "$BATS_TEST_TMPDIR/rep"
	run tar tvf "$BATS_TEST_TMPDIR/rep/$(echo "$output" | tail -n 1)"
	[[ "$output" == *"2023-11-14"* ]] || fail "times not clamped: $output"
}

@test "COPY and ADD: .dockerignore, globs, --chown, a directory's contents, links kept inside the context, tars unpacked" {
	printf 'secret.txt\n*.log\n!keep.log\n' >"$CTX/.dockerignore"
	echo s >"$CTX/secret.txt"
	echo l >"$CTX/drop.log"
	echo k >"$CTX/keep.log"
	echo x >"$CTX/x1.md"
	echo y >"$CTX/x2.md"
	ln -s /etc/hostname "$CTX/sub/link"
	ln -s /etc/passwd "$CTX/outside"
	mkdir -p "$BATS_TEST_TMPDIR/t/inner"
	echo packed >"$BATS_TEST_TMPDIR/t/inner/p.txt"
	tar czf "$CTX/pack.tgz" -C "$BATS_TEST_TMPDIR/t" inner
	cat >"$CTX/Dockerfile" <<-'EOF'
	FROM busybox
	COPY *.md /md/
	COPY sub /dst
	COPY --chown=1000:2000 a.txt /owned
	COPY *.log /logs/
	ADD pack.tgz /unpacked
	EOF
	run minidock build -t cp "$CTX"
	[ "$status" -eq 0 ]
	run minidock run --rm cp sh -c 'ls /md; ls /dst; stat -c "%u:%g" /owned; ls /logs; ls -l /dst/link; cat /unpacked/inner/p.txt'
	[[ "$output" == *"x1.md"*"x2.md"* ]]
	[[ "$output" == *"b.txt"* ]] || fail "a directory's contents were not copied into /dst"
	[[ "$output" == *"1000:2000"* ]]
	[[ "$output" == *"keep.log"* && "$output" != *"drop.log"* ]] || fail ".dockerignore not applied"
	[[ "$output" == *"link -> /etc/hostname"* ]] || fail "a link in a directory was followed or lost"
	[[ "$output" == *"packed"* ]] || fail "ADD did not unpack the archive"
	printf 'FROM busybox\nCOPY secret.txt /\n' >"$CTX/Dockerfile"
	run minidock build "$CTX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Dockerfile line 2"*"secret.txt"* ]]
	# a link in the image to a host path: COPY through it stays in the image's root
	printf 'FROM busybox\nRUN ln -s %s /link\nCOPY a.txt /link/\n' "$BATS_TEST_TMPDIR/host-side" >"$CTX/Dockerfile"
	run minidock build -t through "$CTX"
	[ "$status" -eq 0 ]
	[ ! -e "$BATS_TEST_TMPDIR/host-side" ] || fail "COPY wrote on the host through the image's link"
	run minidock run --rm through cat "$BATS_TEST_TMPDIR/host-side/a.txt"
	[ "$output" = "hello" ] || fail "the file is not inside the image: $output"
	# a path or a link out of the context reaches nothing outside it
	printf 'FROM busybox\nCOPY ../../../../etc/passwd /p\n' >"$CTX/Dockerfile"
	run minidock build "$CTX"
	[ "$status" -ne 0 ] || fail "a path out of the context was copied"
	printf 'FROM busybox\nCOPY outside /p\n' >"$CTX/Dockerfile"
	run minidock build "$CTX"
	[ "$status" -ne 0 ] || fail "a link to /etc/passwd of the host was followed"
}

@test "multi-stage: COPY --from an earlier stage into FROM scratch, and --target stops at a stage" {
	cat >"$CTX/Dockerfile" <<-'EOF'
	FROM busybox AS builder
	RUN echo built >/result
	FROM busybox AS other
	RUN echo other-stage-ran
	FROM scratch
	COPY --from=builder /bin/busybox /bin/sh
	COPY --from=0 /result /result
	CMD ["/bin/sh", "-c", "cat /result"]
	EOF
	run minidock build -t ms "$CTX"
	[ "$status" -eq 0 ]
	run minidock run --rm ms
	[ "$output" = "built" ]
	run minidock image inspect -f '{{len .RootFS.Layers}}' ms
	[ "$output" = "2" ] || fail "a scratch image with two COPYs has $output layers"
	run minidock build --target builder -t ms:builder "$CTX"
	[ "$status" -eq 0 ]
	[[ "$output" != *"other-stage-ran"* && "$output" == *"Step 2/2"* ]] || fail "--target did not stop"
	run minidock run --rm ms:builder cat /result
	[ "$output" = "built" ]
}

@test "history lists the steps newest first with their sizes; commit makes an image of a container's changes" {
	printf 'FROM busybox\nENV A=1\nRUN echo x >/x\nCMD ["sh"]\n' >"$CTX/Dockerfile"
	minidock build -q -t hist "$CTX" >/dev/null
	run minidock history --no-trunc hist
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *"CMD [\"sh\"]"* ]] || fail "the newest step is not first: ${lines[1]}"
	[[ "${lines[2]}" == *"/bin/sh -c echo x >/x"* ]]
	[[ "${lines[3]}" == *"ENV A=1"* ]]
	# a config step has no layer (0B); RUN's layer is a few kB (1024 bytes of tar end at least)
	[[ "${lines[1]}" == *" 0B "* ]] || fail "CMD's step shows a layer: ${lines[1]}"
	[[ "${lines[3]}" == *" 0B "* ]] || fail "ENV's step shows a layer: ${lines[3]}"
	[[ "${lines[2]}" == *"kB "* ]] || fail "RUN's layer has no size: ${lines[2]}"
	minidock run --name c1 busybox sh -c 'echo made >/made; rm /bin/ls'
	run minidock commit -m "a note" -c 'CMD ["cat", "/made"]' c1 snap:1
	[ "$status" -eq 0 ]
	run minidock run --rm snap:1
	[ "$output" = "made" ]
	run minidock run --rm snap:1 ls /bin/ls
	[ "$status" -ne 0 ] || fail "a file the container deleted is back in the committed image"
	run minidock history snap:1
	[[ "${lines[1]}" == *"a note"* ]]
	run minidock commit -c 'FROM busybox' c1 bad:1
	[ "$status" -ne 0 ]
	run minidock commit nosuch x:1
	[ "$status" -ne 0 ]
}

@test "image save: docker and OCI archives whose layers match their digests load back into another store and run" {
	printf 'FROM busybox\nRUN echo saved >/s\nCMD ["cat", "/s"]\n' >"$CTX/Dockerfile"
	minidock build -q -t keep:1 "$CTX" >/dev/null
	run saved_layers keep:1 "$BATS_TEST_TMPDIR/d"
	[ "$status" -eq 0 ]
	local l config
	# every layer's bytes hash to the diff id the archive's config names
	config=$(sed -e 's/.*"Config":"//' -e 's/".*//' "$BATS_TEST_TMPDIR/d/manifest.json")
	for l in $output; do
		grep -q "sha256:$(sha256sum "$BATS_TEST_TMPDIR/d/$l" | cut -d' ' -f1)" "$BATS_TEST_TMPDIR/d/$config" ||
			fail "layer $l does not match its diff_id"
	done
	[ "$(sha256sum "$BATS_TEST_TMPDIR/d/$config" | cut -d' ' -f1).json" = "$config" ]
	minidock image save --format oci -o "$BATS_TEST_TMPDIR/o.tar" keep:1
	mkdir "$BATS_TEST_TMPDIR/o"
	tar xf "$BATS_TEST_TMPDIR/o.tar" -C "$BATS_TEST_TMPDIR/o"
	for l in "$BATS_TEST_TMPDIR"/o/blobs/sha256/*; do
		[ "$(sha256sum "$l" | cut -d' ' -f1)" = "$(basename "$l")" ] || fail "blob $l does not match its name"
	done
	grep -q '"io.containerd.image.name":"keep:1"' "$BATS_TEST_TMPDIR/o/index.json"
	# another tool reads it: umoci checks each digest as it unpacks
	umoci unpack --image "$BATS_TEST_TMPDIR/o:1" "$BATS_TEST_TMPDIR/bundle" >/dev/null
	[ "$(cat "$BATS_TEST_TMPDIR/bundle/rootfs/s")" = "saved" ]
	export MINIDOCK_ROOT=$BATS_TEST_TMPDIR/other
	minidock image load -i "$BATS_TEST_TMPDIR/d.tar"
	run minidock run --rm keep:1
	[ "$output" = "saved" ]
	export MINIDOCK_ROOT=$BATS_TEST_TMPDIR/third
	minidock image load -i "$BATS_TEST_TMPDIR/o.tar"
	run minidock run --rm keep:1
	[ "$output" = "saved" ]
}

@test "a failed build names its line and leaves nothing: no container, mount or temporary files; RUN has no network" {
	local before
	before=$(host_mounts)
	printf 'FROM busybox\nRUN echo before\nRUN exit 3\n' >"$CTX/Dockerfile"
	run minidock build "$CTX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Dockerfile line 3"*"returned a non-zero code: 3"* ]]
	printf 'FROM busybox\nFROBNICATE x\n' >"$CTX/Dockerfile"
	run minidock build "$CTX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"line 2"* ]]
	run minidock build "$BATS_TEST_TMPDIR/nowhere"
	[ "$status" -ne 0 ]
	[ -z "$(minidock ps -a -q)" ] || fail "a step's container was left"
	[ "$(host_mounts)" = "$before" ] || fail "a mount was left"
	[ -z "$(ls -A "$MINIDOCK_ROOT/tmp" 2>/dev/null)" ] || fail "left in tmp: $(ls "$MINIDOCK_ROOT/tmp")"
	# a RUN step has only a loopback, and lab 5's capabilities
	printf 'FROM busybox\nRUN ls /sys/class/net && grep CapEff /proc/self/status\n' >"$CTX/Dockerfile"
	run minidock build --no-cache "$CTX"
	[ "$status" -eq 0 ]
	[[ "$output" == *"lo"* && "$output" != *"eth0"* ]]
	[[ "$output" == *"CapEff:	00000000a80425fb"* ]] || fail "RUN's capabilities are not Docker's default set"
}
