#!/bin/sh
# mkinitramfs.sh OUT.cpio KERNELDIR STAGEDIR: the grader VM's whole root file system.
#
# The VM has no disk: everything it needs is in this initramfs. STAGEDIR holds what the grader
# puts in /grader (the minidock binaries, the stage tests, the rubric, the test images); this
# script adds busybox, bash and bats (the test framework), iproute2 and nft (the tools tests
# check with), the shared libraries they and minidock link against, and the kernel modules.
# The archive is left uncompressed: under TCG the guest's gunzip costs more than the bytes.
set -eu
out=$1 kdir=$2 stage=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d "${out}.root.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/lib" "$root/lib64" \
	"$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/run" "$root/root" "$root/etc" \
	"$root/var/lib" "$root/usr/lib" "$root/usr/libexec"

# busybox first, then the real tools over its applets of the same name.
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list | grep -vx busybox); do
	ln -sf busybox "$root/bin/$applet"
done

# copy_libs BIN: every shared library BIN loads, at the same path as on this machine.
copy_libs() {
	ldd "$1" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib64/ {print $1}' | while read -r lib; do
		[ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
	done
}
# copy_bin SRC DST: a dynamically linked program and its libraries.
copy_bin() {
	cp -L "$1" "$root$2"
	copy_libs "$1"
}
copy_bin /usr/bin/bash /bin/bash
copy_bin /usr/sbin/ip /sbin/ip
# bridge, iproute2's look at a bridge's and a vxlan's forwarding table (the overlay's, lab 9).
copy_bin /usr/sbin/bridge /sbin/bridge
# nft brings libnftables.so.1, which minidock opens when lab 7 first needs it (lib/util/nftables.c).
copy_bin /usr/sbin/nft /sbin/nft
# util-linux's flock (the runner's shards take turns on the results channel) and chrt (the
# grader's self-test hangs the VM with real-time busy loops); busybox has neither.
copy_bin /usr/bin/flock /usr/bin/flock
copy_bin /usr/bin/setpriv /usr/bin/setpriv
copy_bin /usr/bin/chrt /usr/bin/chrt
# curl: stage 13 sends the engine's API what the docker CLI never would (lab 13).
copy_bin /usr/bin/curl /usr/bin/curl
# crun, which make bench measures minidock against (bench/vm.py), when it is installed.
[ -x /usr/bin/crun ] && copy_bin /usr/bin/crun /usr/bin/crun
# libcurl, which minidock opens when it first talks to the cluster store (lib/util/curl.c).
curl_lib=$(ldconfig -p | awk '/libcurl\.so\.4 .*x86-64/ {print $NF; exit}')
[ -n "$curl_lib" ] && mkdir -p "$root$(dirname "$curl_lib")" && cp -L "$curl_lib" "$root$curl_lib" && copy_libs "$curl_lib"
# libmicrohttpd, which `minidock daemon` opens when it starts (lib/util/mhd.c, lab 13).
mhd_lib=$(ldconfig -p | awk '/libmicrohttpd\.so\.12 .*x86-64/ {print $NF; exit}')
[ -n "$mhd_lib" ] && mkdir -p "$root$(dirname "$mhd_lib")" && cp -L "$mhd_lib" "$root$mhd_lib" && copy_libs "$mhd_lib"
# etcd, the overlay networks' cluster store (lab 9), when it is installed (a static Go program).
[ -x /usr/bin/etcd ] && copy_bin /usr/bin/etcd /usr/bin/etcd
# umoci reads the OCI layouts `image save --format oci` writes, checking every digest (lab 11).
[ -x /usr/bin/umoci ] && copy_bin /usr/bin/umoci /usr/bin/umoci
# the registry lab 12 pulls from and pushes to, and skopeo, the other client it is checked against.
[ -x /usr/bin/docker-registry ] && copy_bin /usr/bin/docker-registry /usr/bin/docker-registry
if [ -x /usr/bin/skopeo ]; then
	copy_bin /usr/bin/skopeo /usr/bin/skopeo
	mkdir -p "$root/etc/containers"
	echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$root/etc/containers/policy.json"
fi
# Python, for the other clients of stage 13's engine (lab 13): Debian's docker-compose 1.29 and
# docker-py (python3-docker). The interpreter, its standard library without what no client
# imports (tests, IDLE, Tk, build files), and the packages the two import, with their metadata;
# no .pth file (setuptools is not needed). docker-compose is run by a two-line script.
if [ -x /usr/bin/docker-compose ] && [ -x /usr/bin/python3.11 ]; then
	copy_bin /usr/bin/python3.11 /usr/bin/python3.11
	ln -s python3.11 "$root/usr/bin/python3"
	mkdir -p "$root/usr/lib/python3.11" "$root/usr/lib/python3/dist-packages"
	(cd /usr/lib/python3.11 && tar -cf - --exclude=./test --exclude=./idlelib --exclude=./tkinter \
		--exclude=./lib2to3 --exclude=./ensurepip --exclude=./pydoc_data --exclude=./turtledemo \
		--exclude='./config-3.11-*' --exclude=./site-packages .) | tar -xf - -C "$root/usr/lib/python3.11"
	for so in /usr/lib/python3.11/lib-dynload/*.so; do copy_libs "$so"; done
	site=/usr/lib/python3/dist-packages
	for pkg in attr certifi chardet charset_normalizer compose distro docker dockerpty docopt.py dotenv \
		idna jsonschema pyrsistent requests six.py texttable.py urllib3 websocket yaml _yaml \
		pvectorc.cpython-311-x86_64-linux-gnu.so; do
		[ -e "$site/$pkg" ] && cp -a "$site/$pkg" "$root$site/"
	done
	cp -a "$site"/*.dist-info "$site"/*.egg-info "$root$site/" 2>/dev/null || true
	find "$site/yaml" "$site/_yaml" "$site/pvectorc.cpython-311-x86_64-linux-gnu.so" -name '*.so' 2>/dev/null |
		while read -r so; do copy_libs "$so"; done
	printf '#!/usr/bin/python3\nfrom compose.cli.main import main\nmain()\n' >"$root/usr/bin/docker-compose"
	chmod 755 "$root/usr/bin/docker-compose"
fi
# iperf3, which make bench measures networks with (bench/lan.py), when it is installed.
[ -x /usr/bin/iperf3 ] && copy_bin /usr/bin/iperf3 /usr/bin/iperf3
rm -f "$root/bin/ip"
ln -s ../bin/busybox "$root/sbin/modprobe"

# bats, as Debian installs it.
ln -s ../../bin/busybox "$root/usr/bin/env"
cp /usr/bin/bats "$root/usr/bin/bats"
cp -r /usr/lib/bats-core "$root/usr/lib/"
cp -r /usr/libexec/bats-core "$root/usr/libexec/"

cp -r "$kdir/lib/modules" "$root/lib/"
cp -r "$stage" "$root/grader"
# The libraries minidock links to (LIBS_OF: a minidock to ask, when the image holds none: the
# class's base image, whose students' programs come in an archive of their own).
for bin in "$root"/grader/stages/*/minidock ${LIBS_OF:-}; do
	copy_libs "$bin"
done
cp "$here/init" "$root/init"
chmod 755 "$root/init"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nminidock:x:990:\nnogroup:x:65534:\n' >"$root/etc/group"
echo grader >"$root/etc/hostname"

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner 0:0 --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
