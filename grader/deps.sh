#!/bin/sh
# deps.sh: install the Debian 12 packages the kit needs, only those missing (make deps).
#
# This is the one list of the kit's dependencies. A new one must be a well-kept library or tool
# made for the job, with a line here saying why.
set -eu

PACKAGES="
gcc              the C compiler
make             the kit's entry points
pkg-config       the libraries' compiler flags
libcap-dev       capabilities (lab 5)
libmnl-dev       netlink, to talk to the kernel's network stack (labs 6-9)
libnftables-dev  nftables: NAT and published ports (lab 7)
libjansson-dev   JSON: state files, image manifests and configs
libarchive-dev   tar and gzip: image layers (lab 3)
libseccomp-dev   system-call filters (lab 5)
libcunit1-dev    [kit] the kit's unit tests
qemu-system-x86  the grader VM
busybox-static   the test images and the VM's userland
iproute2         ip: the tests' network checks
nftables         nft: the tests' firewall checks
bats             the stage tests' framework (TAP)
cpio             packs the VM's initramfs
python3          the grader on the host (standard library only)
crun             [kit] the runtime make bench measures minidock against
umoci            a tool other than minidock for OCI images: builds a test image (lab 3), reads what image save writes (lab 11)
libcurl4-openssl-dev  HTTP: the overlay's cluster store, etcd's JSON API (lab 9); loaded only when used
libmicrohttpd-dev  the engine's HTTP server: the Docker Engine API on a unix socket (lab 13); loaded only by minidock daemon
curl             the stage 13 tests' HTTP client on the engine's socket (requests the docker CLI never sends)
docker-compose   docker-compose 1.29 and docker-py (python3-docker), the other clients of the engine in the VM (lab 13)
openssl          makes the test certificates of the engine's TCP listener over TLS (lab 13)
etcd-server      the overlay's cluster store, etcd 3.4, run in the grader VM (lab 9)
docker-registry  the CNCF distribution registry 2.8, run in the grader VM: what pull and push talk to (lab 12)
skopeo           another registry client, to check minidock's pushes and pulls against (lab 12)
iperf3           [kit] make bench: TCP throughput and latency, host network against bridge (lab 7), across two VMs (lab 8)
zip              [kit] make gradescope: the autograder's archive, in the format Gradescope asks for
unzip            [kit] the kit's test of that archive (tests/class.bats)
git              make grade-class: submissions given as repositories and commits
chromium-headless-shell  [kit] the kit's test of grade-class's HTML report, in a real browser (tests/class.bats)
"
# --grading: only what grading needs (Gradescope's setup.sh): not the lines marked [kit], which
# only the full kit's own tests, benchmarks and instructors' tools use.
if [ "${1:-}" = --grading ]; then
	names=$(printf '%s\n' "$PACKAGES" | awk 'NF && $2 != "[kit]" {print $1}')
else
	names=$(printf '%s\n' "$PACKAGES" | awk 'NF {print $1}')
fi
missing=""
for p in $names; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# The grader VM's kernel is fetched with apt-get download, which needs the package lists
# (asked only until the kernel is there: apt-cache takes a second).
lists_ok=1
top=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -e "$top/build/vm/kernel/vmlinuz" ]; then
	apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1 || lists_ok=0
fi
# The group whose members may use minidock daemon's socket (lab 13): root's equal, as Docker's
# "docker" group is. Made here (as root) so that the socket is 0660 root:minidock from the start.
if [ "$(id -u)" = 0 ] && ! getent group minidock >/dev/null; then
	groupadd --system minidock
fi
[ -z "$missing" ] && [ "$lists_ok" = 1 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	[ -z "$missing" ] || echo "make deps: missing Debian packages:$missing" >&2
	[ "$lists_ok" = 1 ] || echo "make deps: the package lists do not know linux-image-cloud-amd64" >&2
	echo "as root, run:  apt-get update && apt-get install --no-install-recommends$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
[ -z "$missing" ] && exit 0
echo "make deps: installing$missing"
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
