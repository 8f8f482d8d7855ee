#!/bin/sh
# mkumoci.sh BUSYBOX_ROOTFS OUT.tar: an image built by another tool, umoci (rootless), for
# lab 3's test that minidock loads what others write. Not byte-reproducible (umoci stamps the
# time), so it stays out of SHA256SUMS.
set -eu
rootfs=$(cd "$1" && pwd)
out=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
umoci init --layout oci
umoci new --image oci:app
umoci unpack --rootless --image oci:app bundle >/dev/null
mkdir -p bundle/rootfs/bin
cp "$rootfs/bin/busybox" bundle/rootfs/bin/busybox
for applet in sh cat echo ls; do ln -s busybox "bundle/rootfs/bin/$applet"; done
echo "made by umoci" >bundle/rootfs/hello
umoci repack --image oci:app bundle >/dev/null
umoci config --image oci:app --config.cmd cat --config.cmd /hello \
	--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin >/dev/null
umoci gc --layout oci
tar -C oci -cf "$out" .
