#!/usr/bin/env bats
# Stage 3: images (labs/03-images). Loading OCI layouts and docker-save archives into the
# content-addressed store, running them on overlayfs, and refusing bad images without changing
# the store. Fixtures: $IMAGES (rootfs/mkimages.sh) and $IMAGES/fixtures (rootfs/mkfixtures.py).
# Points are in grader/rubric.

load helpers

setup() {
	export MINIDOCK_ROOT=$BATS_TEST_TMPDIR/state
	FIX=$IMAGES/fixtures
}

# load FILE: minidock image load, which must succeed.
load_ok() {
	run minidock image load -i "$1"
	[ "$status" -eq 0 ] || fail "loading $1 failed: $output"
}

# The store, as a listing of every path and each file's checksum.
store_snapshot() {
	(cd "$MINIDOCK_ROOT" && find . -path ./lock -prune -o -print | sort &&
		find . -type f ! -name lock -exec sha256sum {} + | sort)
}

# refused FIXTURE WORDS: loading it fails, saying WORDS, and the store is as it was.
refused() {
	load_ok "$IMAGES/busybox-oci.tar"
	local before
	before=$(store_snapshot)
	run minidock image load -i "$FIX/$1"
	[ "$status" -ne 0 ] || fail "minidock loaded $1"
	[[ "$output" == *"$2"* ]] || fail "the message does not say \"$2\": $output"
	[ "$(store_snapshot)" = "$before" ] || fail "the store changed: $(diff <(echo "$before") <(store_snapshot))"
	# Nothing escaped the store either.
	[ ! -e /escape ] && [ ! -e /abs-escape ] && [ ! -e /tmp/escape ] && [ ! -e "$MINIDOCK_ROOT/escape" ]
}

@test "an OCI image layout directory loads and runs" {
	run minidock image load -i "$IMAGES/busybox/oci"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: busybox:latest" ]
	run minidock run busybox echo hello from an image
	[ "$status" -eq 0 ]
	[ "$output" = "hello from an image" ]
	# Its root is an overlay of the image's layer, in the container's namespace only.
	run minidock run busybox grep " / " /proc/self/mountinfo
	[[ "$output" == *" - overlay overlay "*"lowerdir=$MINIDOCK_ROOT/layers/"* ]]
	! grep -q overlay /proc/self/mountinfo
}

@test "an OCI layout tar with gzip layers loads" {
	load_ok "$IMAGES/busybox-oci.tar"
	[ "$output" = "Loaded image: busybox:latest" ]
	run minidock run busybox:latest sh -c 'ls /bin/busybox'
	[ "$output" = /bin/busybox ]
}

@test "a docker-save archive as Docker 25+ writes it loads" {
	load_ok "$IMAGES/layers-docker.tar"
	[ "$output" = "Loaded image: layers:latest" ]
	run minidock run layers
	[ "$output" = "hello from layer 3" ]
}

@test "a classic docker-save archive loads" {
	load_ok "$IMAGES/busybox-docker-classic.tar"
	[ "$output" = "Loaded image: busybox:latest" ]
	run minidock run busybox true
	[ "$status" -eq 0 ]
}

@test "a layer two images share is unpacked once, its tar kept beside it" {
	load_ok "$IMAGES/busybox-oci.tar"
	load_ok "$IMAGES/layers-oci.tar"
	# busybox has one layer, layers three, the first the same: three directories in all.
	[ "$(ls "$MINIDOCK_ROOT/layers" | wc -l)" -eq 3 ]
	# Layers are named by diff id: the sha256 of the uncompressed tar.
	local first
	first=$(tar -xOf "$IMAGES/busybox-docker.tar" manifest.json | sed 's/.*"Layers":\["blobs\/sha256\/\([0-9a-f]*\)".*/\1/')
	[ -d "$MINIDOCK_ROOT/layers/$first" ]
	# and each layer's tar, whose bytes are its diff id (what save and push send, labs 11-12)
	local layer
	for layer in $(ls "$MINIDOCK_ROOT/layers"); do
		[ "$(sha256sum "$MINIDOCK_ROOT/blobs/sha256/$layer" | cut -d' ' -f1)" = "$layer" ] ||
			fail "layer $layer: no tar in blobs/sha256, or not its bytes"
	done
}

@test "whiteouts and opaque directories hide what lower layers hold" {
	load_ok "$IMAGES/layers-oci.tar"
	run minidock run layers sh -c 'ls -A /data; echo --; ls -A /data/dir'
	[ "$status" -eq 0 ]
	[ "$output" = $'dir\nkeep\n--\nnew' ] || fail "got: $output"
	# On disk, overlayfs's own form of a whiteout: a 0:0 character device; and no .wh. file.
	run sh -c "for f in $MINIDOCK_ROOT/layers/*/data/gone; do [ -c \"\$f\" ] && stat -c %t:%T \"\$f\"; done"
	[ "$output" = 0:0 ] || fail "no 0:0 character device for data/gone in the layers: $output"
	[ -z "$(find "$MINIDOCK_ROOT/layers" -name '.wh.*')" ] || fail "whiteout files left as files"
}

