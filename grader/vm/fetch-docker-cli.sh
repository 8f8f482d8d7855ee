#!/bin/sh
# fetch-docker-cli.sh OUT: Docker's own command-line client, 20.10 as Debian 12 ships it (package
# docker.io), written to OUT for the grader VM, where stage 13 drives minidock's engine API with
# it. Fetched with apt-get download and unpacked with dpkg-deb: the package is never installed
# (its postinst would start dockerd on this machine); only /usr/bin/docker is kept (a Go program
# that needs nothing but the C library).
set -eu
out=$(cd "$(dirname "$1")" 2>/dev/null && pwd || { mkdir -p "$(dirname "$1")" && cd "$(dirname "$1")" && pwd; })/$(basename "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download -q docker.io >/dev/null 2>&1 ||
	{ echo "fetch-docker-cli: apt-get download docker.io failed (make deps updates the package lists)" >&2; exit 1; }
dpkg-deb -x docker.io_*.deb x
mkdir -p "$(dirname "$out")"
cp x/usr/bin/docker "$out.tmp"
mv "$out.tmp" "$out"
echo "docker CLI: $out ($("$out" --version))"
