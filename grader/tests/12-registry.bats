#!/usr/bin/env bats
# Stage 12: registries (labs/12-registry). pull and push through the OCI distribution API to
# Debian's docker-registry (the CNCF distribution registry) run here on 127.0.0.1: every byte
# pulled checked, blobs the registry has not sent again, mounts, chunked uploads, resumed
# downloads, multi-platform images, logins, and skopeo as the other client. Points are in
# grader/rubric.

load helpers

REG=127.0.0.1:5000
SECURE=127.0.0.1:5001
# the user of the registry with a login (its htpasswd: bcrypt of "minidock-pass", cost 4)
HTPASSWD='student:$2b$04$28svADS4Sa4Tdh5YbY3X4uOL00xxl4zSKt0mCXYA.wKMDfO8wyD3q'

# registry NAME ADDR [AUTH]: a docker-registry on ADDR, its blobs in $BATS_FILE_TMPDIR/NAME, its
# requests logged in $BATS_FILE_TMPDIR/NAME.log.
registry() {
	local name=$1 addr=$2 auth=${3:-}
	mkdir -p "$BATS_FILE_TMPDIR/$name"
	{
		printf 'version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$BATS_FILE_TMPDIR/$name"
		printf 'http:\n  addr: %s\n' "$addr"
		if [ -n "$auth" ]; then
			echo "$HTPASSWD" >"$BATS_FILE_TMPDIR/$name.htpasswd"
			printf 'auth:\n  htpasswd:\n    realm: minidock\n    path: %s\n' "$BATS_FILE_TMPDIR/$name.htpasswd"
		fi
	} >"$BATS_FILE_TMPDIR/$name.yml"
	docker-registry serve "$BATS_FILE_TMPDIR/$name.yml" >"$BATS_FILE_TMPDIR/$name.log" 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/$name.pid"
	local i
	for i in $(seq 100); do
		wget -q -O /dev/null "http://$addr/v2/" 2>/dev/null && return 0
		wget -q -O /dev/null "http://$addr/v2/" 2>&1 | grep -q 401 && return 0
		sleep 0.2
	done
	fail "docker-registry on $addr did not start: $(tail -5 "$BATS_FILE_TMPDIR/$name.log")"
}

setup_file() {
	shared_state_setup_file
	ip link set lo up
	registry open $REG
	registry secure $SECURE auth
}

teardown_file() {
	kill "$(cat "$BATS_FILE_TMPDIR/open.pid")" "$(cat "$BATS_FILE_TMPDIR/secure.pid")" 2>/dev/null || true
}

setup() {
	shared_state_setup
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
	export CTX=$BATS_TEST_TMPDIR/ctx
	mkdir -p "$CTX"
}

teardown() {
	remove_all_containers
	common_teardown
}

# A store of its own ("another machine"), with nothing in it.
other_store() {
	export MINIDOCK_ROOT=$BATS_TEST_TMPDIR/other
}

