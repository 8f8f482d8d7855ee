#!/usr/bin/env bats
# Stage 10: volumes (labs/10-volumes). Named and anonymous volumes, bind mounts, tmpfs, Docker's
# copy-up, sharing, --volumes-from and the backup recipe, and mount targets that stay inside the
# container's root. Points are in grader/rubric.

load helpers

setup_file() {
	shared_state_setup_file
}

setup() {
	shared_state_setup
	export HOSTDIR=$BATS_TEST_TMPDIR/host
	mkdir -p "$HOSTDIR"
}

teardown() {
	remove_all_containers
	minidock volume prune -f >/dev/null 2>&1 || true
	common_teardown
}

@test "a named volume is made on first use, keeps its data after rm, and two running containers share it" {
	run minidock run --name w1 -v data:/data busybox sh -c 'echo kept >/data/file'
	[ "$status" -eq 0 ] || fail "run -v data:/data: $output"
	run minidock volume ls -q
	[ "$output" = data ] || fail "volume ls after run -v data:/data: $output"
	minidock rm w1 >/dev/null
	run minidock run --rm -v data:/d busybox cat /d/file
	[ "$output" = kept ] || fail "the volume's data after rm of the container that wrote it: $output (vol_mount)"
	minidock run -d --name r1 -v data:/a busybox sleep 60 >/dev/null
	minidock run -d --name r2 -v data:/b busybox sleep 60 >/dev/null
	minidock exec r1 sh -c 'echo from-r1 >/a/shared'
	run minidock exec r2 cat /b/shared
	[ "$output" = from-r1 ] || fail "r2 does not see r1's write in their volume: $output"
	# A monitor killed with -9 loses nothing of the volume.
	kill -9 "$(awk '{print $4}' "/proc/$(minidock inspect -f '{{.State.Pid}}' r1)/stat")"
	wait_for sh -c "minidock ps -a | grep -q Exited"
	run minidock run --rm -v data:/c busybox cat /c/shared
	[ "$output" = from-r1 ] || fail "the volume's data after kill -9 of a monitor: $output"
	# On the host, the files are in the volume's Mountpoint.
	[ "$(cat "$(minidock volume inspect -f '{{.Mountpoint}}' data)/shared")" = from-r1 ] || fail "Mountpoint does not hold the data"
}

