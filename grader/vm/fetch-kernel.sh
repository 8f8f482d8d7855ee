#!/bin/sh
# fetch-kernel.sh OUTDIR: the grader VM's kernel and the modules the labs need.
#
# The kernel is Debian's cloud kernel, fetched as a package with `apt-get download` (no root
# needed) and unpacked with dpkg-deb. Only vmlinuz and the modules listed below (with what they
# depend on) are kept; busybox's depmod writes the modules.dep that modprobe reads in the VM.
set -eu
out=$1
mkdir -p "$(dirname "$out")"
meta=linux-image-cloud-amd64

# The modules later labs load: veth, bridge, macvlan, ipvlan, 8021q (VLANs), vxlan (networks),
# virtio_pci and virtio_net (the two-host stages' network cards), overlay (image layers),
# nf_tables with nat and masquerade (published ports, outbound NAT).
MODULES="veth bridge macvlan ipvlan 8021q vxlan overlay dummy virtio_pci virtio_net nf_tables nft_nat nft_masq nft_chain_nat
nft_ct nft_fib_inet nft_fib_ipv4 nft_redir nf_nat nf_conntrack"

pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$pkg" ]; then
	echo "fetch-kernel: cannot resolve $meta: run 'apt-get update' (make deps does)" >&2
	exit 1
fi
tmp=$(mktemp -d "${out%/}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
	echo "fetch-kernel: apt-get download $pkg failed" >&2
	exit 1
}
dpkg-deb -x "$tmp"/*.deb "$tmp/x"
kver=$(ls "$tmp/x/lib/modules")
mkdir -p "$tmp/out/lib/modules/$kver"
cp "$tmp/x/boot/vmlinuz-$kver" "$tmp/out/vmlinuz"
src=$tmp/x/lib/modules/$kver
cp "$src/modules.builtin" "$src/modules.order" "$tmp/out/lib/modules/$kver/"

# Copy each wanted module and, recursively, the modules named in its "depends=" field.
want=$MODULES
seen=" "
while [ -n "$want" ]; do
	next=""
	for m in $want; do
		case "$seen" in *" $m "*) continue ;; esac
		seen="$seen$m "
		f=$(find "$src/kernel" -name "$m.ko" | head -n 1)
		[ -n "$f" ] || { echo "fetch-kernel: module $m not in $pkg" >&2; exit 1; }
		rel=${f#$src/}
		mkdir -p "$tmp/out/lib/modules/$kver/$(dirname "$rel")"
		cp "$f" "$tmp/out/lib/modules/$kver/$rel"
		deps=$(busybox strings "$f" | sed -n "s/^depends=//p" | tr "," " ")
		next="$next $deps"
	done
	want=$next
done
busybox depmod -b "$tmp/out" "$kver"
echo "$kver" > "$tmp/out/version"
rm -rf "$out"
mv "$tmp/out" "$out"
