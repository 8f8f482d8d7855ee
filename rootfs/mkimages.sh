#!/bin/bash
# mkimages.sh OUTDIR: the test images, built from Debian's busybox-static package, no root needed.
#
# OUTDIR/
#   busybox/rootfs/            a plain root directory (lab 1, lab 2)
#   busybox/oci/               the same as an OCI image layout (gzip layer)
#   busybox-oci.tar            that layout as a tar file
#   busybox-docker.tar         `docker save` as Docker 25+ writes it: OCI layout + manifest.json
#   busybox-docker-classic.tar `docker save` as older Docker wrote it: <id>/layer.tar, <cfg>.json
#   layers/oci/, layers-oci.tar, layers-docker.tar
#                              three layers: busybox (shared with the image above), then files,
#                              then a whiteout (.wh.gone) and an opaque directory (.wh..wh..opq)
#
# Every byte is fixed: sorted tar entries, owner 0:0, one mtime (MTIME below), gzip -n (no name,
# no time), JSON written by hand in one key order. Two builds give the same sha256 digests.
set -euo pipefail
umask 022
here=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C TZ=UTC

mkdir -p "$(dirname "$1")"
out=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
MTIME=1704067200 # 2024-01-01T00:00:00Z
CREATED=2024-01-01T00:00:00Z
DEFAULT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

work=$(mktemp -d "${out%/}.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- busybox from its Debian package ---------------------------------------------------------
(cd "$work" && apt-get download -q busybox-static >/dev/null 2>&1) || {
	echo "mkimages: apt-get download busybox-static failed (make deps runs apt-get update)" >&2
	exit 1
}
dpkg-deb -x "$work"/busybox-static_*.deb "$work/deb"
busybox=$work/deb/bin/busybox

base=$work/base
mkdir -p "$base"/{bin,dev,etc,home,proc,root,sys,tmp,usr/bin,usr/sbin,var/tmp}
cp "$busybox" "$base/bin/busybox"
chmod 755 "$base/bin/busybox"
for applet in $("$busybox" --list | grep -vx busybox); do
	ln -s busybox "$base/bin/$applet"
done
chmod 1777 "$base/tmp" "$base/var/tmp"
chmod 700 "$base/root"
printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$base/etc/passwd"
printf 'root:x:0:\ndaemon:x:1:\nwheel:x:10:root\nusers:x:100:daemon,nobody\nnogroup:x:65534:\n' >"$base/etc/group"

# --- helpers ---------------------------------------------------------------------------------------
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# tar_dir DIR OUT: a layer tar of DIR's contents, the same bytes on every machine.
tar_dir() {
	find "$1" -exec touch -h -d "@$MTIME" {} +
	(cd "$1" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | sort |
		tar --sort=name --format=gnu --owner=0 --group=0 --numeric-owner --mtime="@$MTIME" \
			-cf "$2" -T -)
}

# add_blob LAYOUT FILE: move FILE into LAYOUT/blobs/sha256/, print its digest hex.
add_blob() {
	local h
	h=$(sha "$2")
	mkdir -p "$1/blobs/sha256"
	mv "$2" "$1/blobs/sha256/$h"
	echo "$h"
}

# make_image NAME TAG CONFIG_EXTRA LAYERDIR...: write $work/img/NAME/{oci,docker} layouts.
#   oci:    gzip layers, OCI media types
#   docker: plain tar layers (as `docker save`), plus manifest.json and repositories
make_image() {
	local name=$1 tag=$2 extra=$3
	shift 3
	local oci=$work/img/$name/oci docker=$work/img/$name/docker
	mkdir -p "$oci" "$docker"
	local diff_ids="" oci_layers="" docker_layers="" docker_paths="" history=""
	local n=0 d tarf gz diff gzh
	for d in "$@"; do
		n=$((n + 1))
		tarf=$work/layer$n.tar
		tar_dir "$d" "$tarf"
		gzip -n -9 -c "$tarf" >"$tarf.gz"
		diff=$(sha "$tarf")
		local tsize gsize
		tsize=$(size "$tarf")
		gsize=$(size "$tarf.gz")
		gzh=$(add_blob "$oci" "$tarf.gz")
		cp "$tarf" "$work/plain"
		add_blob "$docker" "$work/plain" >/dev/null
		rm -f "$tarf"
		diff_ids+="${diff_ids:+,}\"sha256:$diff\""
		oci_layers+="${oci_layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$gzh\",\"size\":$gsize}"
		docker_layers+="${docker_layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$diff\",\"size\":$tsize}"
		docker_paths+="${docker_paths:+,}\"blobs/sha256/$diff\""
		history+="${history:+,}{\"created\":\"$CREATED\",\"created_by\":\"minidock rootfs/mkimages.sh layer $n\"}"
		last_diff=$diff
	done
	local config
	config="{\"architecture\":\"amd64\",\"config\":{$extra},\"created\":\"$CREATED\",\"history\":[$history],\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$diff_ids]}}"
	local layout ch cs mf mh ms
	for layout in "$oci" "$docker"; do
		printf '%s' "$config" >"$work/config.json"
		cs=$(size "$work/config.json")
		ch=$(add_blob "$layout" "$work/config.json")
		if [ "$layout" = "$oci" ]; then layers=$oci_layers; else layers=$docker_layers; fi
		printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
			"$ch" "$cs" "$layers" >"$work/manifest.json"
		ms=$(size "$work/manifest.json")
		mh=$(add_blob "$layout" "$work/manifest.json")
		printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
		printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"docker.io/library/%s:%s","org.opencontainers.image.ref.name":"%s"}}]}' \
			"$mh" "$ms" "$name" "$tag" "$tag" >"$layout/index.json"
	done
	printf '[{"Config":"blobs/sha256/%s","RepoTags":["%s:%s"],"Layers":[%s]}]' "$ch" "$name" "$tag" "$docker_paths" >"$docker/manifest.json"
	printf '{"%s":{"%s":"%s"}}' "$name" "$tag" "$last_diff" >"$docker/repositories"
	echo "$config" >"$work/img/$name/config"
}