@test "volume create, ls and inspect show Docker's fields; bad names and drivers are refused" {
	run minidock volume create --label team=db --label tier vone
	[ "$status" -eq 0 ] && [ "$output" = vone ] || fail "volume create: $output"
	run minidock volume create vone
	[ "$status" -eq 0 ] || fail "a second create of the same volume is an error: $output"
	run minidock run --rm -v vone:/v busybox touch /v/made
	[ "$status" -eq 0 ] && [ -e "$MINIDOCK_ROOT/volumes/vone/_data/made" ] || fail "a file made in the volume is not in its _data: $output"
	run minidock volume inspect -f '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels.team}} {{.Mountpoint}}' vone
	[ "$output" = "vone local local db $MINIDOCK_ROOT/volumes/vone/_data" ] || fail "inspect: $output"
	run minidock volume inspect -f '{{.CreatedAt}}' vone
	[[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T ]] || fail "CreatedAt: $output"
	run minidock volume create
	[[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "an unnamed volume gets 64 hex digits: $output"
	run minidock volume ls -q -f label=team=db
	[ "$output" = vone ] || fail "ls -f label=team=db: $output"
	run minidock volume ls
	[ "${lines[0]}" = "DRIVER    VOLUME NAME" ] || fail "ls header: ${lines[0]}"
	for bad in -bad a ../x 'a/b' '.hidden'; do
		run minidock volume create -- "$bad"
		[ "$status" -ne 0 ] || fail "volume name \"$bad\" accepted"
	done
	[ ! -e "$MINIDOCK_ROOT/x" ] || fail "a volume name made a file outside the store"
	run minidock volume create -d nfs x1
	[ "$status" -ne 0 ] || fail "driver nfs accepted"
	run minidock volume create -o type=nfs -o device=:/export x2
	[ "$status" -ne 0 ] && [[ "$output" == *tmpfs* ]] || fail "local type=nfs: $status $output"
	run minidock volume inspect nothere
	[ "$status" -eq 1 ] && [[ "$output" == *"no such volume"* ]] || fail "inspect of a missing volume: $output"
}

@test "volume rm refuses a volume a container uses, even a stopped one; prune removes only unused ones" {
	run minidock run --name holder -v keep:/d busybox sh -c 'echo x >/d/f'
	[ "$status" -eq 0 ] || fail "run -v keep:/d: $output"
	minidock volume create spare >/dev/null
	run minidock volume rm keep
	[ "$status" -ne 0 ] && [[ "$output" == *"volume is in use"* ]] || fail "rm of a volume a stopped container uses: $output"
	run minidock volume ls -q -f dangling=true
	[ "$output" = spare ] || fail "dangling=true: $output"
	run minidock volume prune -f
	[[ "$output" == *spare* ]] || fail "prune: $output"
	run minidock volume ls -q
	[ "$output" = keep ] || fail "after prune: $output"
	minidock rm holder >/dev/null
	run minidock volume rm keep
	[ "$status" -eq 0 ] || fail "rm once unused: $output"
	[ ! -e "$MINIDOCK_ROOT/volumes/keep" ] || fail "volumes/keep is left"
}

@test "anonymous volumes: -v /path makes one; rm -v and run --rm remove it, named volumes stay" {
	minidock create --name anon -v /scratch -v named:/named busybox true >/dev/null
	run minidock volume ls -q
	[ "${#lines[@]}" -eq 2 ] || fail "two volumes expected: $output"
	local anon
	anon=$(minidock inspect -f '{{range .Mounts}}{{if eq .Destination "/scratch"}}{{.Name}}{{end}}{{end}}' anon)
	[[ "$anon" =~ ^[0-9a-f]{64}$ ]] || fail "the anonymous volume's name: $anon"
	run minidock start -a anon
	[ "$status" -eq 0 ] || fail "a container with an anonymous volume: $output"
	minidock rm -v anon >/dev/null
	run minidock volume ls -q
	[ "$output" = named ] || fail "after rm -v: $output (the anonymous one goes, the named one stays)"
	run minidock run --rm -v /tmpdata busybox sh -c 'echo x >/tmpdata/f'
	[ "$status" -eq 0 ] || fail "run --rm -v /tmpdata: $output"
	run minidock volume ls -q
	[ "$output" = named ] || fail "after run --rm -v /tmpdata: $output"
}

@test "bind mounts: a host directory in the container, read-only means read-only, a missing host path is made" {
	echo from-host >"$HOSTDIR/in"
	run minidock run --rm -v "$HOSTDIR:/h" busybox sh -c 'cat /h/in; echo from-container >/h/out'
	[ "$output" = from-host ] || fail "bind mount: $output"
	[ "$(cat "$HOSTDIR/out")" = from-container ] || fail "the container's write is not in the host directory"
	run minidock run --rm -v "$HOSTDIR:/h:ro" busybox sh -c 'echo x >/h/new'
	[ "$status" -ne 0 ] && [[ "$output" == *"Read-only file system"* ]] || fail ":ro: $status $output"
	[ ! -e "$HOSTDIR/new" ] || fail "a write went through a read-only bind mount"
	run minidock run --rm --mount "type=bind,source=$HOSTDIR,target=/h,readonly" busybox touch /h/new2
	[ "$status" -ne 0 ] && [ ! -e "$HOSTDIR/new2" ] || fail "--mount ...,readonly: $status $output"
	run minidock run --rm -v "$HOSTDIR/made/here:/m" busybox true
	[ "$status" -eq 0 ] && [ -d "$HOSTDIR/made/here" ] || fail "-v with a missing host path: $status $output"
	run minidock run --rm --mount "type=bind,source=$HOSTDIR/missing,target=/m" busybox true
	[ "$status" -ne 0 ] && [[ "$output" == *"bind source path does not exist"* ]] || fail "--mount bind, missing: $output"
	run minidock run --rm -v "$HOSTDIR:/h" busybox grep " /h " /proc/self/mountinfo
	[ "$status" -eq 0 ] && [[ "$output" != *" shared:"* && "$output" != *" master:"* ]] || fail "a bind is not rprivate: $output"
	# A file on a file.
	run minidock run --rm -v "$HOSTDIR/in:/etc/motd:ro" busybox cat /etc/motd
	[ "$output" = from-host ] || fail "a file bound on a file: $output"
}

@test "bind sources that would hand over the host are refused, / and minidock's own state, unless --privileged" {
	run minidock run --rm -v "$HOSTDIR:/fine" busybox true
	[ "$status" -eq 0 ] || fail "an ordinary bind mount: $output"
	run minidock run --rm -v /:/host busybox true
	[ "$status" -eq 125 ] && [[ "$output" == *"host's root"* ]] || fail "-v /:/host: $status $output"
	run minidock run --rm -v "$MINIDOCK_ROOT:/state" busybox true
	[ "$status" -eq 125 ] && [[ "$output" == *"minidock's state"* ]] || fail "-v ROOT:/state: $status $output"
	# Asked for in so many words: --privileged.
	run minidock run --rm --privileged -v /:/host busybox test -d /host/grader
	[ "$status" -eq 0 ] || fail "--privileged -v /:/host: $status $output"
	run minidock run --rm -v "$HOSTDIR:/" busybox true
	[ "$status" -eq 125 ] || fail "a mount on the container's / was accepted: $output"
	run minidock run --rm -v aa:/x -v bb:/x busybox true
	[ "$status" -eq 125 ] && [[ "$output" == *"Duplicate mount point"* ]] || fail "two mounts on /x: $output"
	[ -z "$(minidock volume ls -q)" ] || fail "a refused run left volumes: $(minidock volume ls -q)"
}

@test "copy-up: an empty volume gets the image's files with their owners and modes, once; volume-nocopy keeps it empty" {
	local want
	want=$(minidock run --rm busybox stat -c '%u %g %a %s' /etc/passwd)
	run minidock run --rm -v cu:/etc busybox stat -c '%u %g %a %s' /etc/passwd
	[ "$output" = "$want" ] || fail "the image's /etc/passwd in the new volume: '$output', want '$want' (vol_copy_up)"
	run minidock run --rm -v cu:/x busybox sh -c 'cat /x/passwd >/dev/null && rm /x/passwd && echo mine >/x/mine && echo gone'
	[ "$output" = gone ] || fail "the copied files are not in the volume: $output"
	run minidock run --rm -v cu:/etc busybox sh -c 'test ! -e /etc/passwd && cat /etc/mine'
	[ "$status" -eq 0 ] && [ "$output" = mine ] || fail "a volume with data was copied into again: $status $output"
	run minidock run --rm --mount source=nc,target=/etc,volume-nocopy busybox ls -A /etc
	[ -z "$output" ] || fail "volume-nocopy still copied: $output"
	# A bind mount never copies.
	run minidock run --rm -v "$HOSTDIR:/etc" busybox ls -A /etc
	[ -z "$output" ] || fail "a bind mount received the image's files: $output"
}

@test "tmpfs mounts: size and mode, nosuid nodev noexec; a local tmpfs volume" {
	run minidock run --rm --mount type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770 busybox sh -c 'grep " /t " /proc/mounts; stat -c %a /t'
	[[ "${lines[0]}" == "tmpfs /t tmpfs rw,nosuid,nodev,noexec"* ]] || fail "tmpfs mount: $output"
	[[ "${lines[0]}" == *"size=1024k"* ]] || fail "tmpfs-size=1m: ${lines[0]}"
	[ "${lines[1]}" = 1770 ] || fail "tmpfs-mode=1770: ${lines[1]}"
	minidock volume create -o type=tmpfs -o device=tmpfs -o o=size=2m tv >/dev/null
	run minidock run --rm -v tv:/tv busybox sh -c 'grep " /tv " /proc/mounts'
	[[ "$output" == "tmpfs /tv tmpfs"*"size=2048k"* ]] || fail "a type=tmpfs volume: $output"
}

@test "inspect shows Mounts as Docker: Type, Name, Source, Destination, Driver, Mode, RW, Propagation" {
	minidock create --name mnt -v iv:/data:ro -v "$HOSTDIR:/h" busybox true >/dev/null
	run minidock inspect -f '{{range .Mounts}}{{.Type}} {{.Name}} {{.Source}} {{.Destination}} {{.Driver}} {{.Mode}} {{.RW}} {{.Propagation}}|{{end}}' mnt
	local want="volume iv $MINIDOCK_ROOT/volumes/iv/_data /data local ro false |bind  $HOSTDIR /h   true rprivate|"
	[ "$output" = "$want" ] || fail "Mounts: $output
want:   $want"
	run minidock start -a mnt
	[ "$status" -eq 0 ] || fail "the container with those mounts does not start: $output"
}

@test "--volumes-from and Docker's backup and restore recipe work end to end" {
	minidock run -d --name db -v dbdata:/dbdata busybox sh -c 'mkdir -p /dbdata/t && echo row1 >/dbdata/t/rows && sleep 60' >/dev/null
	wait_for minidock exec db test -f /dbdata/t/rows
	run minidock run --rm --volumes-from db -v "$HOSTDIR:/backup" busybox tar cf /backup/backup.tar /dbdata
	[ "$status" -eq 0 ] && [ -s "$HOSTDIR/backup.tar" ] || fail "backup: $output"
	tar tf "$HOSTDIR/backup.tar" | grep -q 'dbdata/t/rows' || fail "the backup lacks the rows: $(tar tf "$HOSTDIR/backup.tar")"
	run minidock run --rm --volumes-from db:ro busybox sh -c 'echo x >/dbdata/no'
	[ "$status" -ne 0 ] || fail "--volumes-from db:ro is writable"
	# A -v on the same path wins over --volumes-from's, as Docker.
	run minidock run --rm --volumes-from db -v elsewhere:/dbdata busybox ls -A /dbdata
	[ "$status" -eq 0 ] && [ -z "$output" ] || fail "-v elsewhere:/dbdata with --volumes-from db: $status $output"
	# Restore into a new container's volume.
	minidock create --name db2 -v /dbdata busybox true >/dev/null
	run minidock run --rm --volumes-from db2 -v "$HOSTDIR:/backup" busybox sh -c 'cd / && tar xf /backup/backup.tar && cat /dbdata/t/rows'
	[ "$output" = row1 ] || fail "restore: $output"
}

@test "a mount target is resolved inside the container's root, even while a container swaps it for a symlink" {
	minidock volume create other >/dev/null
	echo inside >"$(minidock volume inspect -f '{{.Mountpoint}}' other)/marker"
	minidock volume create shared >/dev/null
	local shared i
	shared=$(minidock volume inspect -f '{{.Mountpoint}}' shared)
	# A symbolic link on the way, absolute or climbing out with "..": followed inside the root.
	for link in /etc ../../../../../../etc; do
		ln -sfn "$link" "$shared/d"
		run minidock run --rm -v shared:/x -v other:/x/d busybox cat /etc/marker
		[ "$output" = inside ] || fail "/x/d -> $link: the mount is not on the container's /etc ($status: $output) (vol_open_target)"
		[ ! -e /etc/marker ] || fail "/x/d -> $link: the volume was mounted on the host's /etc"
	done
	# A link to a host path the container does not have: made inside the root, or refused.
	ln -sfn /grader "$shared/d"
	run minidock run --rm -v shared:/x -v other:/x/d busybox cat /grader/marker
	[ "$status" -eq 125 ] || [ "$output" = inside ] || fail "/x/d -> /grader: $status $output"
	[ ! -e /grader/marker ] || fail "the volume was mounted on the host's /grader"
	rm "$shared/d"
	# A container turns /v/d into a directory, nothing, a link to /etc, nothing, as fast as it can,
	# while others start with a volume on it: each one starts or is refused, and the host's /etc
	# and mount table never get the volume.
	minidock run -d --name swapper -v shared:/v busybox sh -c 'while :; do mkdir /v/d; rmdir /v/d; ln -s /etc /v/d; rm /v/d; done' >/dev/null
	for i in $(seq 10); do
		run minidock run --rm -v shared:/x -v other:/x/d busybox sh -c 'cat /x/d/marker /etc/marker 2>/dev/null; true'
		[ "$status" -eq 0 ] || [ "$status" -eq 125 ] || fail "attempt $i: $status $output"
		[ ! -e /etc/marker ] || fail "attempt $i: the volume reached the host's /etc"
	done
	! grep -q " /etc " /proc/self/mountinfo || fail "a mount on the host's /etc: $(grep ' /etc ' /proc/self/mountinfo)"
}

@test "a read-only root with a writable volume; a volume inside another" {
	run minidock run --rm --read-only -v rw:/w busybox sh -c 'touch /w/ok && echo wrote; touch /nope'
	[ "${lines[0]}" = wrote ] || fail "a volume under --read-only: $output"
	[[ "$output" == *"Read-only file system"* ]] || fail "--read-only root took a write: $output"
	run minidock run --rm -v outer:/o -v inner:/o/in busybox sh -c 'echo x >/o/in/f && grep -c " /o" /proc/mounts'
	[ "$output" = 2 ] || fail "a volume in a volume: $output"
	[ -f "$(minidock volume inspect -f '{{.Mountpoint}}' inner)/f" ] || fail "the inner volume did not get the file"
}

@test "a local bind volume (type=none, o=bind, device=DIR) shows DIR's files" {
	echo local-bind >"$HOSTDIR/lb"
	minidock volume create -o type=none -o o=bind -o device="$HOSTDIR" lbv >/dev/null
	run minidock run --rm -v lbv:/l busybox cat /l/lb
	[ "$output" = local-bind ] || fail "a bind volume: $output"
	run minidock volume create -o type=none -o o=bind -o device="$HOSTDIR/none" bad
	[ "$status" -ne 0 ] || fail "a bind volume of a missing directory was made"
}

@test "an image's VOLUME is an anonymous volume with the image's files; a -v on its path replaces it" {
	minidock image load -i "$IMAGES/volume-oci.tar" >/dev/null
	run minidock run --name withvol volume sh -c 'ls /data; echo new >/data/added'
	[ "$output" = "$(printf 'dir\ngone\nkeep')" ] || fail "the VOLUME /data: $output"
	local name
	name=$(minidock inspect -f '{{range .Mounts}}{{.Name}}{{end}}' withvol)
	[[ "$name" =~ ^[0-9a-f]{64}$ ]] || fail "the VOLUME's volume: '$name'"
	[ "$(cat "$MINIDOCK_ROOT/volumes/$name/_data/added")" = new ] || fail "the write is not in the anonymous volume"
	minidock rm -v withvol >/dev/null
	[ ! -e "$MINIDOCK_ROOT/volumes/$name" ] || fail "rm -v left the VOLUME's anonymous volume"
	run minidock run --rm -v mine:/data volume ls /data
	[ "$output" = "$(printf 'dir\ngone\nkeep')" ] || fail "a named volume on the VOLUME's path: $output"
	run minidock volume ls -q
	[ "$output" = mine ] || fail "a -v on the VOLUME's path still made an anonymous volume: $output"
}
