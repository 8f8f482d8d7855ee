#!/usr/bin/env bats
# The test images (rootfs/mkimages.sh): byte-identical on every build, and well-formed.

@test "images: two builds give the same bytes" {
	rootfs/mkimages.sh "$BATS_TEST_TMPDIR/a"
	diff "$BATS_TEST_TMPDIR/a/SHA256SUMS" build/images/SHA256SUMS
	(cd "$BATS_TEST_TMPDIR/a" && sha256sum -c --quiet SHA256SUMS)
	# The plain rootfs too (content, modes and links; not mtimes).
	diff <(cd "$BATS_TEST_TMPDIR/a/busybox/rootfs" && find . -printf '%p %m %l\n' | sort) \
		<(cd build/images/busybox/rootfs && find . -printf '%p %m %l\n' | sort)
}

@test "images: every OCI blob hashes to its name, and the layers' diff_ids match" {
	local layout blob
	for layout in build/images/busybox/oci build/images/layers/oci; do
		for blob in "$layout"/blobs/sha256/*; do
			[ "$(sha256sum "$blob" | cut -d' ' -f1)" = "$(basename "$blob")" ]
		done
		grep -q '"imageLayoutVersion":"1.0.0"' "$layout/oci-layout"
	done
	python3 - build/images/layers/oci <<'PY'
import gzip, hashlib, json, os, sys
lay = sys.argv[1]
blob = lambda d: os.path.join(lay, "blobs", *d.split(":"))
index = json.load(open(os.path.join(lay, "index.json")))
m = json.load(open(blob(index["manifests"][0]["digest"])))
assert m["schemaVersion"] == 2
cfg = json.load(open(blob(m["config"]["digest"])))
diffs = ["sha256:" + hashlib.sha256(gzip.open(blob(l["digest"])).read()).hexdigest() for l in m["layers"]]
assert diffs == cfg["rootfs"]["diff_ids"], (diffs, cfg["rootfs"])
assert len(diffs) == 3
PY
}

@test "images: the layered image has a whiteout and an opaque directory in its top layer" {
	local top
	top=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m[0]["Layers"][-1])' \
		<(tar -xOf build/images/layers-docker.tar manifest.json))
	run bash -c "tar -xOf build/images/layers-docker.tar $top | tar -t"
	[[ "$output" == *"data/.wh.gone"* ]]
	[[ "$output" == *"data/dir/.wh..wh..opq"* ]]
}

@test "images: the docker-save archives have what docker load reads" {
	run tar -tf build/images/busybox-docker.tar
	[[ "$output" == *"manifest.json"* && "$output" == *"index.json"* && "$output" == *"oci-layout"* && "$output" == *"repositories"* ]]
	run tar -tf build/images/busybox-docker-classic.tar
	[[ "$output" == *"/layer.tar"* && "$output" == *"manifest.json"* && "$output" != *"oci-layout"* ]]
	# Owners are root, mtimes fixed.
	run bash -c "tar -tvf build/images/busybox-oci.tar | awk '{print \$2, \$4}' | sort -u"
	[ "$output" = "0/0 2024-01-01" ]
}
