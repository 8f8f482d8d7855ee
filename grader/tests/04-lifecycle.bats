#!/usr/bin/env bats
# Stage 4: the container lifecycle (labs/04-lifecycle). Containers that live on after the
# command that started them, kept by a monitor process; create, start, run -d, ps, logs, exec,
# stop, kill, rm, inspect, wait, restart, container prune; --init; a terminal with -t; a
# state that stays true when processes are killed. Points are in grader/rubric.

load helpers

PTYRUN=${PTYRUN:-/grader/bin/ptyrun}

setup_file() {
	shared_state_setup_file
}

setup() {
	shared_state_setup
}

teardown() {
	remove_all_containers
	common_teardown
}

# state NAME: "Status ExitCode" from inspect.
state() {
	minidock inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$1"
}

# monitor_of NAME: the pid of NAME's monitor (the parent of its PID 1).
monitor_of() {
	local pid
	pid=$(minidock inspect -f '{{.State.Pid}}' "$1")
	awk '{sub(/^.*\) /, ""); print $2}' "/proc/$pid/stat"
}

# The time since the epoch, in milliseconds.
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

@test "run -d prints the full id and the container runs on after minidock returns" {
	run minidock run -d --name bg busybox sleep 60
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed \"$output\", want a 64-digit id"
	local id=$output pid
	run state bg
	[ "$output" = "running 0" ]
	pid=$(minidock inspect -f '{{.State.Pid}}' "$id")
	[ "$(cat "/proc/$pid/comm")" = sleep ] || fail "State.Pid $pid is not the container's sleep"
	# It is PID 1 of a PID namespace of its own.
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
	[ "$(awk '/^NSpid/ {print $NF}' "/proc/$pid/status")" = 1 ]
	# Its parent is a monitor, not a shell of the test's: minidock itself has returned.
	[ "$(monitor_of bg)" -ne $$ ]
}

@test "create leaves a container created; start runs it; start -a attaches and returns its status" {
	run minidock create --name c1 busybox sh -c 'echo from c1; exit 3'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	run state c1
	[ "$output" = "created 0" ]
	run minidock ps -a
	[[ "$output" == *"Created"*"c1"* ]] || fail "ps -a: $output"
	# Nothing of it runs yet.
	run minidock inspect -f '{{.State.Pid}}' c1
	[ "$output" = 0 ]
	run minidock start -a c1
	[ "$status" -eq 3 ]
	[ "$output" = "from c1" ]
	run state c1
	[ "$output" = "exited 3" ]
	# A created container started without -a runs in the background.
	minidock create --name c2 busybox sleep 60 >/dev/null
	run minidock start c2
	[ "$status" -eq 0 ]
	[ "$output" = c2 ]
	run state c2
	[ "$output" = "running 0" ]
}