# The registry's file of blob DIGEST (its filesystem driver's layout).
blob_file() {
	local hex=${1#sha256:}
	echo "$BATS_FILE_TMPDIR/open/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

# The requests the open registry logged since line N of its log: "METHOD PATH STATUS SIZE" lines.
requests_since() {
	tail -n +"$(($1 + 1))" "$BATS_FILE_TMPDIR/open.log" | sed -n 's/.*"\([A-Z]*\) \([^ ]*\) HTTP[^"]*" \([0-9]*\) \([0-9]*\).*/\1 \2 \3 \4/p'
}

log_lines() {
	wc -l <"$BATS_FILE_TMPDIR/open.log"
}

@test "an image built here is pushed, pulled into another store with the same id and digest, and runs" {
	printf 'FROM busybox\nRUN echo from-the-registry >/msg\nCMD ["cat", "/msg"]\n' >"$CTX/Dockerfile"
	minidock build -q -t $REG/course/app:1 "$CTX" >/dev/null
	local id
	id=$(minidock image inspect -f '{{.Id}}' $REG/course/app:1)
	run minidock push $REG/course/app:1
	[ "$status" -eq 0 ]
	[[ "$output" == *"The push refers to repository [$REG/course/app]"* ]]
	[[ "$output" == *"1: digest: sha256:"* ]]
	local digest
	digest=$(echo "$output" | sed -n 's/.*digest: \(sha256:[0-9a-f]*\) size.*/\1/p')
	other_store
	run minidock pull $REG/course/app:1
	[ "$status" -eq 0 ]
	[[ "$output" == *"Pull complete"* && "$output" == *"Digest: $digest"* ]]
	[ "$(minidock image inspect -f '{{.Id}}' $REG/course/app:1)" = "$id" ] || fail "the id changed on the way"
	run minidock image inspect -f '{{json .RepoDigests}}' $REG/course/app:1
	[[ "$output" == *"$REG/course/app@$digest"* ]]
	run minidock run --rm $REG/course/app:1
	[ "$output" = "from-the-registry" ]
	# by digest too, and a pull of what the store has says so
	run minidock pull "$REG/course/app@$digest"
	[ "$status" -eq 0 ]
	run minidock pull $REG/course/app:1
	[[ "$output" == *"Already exists"* && "$output" == *"Image is up to date"* ]]
}

@test "every byte pulled is checked: a tampered blob in the registry is refused and nothing is stored" {
	printf 'FROM busybox\nRUN echo genuine >/f\n' >"$CTX/Dockerfile"
	minidock build -q -t $REG/course/tamper:1 "$CTX" >/dev/null
	minidock push $REG/course/tamper:1 >/dev/null
	local layer
	layer=$(minidock image inspect -f '{{json .RootFS.Layers}}' $REG/course/tamper:1 | sed 's/.*"\(sha256:[0-9a-f]*\)"\]/\1/')
	# the last layer's bytes changed in the registry (same length)
	local f
	f=$(blob_file "$layer")
	[ -f "$f" ] || fail "no blob $f"
	sed -i 's/genuine/GENUINE/' "$f"
	other_store
	run minidock pull $REG/course/tamper:1
	[ "$status" -ne 0 ]
	[[ "$output" == *"digest mismatch"* ]] || fail "not refused for its digest"
	run minidock image ls -q
	[ -z "$output" ] || fail "something was stored: $output"
	[ -z "$(ls "$MINIDOCK_ROOT/tmp/partial" 2>/dev/null)" ] || fail "the bad bytes were kept"
	# the config too: the image's id is its digest, and a changed command must not get in
	shared_state_setup
	printf 'FROM busybox\nCMD ["echo", "genuine"]\n' >"$CTX/Dockerfile"
	minidock build -q -t $REG/course/tamper:2 "$CTX" >/dev/null
	minidock push $REG/course/tamper:2 >/dev/null
	f=$(blob_file "$(minidock image inspect -f '{{.Id}}' $REG/course/tamper:2)")
	sed -i 's/genuine/GENUINE/' "$f"
	other_store
	run minidock pull $REG/course/tamper:2
	[ "$status" -ne 0 ] || fail "a config whose bytes changed was taken: $(minidock run --rm $REG/course/tamper:2)"
	[[ "$output" == *"digest mismatch"* ]]
}

@test "push sends only what the registry lacks: existing blobs are skipped, another repository's mounted, big ones in chunks" {
	printf 'FROM busybox\nRUN head -c 3000000 /dev/urandom >/big\n' >"$CTX/Dockerfile"
	minidock build -q -t $REG/course/big:1 "$CTX" >/dev/null
	local before
	before=$(log_lines)
	run minidock push $REG/course/big:1
	[ "$status" -eq 0 ]
	# 3 MB in chunks of 1 MiB: PATCHes, then a PUT; the small config in one PUT
	[ "$(requests_since "$before" | grep -c '^PATCH .* 202')" -ge 3 ] || fail "no chunked upload: $(requests_since "$before")"
	[ "$(requests_since "$before" | grep -c '^PUT /v2/course/big/blobs/uploads/.*digest=.* 201')" -ge 2 ]
	before=$(log_lines)
	run minidock push $REG/course/big:1
	[ "$(echo "$output" | grep -c 'Layer already exists')" -ge 2 ]
	! requests_since "$before" | grep -q '^PATCH' || fail "a blob the registry has was sent again"
	# pulled from course/big, pushed to course/copy: the layers are mounted, not sent
	other_store
	minidock pull $REG/course/big:1 >/dev/null
	minidock tag $REG/course/big:1 $REG/course/copy:1
	before=$(log_lines)
	run minidock push $REG/course/copy:1
	[ "$status" -eq 0 ]
	[[ "$output" == *"Mounted from course/big"* ]]
	requests_since "$before" | grep -q '^POST /v2/course/copy/blobs/uploads/?mount=sha256:.*&from=course/big 201'
	! requests_since "$before" | grep -q '^PATCH' || fail "a mounted blob was uploaded"
}

@test "a pull cut off resumes: the bytes already there are not asked again, and bad ones are thrown away" {
	printf 'FROM busybox\nRUN head -c 2000000 /dev/urandom >/data\n' >"$CTX/Dockerfile"
	minidock build -q -t $REG/course/resume:1 "$CTX" >/dev/null
	minidock push $REG/course/resume:1 >/dev/null
	local layer f size
	layer=$(minidock image inspect -f '{{json .RootFS.Layers}}' $REG/course/resume:1 | sed 's/.*"\(sha256:[0-9a-f]*\)"\]/\1/')
	f=$(blob_file "$layer")
	size=$(stat -c %s "$f")
	other_store
	# what a pull killed half way leaves: the first 1000000 bytes
	mkdir -p "$MINIDOCK_ROOT/tmp/partial"
	head -c 1000000 "$f" >"$MINIDOCK_ROOT/tmp/partial/${layer#sha256:}"
	local before
	before=$(log_lines)
	run minidock pull $REG/course/resume:1
	[ "$status" -eq 0 ]
	requests_since "$before" | grep -q "^GET /v2/course/resume/blobs/$layer 206 $((size - 1000000))\$" ||
		fail "not resumed: $(requests_since "$before" | grep blobs)"
	minidock run --rm $REG/course/resume:1 test -s /data
	# a partial file of wrong bytes: the pull says so, throws it away, and the next one works
	minidock image rm $REG/course/resume:1 >/dev/null
	head -c 1000000 /dev/zero >"$MINIDOCK_ROOT/tmp/partial/${layer#sha256:}"
	run minidock pull $REG/course/resume:1
	[ "$status" -ne 0 ]
	[[ "$output" == *"digest mismatch"* ]]
	run minidock pull $REG/course/resume:1
	[ "$status" -eq 0 ]
}

@test "a multi-platform image: pull takes linux/amd64 from its index" {
	# two images, one marked arm64, put in one OCI index and copied in by skopeo
	printf 'FROM busybox\nRUN echo amd64 >/arch\n' >"$CTX/Dockerfile"
	minidock build -q -t amd "$CTX" >/dev/null
	printf 'FROM busybox\nRUN echo arm64 >/arch\n' >"$CTX/Dockerfile"
	minidock build -q -t arm "$CTX" >/dev/null
	local dir=$BATS_TEST_TMPDIR/multi a b
	mkdir -p "$dir/a" "$dir/b"
	minidock image save --format oci -o "$dir/a.tar" amd
	minidock image save --format oci -o "$dir/b.tar" arm
	tar xf "$dir/a.tar" -C "$dir/a"
	tar xf "$dir/b.tar" -C "$dir/b"
	cp -n "$dir"/b/blobs/sha256/* "$dir"/a/blobs/sha256/
	a=$(sed 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/' "$dir/a/index.json")
	b=$(sed 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/' "$dir/b/index.json")
	local as bs inner hex
	as=$(stat -c %s "$dir/a/blobs/sha256/${a#sha256:}")
	bs=$(stat -c %s "$dir/b/blobs/sha256/${b#sha256:}")
	inner="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$b\",\"size\":$bs,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$a\",\"size\":$as,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}"
	printf '%s' "$inner" >"$dir/inner"
	hex=$(sha256sum "$dir/inner" | cut -d' ' -f1)
	mv "$dir/inner" "$dir/a/blobs/sha256/$hex"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"1"}}]}' \
		"$hex" "$(printf '%s' "$inner" | wc -c)" >"$dir/a/index.json"
	skopeo copy --all --dest-tls-verify=false "oci:$dir/a:1" "docker://$REG/course/multi:1" >/dev/null
	other_store
	run minidock pull $REG/course/multi:1
	[ "$status" -eq 0 ]
	[[ "$output" == *"Digest: sha256:"* ]]
	run minidock run --rm $REG/course/multi:1 cat /arch
	[ "$output" = "amd64" ] || fail "pulled the $output image"
}

@test "skopeo reads what minidock pushes, and minidock pulls and runs what skopeo puts in" {
	printf 'FROM busybox\nRUN echo pushed-by-minidock >/who\n' >"$CTX/Dockerfile"
	minidock build -q -t $REG/course/interop:1 "$CTX" >/dev/null
	minidock push $REG/course/interop:1 >/dev/null
	# skopeo checks every digest on the way
	skopeo copy --src-tls-verify=false "docker://$REG/course/interop:1" "oci:$BATS_TEST_TMPDIR/out:1" >/dev/null
	umoci unpack --image "$BATS_TEST_TMPDIR/out:1" "$BATS_TEST_TMPDIR/bundle" >/dev/null
	[ "$(cat "$BATS_TEST_TMPDIR/bundle/rootfs/who")" = "pushed-by-minidock" ]
	# the test image, as `docker save` wrote it, put in the registry by skopeo (gzip'ed layers)
	skopeo copy --dest-tls-verify=false --dest-compress "docker-archive:$IMAGES/busybox-docker-classic.tar" \
		"docker://$REG/course/from-skopeo:1" >/dev/null
	other_store
	run minidock pull $REG/course/from-skopeo:1
	[ "$status" -eq 0 ]
	run minidock run --rm $REG/course/from-skopeo:1 echo ran
	[ "$output" = "ran" ]
}

@test "login: a registry that asks for one refuses without it and with a wrong password; logout forgets it" {
	printf 'FROM busybox\nRUN echo secret >/s\n' >"$CTX/Dockerfile"
	minidock build -q -t $SECURE/private/app:1 "$CTX" >/dev/null
	run minidock push $SECURE/private/app:1
	[ "$status" -ne 0 ]
	[[ "$output" == *"authentication required"* ]]
	run sh -c "echo wrong | minidock login -u student --password-stdin $SECURE"
	[ "$status" -ne 0 ]
	[ ! -e "$HOME/.minidock/config.json" ] || ! grep -q "$SECURE" "$HOME/.minidock/config.json"
	run sh -c "echo minidock-pass | minidock login -u student --password-stdin $SECURE"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Login Succeeded"* ]]
	[ "$(stat -c %a "$HOME/.minidock/config.json")" = 600 ]
	[ "$(stat -c %a "$HOME/.minidock")" = 700 ]
	run minidock push $SECURE/private/app:1
	[ "$status" -eq 0 ]
	other_store
	run minidock pull $SECURE/private/app:1
	[ "$status" -eq 0 ]
	minidock logout $SECURE
	! grep -q "$SECURE" "$HOME/.minidock/config.json"
	minidock image rm $SECURE/private/app:1 >/dev/null
	run minidock pull $SECURE/private/app:1
	[ "$status" -ne 0 ]
	[[ "$output" == *"authentication required"* ]]
}

@test "run pulls an image it does not have; unknown names, tags and registries are refused with a reason" {
	printf 'FROM busybox\nRUN true\nCMD ["echo", "pulled-by-run"]\n' >"$CTX/Dockerfile"
	minidock build -q -t $REG/course/auto:1 "$CTX" >/dev/null
	minidock push $REG/course/auto:1 >/dev/null
	other_store
	run minidock run --rm $REG/course/auto:1
	[ "$status" -eq 0 ]
	[[ "$output" == *"Unable to find image '$REG/course/auto:1' locally"* ]]
	[[ "$output" == *"pulled-by-run"* ]]
	run minidock pull $REG/course/nothing:1
	[ "$status" -ne 0 ]
	[[ "$output" == *"manifest unknown"* ]]
	run minidock pull $REG/course/auto:nope
	[ "$status" -ne 0 ]
	run minidock pull 127.0.0.1:5999/x:1
	[ "$status" -ne 0 ]
	[[ "$output" == *"127.0.0.1:5999"* ]]
	run minidock push $REG/course/notthere:1
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist locally"* ]]
	[ -z "$(ls "$MINIDOCK_ROOT/tmp" 2>/dev/null | grep -v partial)" ] || fail "left in tmp: $(ls "$MINIDOCK_ROOT/tmp")"
}