@test "the image's Cmd, Env and WorkingDir apply, and run's arguments, -e and -w override them" {
	load_ok "$IMAGES/layers-oci.tar"
	run minidock run layers
	[ "$output" = "hello from layer 3" ]
	run minidock run layers sh -c 'pwd; echo $LAYERS; echo $PATH'
	[ "$output" = $'/data\n3\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' ]
	run minidock run -e LAYERS=9 -w /tmp layers sh -c 'pwd; echo $LAYERS'
	[ "$output" = $'/tmp\n9' ]
}

@test "Entrypoint comes first, then run's arguments or Cmd" {
	load_ok "$FIX/entry-oci.tar"
	run minidock run entry
	[ "$output" = "entry cmd" ]
	run minidock run entry one two
	[ "$output" = "entry one two" ]
	# --entrypoint replaces it and drops the image's Cmd; --entrypoint "" only drops it.
	run minidock run --entrypoint printf entry '%s|' a b
	[ "$output" = "a|b|" ] || fail "--entrypoint printf: $output"
	run minidock run --entrypoint hostname entry
	[ "$status" -eq 0 ] && [ -n "$output" ] || fail "--entrypoint without arguments: $output"
	run minidock run --entrypoint "" entry echo plain
	[ "$output" = plain ] || fail "--entrypoint \"\": $output"
}

@test "the image's User applies, and -u overrides it" {
	load_ok "$FIX/user-oci.tar"
	run minidock run user
	[ "$output" = "uid=1(daemon) gid=1(daemon) groups=1(daemon),100(users)" ]
	run minidock run -u 0 user id -u
	[ "$output" = 0 ]
	run minidock run -u 1234:5678 user id
	[ "$output" = "uid=1234 gid=5678 groups=5678" ]
	run minidock run -u nosuchuser user true
	[ "$status" -eq 125 ]
	[[ "$output" == *"unable to find user nosuchuser"* ]]
}