@test "ps lists running containers; -a all of them; -q ids; STATUS is Up, Exited (N) or Created" {
	minidock run -d --name up busybox sleep 60 >/dev/null
	minidock run --name done busybox sh -c 'exit 5' || true
	minidock create --name new busybox true >/dev/null
	run minidock ps
	[[ "${lines[0]}" == "CONTAINER ID"*"IMAGE"*"COMMAND"*"CREATED"*"STATUS"*"PORTS"*"NAMES" ]]
	[ "${#lines[@]}" -eq 2 ] || fail "ps shows only running containers: $output"
	[[ "${lines[1]}" =~ ^[0-9a-f]{12}\ +busybox\ +\"sleep\ 60\".*\ Up\ .*\ up$ ]] || fail "ps: ${lines[1]}"
	run minidock ps -a
	[ "${#lines[@]}" -eq 4 ]
	[[ "$output" == *"Exited (5) "*" ago"*"done"* ]] || fail "ps -a: $output"
	[[ "$output" == *"Created"*"new"* ]]
	run minidock ps -a -q
	[ "${#lines[@]}" -eq 3 ]
	local line
	for line in "${lines[@]}"; do
		[[ "$line" =~ ^[0-9a-f]{12}$ ]] || fail "ps -q: $line"
	done
	# Newest first.
	[ "$(minidock ps -a | awk 'NR==2 {print $NF}')" = new ]
	# COMMAND quotes an argument with a space, as Docker: "sh -c 'exit 5'".
	run minidock ps -a --no-trunc
	[[ "$output" == *"\"sh -c 'exit 5'\""* ]] || fail "ps --no-trunc: $output"
}

@test "names are unique, a unique id prefix finds a container, and conflicts are clear errors" {
	run minidock run -d --name web busybox sleep 60
	[ "$status" -eq 0 ]
	local id=$output
	run minidock create --name web busybox true
	[ "$status" -ne 0 ]
	[[ "$output" == *'"/web" is already in use by container "'"$id"'"'* ]] || fail "conflict: $output"
	[ "$(minidock ps -a -q | wc -l)" -eq 1 ] || fail "the refused container was made anyway"
	run minidock create --name 'bad name' busybox true
	[ "$status" -ne 0 ]
	[[ "$output" == *"Invalid container name"* ]]
	# The id, a prefix of it and the name all find it.
	[ "$(minidock inspect -f '{{.Id}}' "$id")" = "$id" ]
	[ "$(minidock inspect -f '{{.Id}}' "${id:0:5}")" = "$id" ]
	[ "$(minidock inspect -f '{{.Name}}' web)" = /web ]
	# Without --name, a generated name, different each time.
	local a b
	a=$(minidock inspect -f '{{.Name}}' "$(minidock create busybox true)")
	b=$(minidock inspect -f '{{.Name}}' "$(minidock create busybox true)")
	[[ "$a" =~ ^/[a-z]+_[a-z]+[0-9]*$ ]] && [ "$a" != "$b" ] || fail "names: $a $b"
	# 17 ids: two of them share a first digit, which is then an ambiguous prefix.
	for i in $(seq 14); do minidock create busybox true >/dev/null; done
	local shared
	shared=$(minidock ps -a -q | cut -c1 | sort | uniq -d | head -n 1)
	run minidock inspect "$shared"
	[ "$status" -ne 0 ]
	[[ "$output" == *"multiple"* ]] || fail "ambiguous prefix $shared: $output"
	run minidock inspect nosuchcontainer
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such object: nosuchcontainer"* ]]
}

@test "logs keeps stdout and stderr apart and in order, as json-file lines; --tail and -t" {
	minidock run --name cl busybox sh -c 'echo out1; echo err1 >&2; echo out2; printf "no newline"' >/dev/null 2>&1
	run --separate-stderr minidock logs cl
	[ "$status" -eq 0 ]
	[ "$output" = $'out1\nout2\nno newline' ] || fail "stdout: $output"
	[ "$stderr" = err1 ] || fail "stderr: $stderr"
	# The log file itself: one JSON object per line, as Docker's json-file driver.
	local log
	log=$(minidock inspect -f '{{.LogPath}}' cl)
	[ "$(wc -l <"$log")" -eq 4 ]
	grep -q '^{"log":"out1\\n","stream":"stdout","time":"20[0-9-]*T[0-9:.]*Z"}$' "$log" || fail "$(cat "$log")"
	grep -q '"log":"err1\\n","stream":"stderr"' "$log"
	run minidock logs --tail 1 cl
	[ "$output" = "no newline" ]
	run --separate-stderr minidock logs -t cl
	[[ "${lines[0]}" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z\ out1$ ]] || fail "-t: ${lines[0]}"
	# Quotes, backslashes, tabs and bytes that are not UTF-8 survive (or become U+FFFD).
	minidock run --name cq busybox printf 'a"b\\c\td\377e\n' >/dev/null
	run minidock logs cq
	[ "$output" = $'a"b\\c\td\xef\xbf\xbde' ] || fail "logs: $(printf %q "$output")"
}

@test "logs -f follows a running container until it stops" {
	minidock run -d --name cf busybox sh -c 'echo one; sleep 1; echo two; sleep 1; echo three' >/dev/null
	local start
	start=$(now_ms)
	run timeout 20 minidock logs -f cf
	[ "$status" -eq 0 ]
	[ "$output" = $'one\ntwo\nthree' ] || fail "logs -f: $output"
	[ $(($(now_ms) - start)) -ge 1500 ] || fail "logs -f returned before the container ended"
}

@test "exec joins the container: its processes, host name, root, environment and workdir" {
	minidock run -d --name ce -h exechost -e FROM_RUN=yes -w /srv busybox sh -c 'touch /marker; sleep 60' >/dev/null
	wait_for minidock exec ce test -e /marker
	run minidock exec ce ps -o pid,comm
	[[ "$output" == *"1 sleep"* ]] || fail "exec ps: $output"
	# In the container's PID namespace itself, not only its /proc: the exec'd shell is one of
	# the processes its /proc lists (a shell left in the host's would have no /proc/self there).
	run minidock exec ce sh -c 'echo $$; readlink /proc/self'
	[ "${#lines[@]}" -eq 2 ] && [ "${lines[0]}" = "${lines[1]}" ] && [ "${lines[0]}" -lt 100 ] ||
		fail "exec's process is not in the container's PID namespace: $output"
	run minidock exec ce hostname
	[ "$output" = exechost ]
	run minidock exec ce sh -c 'echo $FROM_RUN; pwd'
	[ "$output" = $'yes\n/srv' ]
	run minidock exec -e FROM_RUN=changed -e NEW=1 -w /tmp ce sh -c 'echo $FROM_RUN $NEW; pwd'
	[ "$output" = $'changed 1\n/tmp' ]
	# The command's exit status; 127 for a command that is not there.
	run minidock exec ce sh -c 'exit 9'
	[ "$status" -eq 9 ]
	# Even when its parent ignores SIGCHLD (inherited across execve: a server's way to reap).
	run timeout 20 bash -c "trap '' CHLD; exec minidock exec ce sh -c 'exit 7'"
	[ "$status" -eq 7 ] || fail "exec under an ignored SIGCHLD: status $status (124: it never saw its process end)"
	run minidock exec ce nosuchcommand
	[ "$status" -eq 127 ]
	[[ "$output" == *"executable file not found"* ]]
	# 126 for what is there but cannot be run (lab 1's search, as run's).
	run minidock exec ce /etc
	[ "$status" -eq 126 ] || fail "exec of a directory: $status $output"
	run minidock exec ce etc
	[ "$status" -eq 127 ]
	# Without -i the command gets no stdin; with -i it gets minidock's.
	run sh -c 'echo typed | minidock exec -i ce cat'
	[ "$output" = typed ]
	run sh -c 'echo typed | minidock exec ce cat'
	[ "$output" = "" ]
	# -t: a terminal of the container's own (its /dev/pts), with the caller's size.
	run "$PTYRUN" 20 70 minidock exec -it ce sh -c 'tty; stty size; exit 2' </dev/null
	[[ "$output" == *"/dev/pts/"*"20 70"*"ptyrun: exit 2"* ]] || fail "exec -it: $output"
	# Not in a container that does not run.
	minidock create --name idle busybox true >/dev/null
	run minidock exec idle true
	[ "$status" -eq 1 ] || fail "exec into a stopped container: exit $status, Docker's is 1"
	[[ "$output" == *"is not running"* ]]
}

@test "stop sends SIGTERM: a container that handles it stops at once with its own status" {
	minidock run -d --name ct busybox sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done' >/dev/null
	local start
	start=$(now_ms)
	run minidock stop ct
	[ "$status" -eq 0 ]
	[ "$output" = ct ]
	[ $(($(now_ms) - start)) -lt 5000 ] || fail "stop took $(($(now_ms) - start)) ms"
	run state ct
	[ "$output" = "exited 0" ]
	# Stopping a stopped container is no error.
	run minidock stop ct
	[ "$status" -eq 0 ]
}

@test "stop -t N kills a container that ignores SIGTERM after N seconds: exit 137" {
	# sleep as PID 1 has no handler: the kernel does not even deliver SIGTERM to it.
	minidock run -d --name stubborn busybox sleep 100 >/dev/null
	local start elapsed
	start=$(now_ms)
	run minidock stop -t 2 stubborn
	elapsed=$(($(now_ms) - start))
	[ "$status" -eq 0 ]
	[ "$elapsed" -ge 1900 ] && [ "$elapsed" -lt 8000 ] || fail "stop -t 2 took $elapsed ms"
	run state stubborn
	[ "$output" = "exited 137" ]
	run minidock ps -a
	[[ "$output" == *"Exited (137)"* ]]
}

@test "kill sends SIGKILL, or -s SIG; a signal that does not end it leaves it running" {
	minidock run -d --name ck busybox sh -c 'trap "echo got HUP" HUP; while :; do sleep 0.1; done' >/dev/null
	run minidock kill -s HUP ck
	[ "$status" -eq 0 ]
	wait_for sh -c 'minidock logs ck | grep -q "got HUP"'
	run state ck
	[ "$output" = "running 0" ]
	run minidock kill -s NOSUCHSIG ck
	[ "$status" -ne 0 ]
	run minidock kill ck
	[ "$status" -eq 0 ]
	wait_for sh -c '[ "$(minidock inspect -f "{{.State.Status}}" ck)" = exited ]'
	run state ck
	[ "$output" = "exited 137" ]
	run minidock kill ck
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not running"* ]]
}

@test "rm refuses a running container; rm -f kills it; nothing of it is left" {
	local before
	before=$(host_mounts)
	minidock run -d --name cr busybox sleep 100 >/dev/null
	local id pid monitor
	id=$(minidock inspect -f '{{.Id}}' cr)
	pid=$(minidock inspect -f '{{.State.Pid}}' cr)
	monitor=$(monitor_of cr)
	run minidock rm cr
	[ "$status" -ne 0 ]
	[[ "$output" == *"container is running"* ]] || fail "rm: $output"
	[ -e "/proc/$pid" ]
	run minidock rm -f cr
	[ "$status" -eq 0 ]
	[ "$output" = cr ]
	# No process (the container's or its monitor's), no state, no mount.
	wait_for sh -c "! [ -e /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status"
	wait_for sh -c "! [ -e /proc/$monitor ] || grep -q '^State:.*Z' /proc/$monitor/status"
	[ ! -e "$MINIDOCK_ROOT/containers/$id" ]
	[ -z "$(ls -A "$MINIDOCK_ROOT/containers")" ] || fail "left: $(ls -A "$MINIDOCK_ROOT/containers")"
	[ "$(host_mounts)" = "$before" ] || fail "mounts: $(diff <(echo "$before") <(host_mounts))"
	run minidock inspect cr
	[ "$status" -ne 0 ]
	run minidock rm cr
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such container: cr"* ]]
}

@test "wait blocks until the container ends and prints its exit code" {
	minidock run -d --name cw busybox sh -c 'sleep 1; exit 5' >/dev/null
	run minidock wait cw
	[ "$status" -eq 0 ]
	[ "$output" = 5 ]
	run state cw
	[ "$output" = "exited 5" ]
	# An ended container: at once.
	run minidock wait cw
	[ "$output" = 5 ]
}

@test "restart stops and starts the container again, keeping its files" {
	minidock run -d --name rs busybox sh -c 'echo run >> /runs; sleep 100' >/dev/null
	local first
	first=$(minidock inspect -f '{{.State.Pid}}' rs)
	run minidock restart -t 0 rs
	[ "$status" -eq 0 ]
	run state rs
	[ "$output" = "running 0" ]
	[ "$(minidock inspect -f '{{.State.Pid}}' rs)" != "$first" ]
	wait_for sh -c '[ "$(minidock exec rs cat /runs)" = "$(printf "run\nrun")" ]'
}

@test "run --rm removes the container when it ends, in the foreground and with -d" {
	run minidock run --rm --name gone busybox echo bye
	[ "$output" = bye ]
	run minidock inspect gone
	[ "$status" -ne 0 ]
	minidock run -d --rm --name gone2 busybox sleep 1 >/dev/null
	run state gone2
	[ "$output" = "running 0" ]
	wait_for sh -c '! minidock inspect gone2 >/dev/null 2>&1'
	[ -z "$(ls -A "$MINIDOCK_ROOT/containers")" ] || fail "left: $(ls -A "$MINIDOCK_ROOT/containers")"
	# Without --rm, a foreground container stays, exited.
	minidock run --name stays busybox true
	run state stays
	[ "$output" = "exited 0" ]
}

@test "inspect shows Docker's State fields and the container's config" {
	printf '# the defaults\nCOLOR=red\n\nSHAPE=round\n' >"$BATS_TEST_TMPDIR/env"
	minidock run -d --name ci --env-file "$BATS_TEST_TMPDIR/env" -e COLOR=blue -l tier=front -l beta busybox sleep 60 >/dev/null
	run minidock inspect ci
	[ "$status" -eq 0 ]
	local field
	for field in '"Status": "running"' '"Running": true' '"Paused": false' '"OOMKilled": false' \
		'"Dead": false' '"ExitCode": 0' '"StartedAt": "20' '"FinishedAt": "0001-01-01T00:00:00Z"' \
		'"COLOR=blue"' '"Image": "sha256:' '"Cmd": ['; do
		[[ "$output" == *"$field"* ]] || fail "inspect has no $field: $output"
	done
	[[ "$output" == "["* ]]
	[[ "$output" =~ \"Pid\":\ [1-9][0-9]* ]]
	minidock stop -t 0 ci >/dev/null
	run minidock inspect -f '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}' ci
	[ "$output" = "exited false 137 0" ]
	run minidock inspect -f '{{.State.FinishedAt}}' ci
	[[ "$output" =~ ^20[0-9]{2}-.*Z$ ]]
	run minidock inspect -f '{{json .Config.Cmd}}' ci
	[ "$output" = '["sleep","60"]' ]
	# Docker's Config.Env is what the image and -e set; PATH and HOSTNAME are added at start.
	run minidock inspect -f '{{range .Config.Env}}{{.}};{{end}}' ci
	[ "$output" = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin;COLOR=blue;SHAPE=round;" ] || fail "Config.Env: $output"
	run minidock inspect -f '{{.HostConfig.NetworkMode}} {{.RestartCount}} {{.Platform}} {{.Config.Labels}} {{.Driver}}' ci
	[ "$output" = "default 0 linux map[beta: tier:front] overlay" ] || fail "$output"
	run minidock ps -a -f label=tier=front --format '{{.Names}} {{.Labels}}'
	[ "$output" = "ci beta=,tier=front" ] || fail "ps -f label: $output"
	minidock start ci >/dev/null
	run minidock exec ci sh -c 'echo $HOSTNAME $HOME $COLOR $SHAPE'
	[ "$output" = "$(minidock inspect -f '{{.Config.Hostname}}' ci) /root blue round" ] || fail "exec's environment: $output"
}

@test "rename gives a running container another name; top lists its processes as ps -ef" {
	minidock run -d --name old busybox sh -c 'sleep 60 & sleep 61; true' >/dev/null
	minidock run -d --name other busybox sleep 60 >/dev/null
	run minidock rename old new
	[ "$status" -eq 0 ] || fail "rename: $output"
	[ "$(minidock inspect -f '{{.Name}}' new)" = /new ]
	run minidock inspect old
	[ "$status" -eq 1 ]
	run minidock rename new other
	[ "$status" -eq 1 ]
	[[ "$output" == *"is already in use"* ]] || fail "$output"
	run minidock rename new 'bad/name'
	[ "$status" -eq 1 ]
	wait_for sh -c '[ "$(minidock top new | wc -l)" -eq 4 ]'
	run minidock top new
	[ "$status" -eq 0 ] || fail "top: $output"
	[[ "${lines[0]}" =~ ^UID\ +PID\ +PPID\ +C\ +STIME\ +TTY\ +TIME\ +CMD$ ]] || fail "header: ${lines[0]}"
	[ "${#lines[@]}" -eq 4 ] || fail "top shows $((${#lines[@]} - 1)) processes: $output"
	[[ "$output" == *" sh -c sleep 60 & sleep 61; true"* && "$output" == *" sleep 60"* && "$output" == *" sleep 61"* ]] || fail "$output"
	# PIDs as the host sees them: the first is the container's PID 1.
	[[ "${lines[1]}" =~ ^root\ +$(minidock inspect -f '{{.State.Pid}}' new)\  ]] || fail "${lines[1]}"
	minidock stop -t 0 new >/dev/null
	run minidock top new
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not running"* ]]
}

@test "cp copies both ways, running or stopped, and no link of the container's leads out of it" {
	minidock run -d --name cpbox busybox sh -c 'mkdir -p /srv/d; echo in > /srv/d/f; ln -s /etc /srv/out; sleep 60' >/dev/null
	wait_for minidock exec cpbox test -L /srv/out
	local t=$BATS_TEST_TMPDIR
	run minidock cp cpbox:/srv/d "$t/got"
	[ "$status" -eq 0 ] || fail "cp out: $output"
	[ "$(cat "$t/got/f")" = in ]
	# Into the container through its own absolute link: the container's /etc, not the host's.
	echo mine >"$t/md-cp-probe"
	run minidock cp "$t/md-cp-probe" cpbox:/srv/out/
	[ "$status" -eq 0 ] || fail "cp in: $output"
	[ ! -e /etc/md-cp-probe ] || { rm -f /etc/md-cp-probe; fail "cp wrote into the host's /etc"; }
	[ "$(minidock exec cpbox cat /etc/md-cp-probe)" = mine ]
	run minidock cp cpbox:/srv/out/passwd "$t/passwd"
	[ "$(cat "$t/passwd")" = "$(minidock exec cpbox cat /etc/passwd)" ] || fail "read through the link: $(cat "$t/passwd")"
	# Stopped: its root is mounted for the copy only.
	minidock stop -t 0 cpbox >/dev/null
	run minidock cp cpbox:/srv/d/f "$t/f2"
	[ "$status" -eq 0 ] || fail "cp from a stopped container: $output"
	[ "$(cat "$t/f2")" = in ]
	echo later >"$t/later"
	minidock cp "$t/later" cpbox:/srv/d/ || fail "cp into a stopped container"
	run minidock cp cpbox:/srv/d/later "$t/later2"
	[ "$(cat "$t/later2")" = later ]
	run minidock cp cpbox:/nope "$t/x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such container:path: cpbox:/nope"* ]]
	grep -q " $MINIDOCK_ROOT/containers" /proc/self/mountinfo && fail "a mount was left: $(grep minidock /proc/self/mountinfo)"
	return 0
}

@test "--restart: on-failure:N restarts a failing command N times, always until stop; RestartCount counts" {
	minidock run -d --name rf --restart on-failure:2 busybox sh -c 'echo run; exit 3' >/dev/null
	wait_for sh -c '[ "$(minidock inspect -f "{{.RestartCount}} {{.State.Status}} {{.State.Restarting}}" rf)" = "2 exited false" ]'
	sleep 0.5 # no third start
	[ "$(minidock inspect -f '{{.RestartCount}} {{.State.ExitCode}}' rf)" = "2 3" ] || fail "$(minidock inspect -f '{{json .State}} {{.RestartCount}}' rf)"
	[ "$(minidock logs rf | grep -c run)" -eq 3 ] || fail "logs: $(minidock logs rf)"
	# on-failure leaves a success alone.
	minidock run -d --name ok --restart on-failure busybox true >/dev/null
	wait_for sh -c '[ "$(minidock inspect -f "{{.State.Status}}" ok)" = exited ]'
	sleep 0.3
	[ "$(minidock inspect -f '{{.RestartCount}}' ok)" = 0 ]
	# always: even after a success, until stop.
	minidock run -d --name al --restart always busybox sh -c 'sleep 0.1' >/dev/null
	wait_for sh -c '[ "$(minidock inspect -f "{{.RestartCount}}" al)" -ge 2 ]'
	[ "$(minidock inspect -f '{{.HostConfig.RestartPolicy.Name}}' al)" = always ]
	minidock stop -t 1 al >/dev/null
	local count
	count=$(minidock inspect -f '{{.RestartCount}}' al)
	sleep 1
	[ "$(minidock inspect -f '{{.RestartCount}} {{.State.Status}}' al)" = "$count exited" ] || fail "restarted after stop"
	run minidock run --rm --restart always busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Conflicting options: --restart and --rm"* ]]
	run minidock run --restart sometimes busybox true
	[ "$status" -eq 125 ]
}

@test "container prune removes every stopped container and keeps running ones" {
	minidock run -d --name alive busybox sleep 60 >/dev/null
	minidock run --name dead1 busybox true
	minidock create --name dead2 busybox true >/dev/null
	run minidock container prune -f
	[ "$status" -eq 0 ]
	[[ "$output" == "Deleted Containers:"* ]]
	[ "${#lines[@]}" -eq 4 ] || fail "prune: $output"
	run minidock ps -a -q
	[ "${#lines[@]}" -eq 1 ]
	run state alive
	[ "$output" = "running 0" ]
}

@test "--init: PID 1 is minidock-init, which reaps orphaned zombies and passes signals on" {
	# An orphan (the subshell's sleep) ends while PID 1 is a plain sleep: nobody reaps it.
	minidock run -d --name noinit busybox sh -c '(sleep 0.3 &); exec sleep 100' >/dev/null
	minidock run -d --init --name withinit busybox sh -c '(sleep 0.3 &); exec sleep 100' >/dev/null
	sleep 1.5
	run minidock exec noinit ps -o stat,comm
	[[ "$output" == *"Z "*"sleep"* ]] || fail "without --init, expected a zombie: $output"
	run minidock exec withinit ps -o pid,stat,comm
	[[ "$output" != *"Z "* ]] || fail "with --init, a zombie is left: $output"
	[[ "$output" == *"1 S    minidock-init"* ]] || fail "PID 1: $output"
	# SIGTERM reaches the sleep through minidock-init: stop is immediate, 128+15.
	local start
	start=$(now_ms)
	minidock stop withinit >/dev/null
	[ $(($(now_ms) - start)) -lt 5000 ]
	run state withinit
	[ "$output" = "exited 143" ]
	# The command's status is the container's.
	run minidock run --rm --init busybox sh -c 'exit 6'
	[ "$status" -eq 6 ]
}

@test "run -it gives a terminal: line editing, Ctrl-C, window size, status, terminal restored" {
	# Like a person, it waits for the prompt ("# ") before typing the next line.
	run "$PTYRUN" 30 90 minidock run -it --rm busybox sh <<-'EOF'
		expect #
		send echo hel''lo\r
		expect hello
		expect #
		send stty size\r
		expect 30 90
		expect #
		resize 41 123
		sleep 300
		send stty size\r
		expect 41 123
		expect #
		send echo st''arted; sleep 100\r
		expect started
		sleep 500
		send \x03
		expect ^C
		expect #
		send echo after ctrl-c\r
		expect after ctrl-c
		expect #
		send tty; ls /dev/pts\r
		expect /dev/pts/0
		expect #
		send exit 4\r
	EOF
	[ "$status" -eq 0 ] || fail "ptyrun: $output"
	[[ "$output" == *"hello"* ]]
	[[ "$output" == *"ptyrun: exit 4"* ]] || fail "exit status: $output"
	[[ "$output" == *"ptyrun: termios same"* ]] || fail "the terminal was not restored"
	# The terminal is the container's own (its devpts), so it has a name inside.
	[[ "$output" == *$'/dev/pts/0\r\n0'*"ptmx"* ]] || fail "tty inside: $output"
	[[ "$output" != *"not a tty"* ]]
}

@test "kill -9 of a container's monitor: the state says exited (137), nothing runs, rm works" {
	minidock run -d --name orphan busybox sleep 100 >/dev/null
	local pid monitor
	pid=$(minidock inspect -f '{{.State.Pid}}' orphan)
	monitor=$(monitor_of orphan)
	kill -9 "$monitor"
	wait_for sh -c "! [ -e /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status"
	run state orphan
	[ "$output" = "exited 137" ] || fail "state after the monitor died: $output"
	run minidock ps
	[ "${#lines[@]}" -eq 1 ] || fail "ps still shows it running: $output"
	run minidock rm orphan
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$MINIDOCK_ROOT/containers")" ]
}

@test "a running container whose container.json is damaged: ps -a shows it, rm -f kills and removes it" {
	minidock run -d --name hurt busybox sleep 100 >/dev/null
	local id pid monitor
	id=$(minidock inspect -f '{{.Id}}' hurt)
	pid=$(minidock inspect -f '{{.State.Pid}}' hurt)
	monitor=$(monitor_of hurt)
	head -c 20 "$MINIDOCK_ROOT/containers/$id/container.json" >"$BATS_TEST_TMPDIR/cut"
	cp "$BATS_TEST_TMPDIR/cut" "$MINIDOCK_ROOT/containers/$id/container.json"
	run minidock ps -a
	[[ "$output" == *"${id:0:12}"*"Dead (damaged state)"* ]] || fail "ps -a: $output"
	run minidock stop "${id:0:12}"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is damaged"*"rm -f"* ]] || fail "stop: $output"
	[ -e "/proc/$pid" ] || fail "the container died before rm -f"
	run minidock rm "${id:0:12}"
	[ "$status" -ne 0 ] || fail "rm without -f removed a running container"
	run minidock rm -f "${id:0:12}"
	[ "$status" -eq 0 ] || fail "rm -f: $output"
	wait_for sh -c "! [ -e /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status"
	wait_for sh -c "! [ -e /proc/$monitor ] || grep -q '^State:.*Z' /proc/$monitor/status"
	[ -z "$(ls -A "$MINIDOCK_ROOT/containers")" ] || fail "left: $(ls -A "$MINIDOCK_ROOT/containers")"
}

@test "a container whose configuration could not be read back is refused at create, and nothing is left" {
	# 30,000 arguments of 40 bytes: 1.2 MB of JSON, over what minidock reads back (1 MiB).
	run minidock create busybox echo $(printf 'an-argument-of-forty-bytes-for-the-test %.0s' $(seq 30000))
	[ "$status" -eq 125 ] || fail "create: $status ${output:0:300}"
	[[ "$output" == *"more than"* ]] || fail "create: ${output:0:300}"
	run minidock ps -aq
	[ -z "$output" ] || fail "a container was left: $output"
	[ -z "$(ls -A "$MINIDOCK_ROOT/containers" 2>/dev/null)" ]
}

@test "kill -9 of minidock run: the container runs on, and its end is recorded" {
	minidock run --name fg busybox sh -c 'echo started; sleep 2; exit 4' >"$BATS_TEST_TMPDIR/out" &
	local md=$!
	wait_for_output "$md" "$BATS_TEST_TMPDIR/out" started
	kill -9 "$md"
	wait "$md" || true
	run state fg
	[ "$output" = "running 0" ]
	run minidock wait fg
	[ "$output" = 4 ]
	run minidock logs fg
	[ "$output" = started ]
}

@test "20 run -d at once: all run, with distinct ids and names; two stops of one container agree" {
	local i
	for i in $(seq 20); do
		minidock run -d busybox sleep 60 >"$BATS_TEST_TMPDIR/id.$i" 2>&1 &
	done
	wait
	[ "$(cat "$BATS_TEST_TMPDIR"/id.* | grep -cE '^[0-9a-f]{64}$')" -eq 20 ] || fail "$(cat "$BATS_TEST_TMPDIR"/id.*)"
	[ "$(minidock ps -q | wc -l)" -eq 20 ]
	[ "$(minidock ps --no-trunc | awk 'NR>1 {print $NF}' | sort -u | wc -l)" -eq 20 ]
	# Two stops at once: both succeed, the container ends once.
	local one
	one=$(head -n 1 "$BATS_TEST_TMPDIR/id.1")
	minidock stop -t 1 "$one" >"$BATS_TEST_TMPDIR/stop.1" 2>&1 &
	minidock stop -t 1 "$one" >"$BATS_TEST_TMPDIR/stop.2" 2>&1 &
	wait
	[ "$(cat "$BATS_TEST_TMPDIR"/stop.*)" = "$one"$'\n'"$one" ] || fail "stops: $(cat "$BATS_TEST_TMPDIR"/stop.*)"
	run state "$one"
	[ "$output" = "exited 137" ]
	# rm -f while logs -f follows: the follower ends, nothing is left.
	minidock run -d --name followed busybox sh -c 'while :; do echo tick; sleep 0.2; done' >/dev/null
	minidock logs -f followed >"$BATS_TEST_TMPDIR/follow" 2>&1 &
	local follower=$!
	wait_for grep -q tick "$BATS_TEST_TMPDIR/follow"
	minidock rm -f followed >/dev/null
	wait_for sh -c "! kill -0 $follower 2>/dev/null"
	run minidock inspect followed
	[ "$status" -ne 0 ]
}
