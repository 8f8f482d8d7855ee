#!/bin/bash
# jail.sh KIT WORK SCRIPT ROOT: run SCRIPT (a list of gcc commands, grader/class.py writes it) in a
# jail that sees only this machine's programs and libraries, read-only, the kit's lib/ and lab
# contracts, read-only, at /kit, and WORK (one submission's copied sources and its objects) at
# /work. Called by class.py inside new mount, network, IPC, UTS and PID namespaces (unshare):
# whatever the submission's code names (an #include "/path", an .incbin), nothing of another
# student, of solutions/, of the reports or of this machine's home directories is there to
# read, and nothing but WORK can be written. The compiler runs as nobody, with limits.
set -eu
kit=$1 work=$2 script=$3 root=$4
# ROOT, an empty folder (class.py removes it after), becomes the jail's root: a tmpfs seen only
# in these namespaces.
mount -t tmpfs -o size=64m,mode=755 jail "$root"
mkdir -p "$root/kit" "$root/work" "$root/etc" "$root/tmp" "$root/dev" "$root/proc"
chmod 1777 "$root/tmp"
# The system's programs and libraries: /usr (Debian 12 links /bin, /lib, /lib64 and /sbin to
# it), read-only.
for dir in usr bin lib lib64 sbin; do
	if [ -L "/$dir" ]; then
		ln -s "$(readlink "/$dir")" "$root/$dir"
	elif [ -d "/$dir" ]; then
		mkdir -p "$root/$dir" && mount --rbind "/$dir" "$root/$dir" && mount -o remount,bind,ro "$root/$dir"
	fi
done
touch "$root/etc/ld.so.cache" "$root/dev/null"
mount --bind /etc/ld.so.cache "$root/etc/ld.so.cache"
mount --bind /dev/null "$root/dev/null"
# The kit: lib/ and the labs' headers only (the contracts), read-only.
mkdir -p "$root/kit/lib"
mount --rbind "$kit/lib" "$root/kit/lib" && mount -o remount,bind,ro "$root/kit/lib"
(cd "$kit" && find solutions labs -maxdepth 2 -name '*.h' 2>/dev/null) | while read -r h; do
	mkdir -p "$root/kit/$(dirname "$h")" && cp "$kit/$h" "$root/kit/$h"
done
mount --bind "$work" "$root/work"
mount -t proc proc "$root/proc"
chown -R 65534:65534 "$work"
cp "$script" "$root/tmp/compile.sh" && chmod 644 "$root/tmp/compile.sh"
# CPU seconds, memory and file size: a compiler fed something pathological stops.
exec chroot "$root" /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	/bin/sh -c 'ulimit -t 300; ulimit -v 2000000; ulimit -f 200000; cd /kit && exec /bin/sh /tmp/compile.sh'