@test "an image built by another tool (umoci) loads and runs" {
	[ -f "$FIX/umoci-oci.tar" ] || fail "no umoci image: umoci was missing when the images were built"
	load_ok "$FIX/umoci-oci.tar"
	# umoci names its images only by tag ("app"): the image loads without a name.
	[[ "$output" == "Loaded image ID: sha256:"* ]]
	local id=${output##*sha256:}
	run minidock run "$id"
	[ "$output" = "made by umoci" ]
}

@test "a container's writes reach neither the image nor another container, and go with it" {
	load_ok "$IMAGES/layers-oci.tar"
	local before
	before=$(cd "$MINIDOCK_ROOT/layers" && find . -exec stat -c '%n %s %Y' {} + | sort)
	run minidock run --rm layers sh -c 'echo changed > /data/keep; rm /etc/motd; touch /new; cat /data/keep'
	[ "$output" = changed ]
	run minidock run --rm layers sh -c 'cat /data/keep; ls /new 2>&1; cat /etc/motd'
	[[ "$output" == keep*"No such file"*"hello from layer 3" ]]
	[ "$(cd "$MINIDOCK_ROOT/layers" && find . -exec stat -c '%n %s %Y' {} + | sort)" = "$before" ]
	# The containers' own directories are gone.
	[ -z "$(ls -A "$MINIDOCK_ROOT/containers")" ]
}

@test "image ls, inspect and tag, and references by name, tag, id prefix and digest" {
	load_ok "$IMAGES/busybox-oci.tar"
	run minidock image ls
	[[ "${lines[1]}" =~ ^busybox\ +latest\ +[0-9a-f]{12} ]]
	local id
	id=$(minidock image ls -q)
	run minidock image inspect busybox
	[[ "$output" == *"\"Id\": \"sha256:$id"* ]]
	[[ "$output" == *'"RepoTags": ['*'"busybox:latest"'* ]]
	[[ "$output" == *'"Cmd": ['* ]]
	run minidock image inspect -f '{{.Id}} {{index .RepoTags 0}} {{.Os}}' busybox
	[[ "$output" =~ ^sha256:$id[0-9a-f]{52}\ busybox:latest\ linux$ ]] || fail "image inspect -f: $output"
	run minidock inspect -f '{{.Id}}' busybox
	[[ "$output" =~ ^sha256:$id[0-9a-f]{52}$ ]] || fail "inspect IMAGE: $output"
	run minidock image tag busybox mine/box:v1
	[ "$status" -eq 0 ]
	local digest
	digest=$(minidock image inspect busybox | grep -o 'busybox@sha256:[0-9a-f]*' | head -n 1)
	for ref in busybox busybox:latest docker.io/library/busybox:latest mine/box:v1 "${id:0:5}" "sha256:$id" "$digest"; do
		run minidock run "$ref" echo ok
		[ "$output" = ok ] || fail "run $ref: $output"
	done
	run minidock run busybox:nope true
	[ "$status" -eq 125 ]
	[[ "$output" == *"No such image: busybox:nope"* ]]
}

@test "image rm is refused while a container uses it, and removes only unshared layers" {
	load_ok "$IMAGES/busybox-oci.tar"
	load_ok "$IMAGES/layers-oci.tar"
	minidock run --rm layers sh -c 'echo up; sleep 30' >"$BATS_TEST_TMPDIR/out" &
	local md=$!
	wait_for_output "$md" "$BATS_TEST_TMPDIR/out" up
	run minidock image rm layers
	[ "$status" -ne 0 ]
	[[ "$output" == *"container"* ]]
	kill -9 "$(container_pid "$md")"
	wait "$md" || true
	run minidock image rm layers
	[ "$status" -eq 0 ]
	# busybox's layer is still there and still runs; the two others are gone.
	[ "$(ls "$MINIDOCK_ROOT/layers" | wc -l)" -eq 1 ]
	run minidock run busybox echo still here
	[ "$output" = "still here" ]
	run minidock image rm layers
	[ "$status" -ne 0 ]
}

@test "a layer entry with .. is refused and the store is unchanged" {
	refused bad-dotdot.tar '../escape'
}

@test "a layer entry with an absolute path is refused and the store is unchanged" {
	refused bad-absolute.tar '/abs-escape'
}

@test "a file written through a symlink is refused and the store is unchanged" {
	refused bad-symlink.tar 'link/escape'
}

@test "a hard link to outside the layer is refused and the store is unchanged" {
	refused bad-hardlink.tar '../../../etc/passwd'
}

@test "a device node in a layer is refused and the store is unchanged" {
	refused bad-device.tar 'sda'
}

@test "a blob whose digest does not match is refused and the store is unchanged" {
	refused bad-digest.tar 'digest mismatch'
}

@test "a truncated gzip layer is refused and the store is unchanged" {
	refused bad-truncated.tar 'truncated'
}

@test "a missing blob is refused and the store is unchanged" {
	refused bad-missing-blob.tar 'missing blob'
}

@test "malformed JSON is refused and the store is unchanged" {
	refused bad-json.tar 'JSON'
}

@test "an unknown layer media type is refused and the store is unchanged" {
	refused bad-media-type.tar 'application/x-unknown'
}

@test "a manifest without layers is refused and the store is unchanged" {
	refused bad-no-layers.tar 'no layers'
}

@test "a layer far larger unpacked than its size is refused and the store is unchanged" {
	refused bad-bomb.tar 'unpacks to more than'
}

@test "a config whose diff_id does not match its layer is refused and the store is unchanged" {
	refused bad-diff-id.tar 'diff id'
}

# climbing IMAGE: a config whose diff_id is "sha256:../../…/tmp/md-victim///" is refused, the
# store is unchanged, and the host directory it names is untouched.
climbing() {
	rm -rf /tmp/md-victim && mkdir /tmp/md-victim && echo keep >/tmp/md-victim/keep
	refused "$1" 'diff id'
	[ "$(ls -A /tmp/md-victim)" = keep ] || fail "the host directory changed: $(ls -lA /tmp/md-victim)"
	[ "$(cat /tmp/md-victim/keep)" = keep ]
	# Nothing in the store names it either: no image to run.
	run minidock image ls -q
	[ "$(echo "$output" | wc -l)" -eq 1 ] || fail "an image was added: $output"
	rm -rf /tmp/md-victim
}

@test "a diff_id that climbs out of the store is refused and the host is untouched (OCI)" {
	climbing bad-diff-id-path.tar
}

@test "a diff_id that climbs out of the store is refused and the host is untouched (docker save)" {
	climbing bad-diff-id-path-save.tar
}

@test "an image of 130 layers loads and runs, every layer seen" {
	load_ok "$FIX/many-layers.tar"
	run minidock run --rm many sh -c 'cat /layer-1 /layer-65 /layer-129; ls / | grep -c "^layer-"'
	[ "$status" -eq 0 ] || fail "run failed: $output"
	[ "$output" = "$(printf '1\n65\n129\n129')" ] || fail "the layers seen: $output"
}