# make_classic NAME TAG: the pre-25 `docker save` form of image NAME, from its docker layout.
make_classic() {
	local name=$1 tag=$2 src=$work/img/$1/docker dst=$work/img/$1/classic
	mkdir -p "$dst"
	local cfg layers="" parent="" id diff
	cfg=$(printf '%s' "$(cat "$work/img/$name/config")" | sha256sum | cut -d' ' -f1)
	printf '%s' "$(cat "$work/img/$name/config")" >"$dst/$cfg.json"
	for diff in $(grep -o '"sha256:[0-9a-f]*"' "$dst/$cfg.json" | tr -d '"' | cut -d: -f2); do
		# A v1 layer id: any stable hex; here the sha256 of parent id and diff id, like a chain id.
		id=$(printf '%s %s' "$parent" "$diff" | sha256sum | cut -d' ' -f1)
		mkdir -p "$dst/$id"
		cp "$src/blobs/sha256/$diff" "$dst/$id/layer.tar"
		printf '1.0' >"$dst/$id/VERSION"
		printf '{"id":"%s"%s}' "$id" "${parent:+,\"parent\":\"$parent\"}" >"$dst/$id/json"
		layers+="${layers:+,}\"$id/layer.tar\""
		parent=$id
	done
	printf '[{"Config":"%s.json","RepoTags":["%s:%s"],"Layers":[%s]}]' "$cfg" "$name" "$tag" "$layers" >"$dst/manifest.json"
	printf '{"%s":{"%s":"%s"}}' "$name" "$tag" "$parent" >"$dst/repositories"
}

# pack DIR OUT.tar: a layout or archive directory as a reproducible tar.
pack() { tar_dir "$1" "$2"; }

# --- busybox: one layer ------------------------------------------------------------------------
make_image busybox latest "\"Cmd\":[\"sh\"],\"Env\":[\"PATH=$DEFAULT_PATH\"]" "$base"
make_classic busybox latest

# --- layers: three layers with a whiteout and an opaque directory ------------------------------
l2=$work/l2 l3=$work/l3
mkdir -p "$l2/data/dir" "$l2/etc" "$l3/data/dir" "$l3/etc"
echo keep >"$l2/data/keep"
echo gone >"$l2/data/gone"
echo old >"$l2/data/dir/old"
echo "hello from layer 2" >"$l2/etc/motd"
: >"$l3/data/.wh.gone"
: >"$l3/data/dir/.wh..wh..opq"
echo new >"$l3/data/dir/new"
echo "hello from layer 3" >"$l3/etc/motd"
make_image layers latest "\"Cmd\":[\"cat\",\"/etc/motd\"],\"Env\":[\"PATH=$DEFAULT_PATH\",\"LAYERS=3\"],\"WorkingDir\":\"/data\"" "$base" "$l2" "$l3"

# --- volume: the files of layer 2 under a VOLUME (lab 10: an anonymous volume, copy-up) -----------
make_image volume latest "\"Cmd\":[\"sh\"],\"Env\":[\"PATH=$DEFAULT_PATH\"],\"Volumes\":{\"/data\":{}}" "$base" "$l2"

# --- write OUTDIR ------------------------------------------------------------------------------
new=$work/out
mkdir -p "$new/busybox" "$new/layers"
cp -a "$base" "$new/busybox/rootfs"
cp -a "$work/img/busybox/oci" "$new/busybox/oci"
cp -a "$work/img/layers/oci" "$new/layers/oci"
pack "$work/img/busybox/oci" "$new/busybox-oci.tar"
pack "$work/img/busybox/docker" "$new/busybox-docker.tar"
pack "$work/img/busybox/classic" "$new/busybox-docker-classic.tar"
pack "$work/img/layers/oci" "$new/layers-oci.tar"
pack "$work/img/layers/docker" "$new/layers-docker.tar"
pack "$work/img/volume/oci" "$new/volume-oci.tar"
# The images lab 3's tests load, good and bad (see mkfixtures.py).
python3 "$here/mkfixtures.py" "$new"
(cd "$new" && sha256sum ./*.tar fixtures/*.tar >SHA256SUMS)
# And one made by another tool (not reproducible: not in SHA256SUMS).
if command -v umoci >/dev/null; then
	"$here/mkumoci.sh" "$base" "$new/fixtures/umoci-oci.tar"
fi
touch "$new/.done"
rm -rf "$out"
mv "$new" "$out"
