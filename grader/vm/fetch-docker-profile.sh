#!/bin/sh
# fetch-docker-profile.sh OUT: Docker's default seccomp profile, as Debian 12 ships it (Docker
# 20.10, package golang-github-docker-docker-dev), fetched with apt-get download (no root needed)
# and written to OUT. Stage 5 loads it with --security-opt seccomp=OUT; the unit tests compare it
# with lib/engine/seccomp_default.c.
set -eu
out=$(cd "$(dirname "$1")" 2>/dev/null && pwd || { mkdir -p "$(dirname "$1")" && cd "$(dirname "$1")" && pwd; })/$(basename "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download -q golang-github-docker-docker-dev >/dev/null 2>&1 ||
	{ echo "fetch-docker-profile: apt-get download golang-github-docker-docker-dev failed (make deps updates the package lists)" >&2; exit 1; }
dpkg-deb -x golang-github-docker-docker-dev_*.deb x
mkdir -p "$(dirname "$out")"
cp x/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json "$out.tmp"
mv "$out.tmp" "$out"
echo "docker profile: $out"
