#!/usr/bin/env bats
# Stage 13: the engine (labs/13-engine). `minidock daemon` serves the Docker Engine API on a
# unix socket, and Docker's own client (Debian's docker 20.10, /grader/bin/docker, with
# DOCKER_HOST set) drives it: run, exec, logs, images, builds, networks, volumes, events.
# curl sends what the docker CLI never would (versions, bad bodies, oversized requests).
# Points are in grader/rubric.

load helpers

SOCK=/run/minidock-test.sock
export DOCKER_HOST=unix://$SOCK
export DOCKER_CONFIG=/tmp/docker-config # the CLI's own files, not in the tests' HOME
DOCKER=${DOCKER:-/grader/bin/docker}

docker() {
	"$DOCKER" "$@"
}

# api METHOD PATH [curl args...]: the answer's status code on the first line, then its body.
api() {
	local method=$1 path=$2
	shift 2
	curl -s --max-time 20 --unix-socket "$SOCK" -X "$method" -w '\n%{http_code}' "$@" "http://localhost$path" |
		awk '{ line[NR] = $0 } END { print line[NR]; for (i = 1; i < NR; i++) print line[i] }'
}

setup_file() {
	shared_state_setup_file
	ip link set lo up
	mkdir -p "$DOCKER_CONFIG"
	minidock daemon -H "unix://$SOCK" >"$BATS_FILE_TMPDIR/daemon.log" 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/daemon.pid"
	local i
	for i in $(seq 100); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$(cat "$BATS_FILE_TMPDIR/daemon.pid")" 2>/dev/null || return 0 # the tests say why
		sleep 0.1
	done
}

teardown_file() {
	kill "$(cat "$BATS_FILE_TMPDIR/daemon.pid")" 2>/dev/null || true
}

setup() {
	shared_state_setup
	[ -S "$SOCK" ] && kill -0 "$(cat "$BATS_FILE_TMPDIR/daemon.pid")" 2>/dev/null ||
		fail "minidock daemon -H unix://$SOCK is not serving: $(cat "$BATS_FILE_TMPDIR/daemon.log")"
}

teardown() {
	remove_all_containers
	minidock volume prune -f >/dev/null 2>&1 || true
	common_teardown
}

@test "docker talks to minidock's engine: version, info, API versions in paths, Docker's error JSON" {
	run docker version --format '{{.Server.APIVersion}} {{.Server.Os}}'
	[ "$output" = "1.41 linux" ] || fail "docker version: $output"
	run docker info --format '{{.Images}} {{.Driver}}'
	[ "$output" = "1 overlay2" ] || fail "docker info: $output"
	run api GET /v1.41/_ping
	[ "${lines[0]}" = 200 ] && [ "${lines[1]}" = OK ] || fail "GET /v1.41/_ping: $output (api_path)"
	run api GET /_ping
	[ "${lines[0]}" = 200 ] || fail "GET /_ping, no version: $output (api_path)"
	run api GET /v1.12/version
	[ "${lines[0]}" = 200 ] || fail "GET /v1.12/version, the oldest served: $output (api_path)"
	run api GET /v1.42/info
	[ "${lines[0]}" = 400 ] && [[ "${lines[1]}" == *'"message":"client version 1.42 is too new. Maximum supported API version is 1.41"'* ]] ||
		fail "GET /v1.42/info: $output (api_path: a version above 1.41)"
	run api GET /v2.0/info
	[ "${lines[0]}" = 400 ] || fail "GET /v2.0/info: $output (api_path: versions compare as numbers)"
	run api GET /v1.9/info
	[ "${lines[0]}" = 400 ] && [[ "$output" == *"client version 1.9 is too old. Minimum supported API version is 1.12"* ]] ||
		fail "GET /v1.9/info: $output (api_path: 1.9 is older than 1.12)"
	run api GET /vfoo/info
	[ "${lines[0]}" = 404 ] || fail "GET /vfoo/info (not a version): $output (api_path)"
	run api GET /v1.41
	[ "${lines[0]}" = 404 ] || fail "GET /v1.41 (the path /): $output (api_path)"
	run api GET /v1.41/containers/no-such/json
	[ "${lines[0]}" = 404 ] && [[ "${lines[1]}" == '{"message":"No such container: no-such"}' ]] ||
		fail "a missing container: $output"
	run docker inspect no-such
	[ "$status" -eq 1 ] && [[ "$output" == *"No such object: no-such"* ]] || fail "docker inspect no-such: $output"
	# a name is never taken for a flag of the command the daemon runs
	run api DELETE /v1.41/containers/--force
	[ "${lines[0]}" = 404 ] || fail "DELETE /containers/--force: $output"
	run api POST '/v1.41/images/create?fromImage=--help'
	[ "${lines[0]}" = 400 ] || fail "fromImage=--help: $output"
	# the socket gives root: 0660, never open to everyone
	[ "$(stat -c '%a %U:%G' "$SOCK")" = "660 root:minidock" ] || fail "the socket: $(stat -c '%a %U:%G' "$SOCK")"
}

@test "docker run: the output and exit status come back, stdout and stderr apart, and --rm leaves nothing" {
	run --separate-stderr docker run --rm busybox sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ] || fail "docker run's exit status: $status (wait?condition=...)"
	[ "$output" = out ] || fail "stdout: $output / stderr: $stderr (api_frame: stream 1)"
	[ "$stderr" = err ] || fail "stderr: $stderr / stdout: $output (api_frame: stream 2)"
	# big output: many frames, every byte in order
	run docker run --rm busybox sh -c 'seq 1 30000; seq 1 5 | tr -d "\n"'
	[ "${#lines[@]}" -eq 30001 ] && [ "${lines[29999]}" = 30000 ] && [ "${lines[30000]}" = 12345 ] ||
		fail "30000 lines through frames: ${#lines[@]} lines, the last: ${lines[-1]:-} (api_frame)"
	run docker ps -a -q
	[ -z "$output" ] || fail "--rm left containers: $output"
	run minidock ps -a -q
	[ -z "$output" ] || fail "--rm left containers for minidock ps: $output"
	# a missing command says why, with Docker's status
	run docker run --rm busybox no-such-command
	[ "$status" -eq 127 ] || fail "a missing command: $status $output"
}

@test "docker run -d, ps, logs (-f, -t, --tail, stdout and stderr apart), stop, start, rm -f" {
	run docker run -d --name lg busybox sh -c 'echo one; echo two >&2; sleep 1; echo three; sleep 300'
	[ "$status" -eq 0 ] && [[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "docker run -d: $output"
	run docker ps --format '{{.Names}} {{.Image}} {{.Status}}'
	[[ "$output" == "lg busybox Up "* ]] || fail "docker ps: $output"
	# the CLI and the daemon side by side: one store, one set of locks
	minidock run -d --name side busybox sleep 300 >/dev/null
	run docker ps --format '{{.Names}}'
	[[ "$output" == *side* ]] || fail "docker ps does not show what minidock run made: $output"
	run docker rm -f side
	[ "$status" -eq 0 ] && [ -z "$(minidock ps -a -q --filter name=side)" ] || fail "docker rm -f of minidock's container: $output"
	# logs -f follows: "three" comes a second later, through the same answer
	run timeout 10 sh -c "$DOCKER logs -f lg 2>&1 | grep -m1 three"
	[ "$output" = three ] || fail "docker logs -f: $output"
	run --separate-stderr docker logs lg
	[ "$output" = "$(printf 'one\nthree')" ] && [ "$stderr" = two ] || fail "docker logs: stdout $output / stderr $stderr"
	run docker logs --tail 1 lg
	[ "$output" = three ] || fail "docker logs --tail 1: $output"
	run docker logs -t lg
	[[ "${lines[0]}" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ one$ ]] || fail "docker logs -t: $output"
	run timeout 30 "$DOCKER" stop -t 1 lg
	[ "$status" -eq 0 ] && [ "$output" = lg ] || fail "docker stop: $output"
	run docker ps -a --format '{{.Names}} {{.Status}}'
	[[ "$output" == "lg Exited (137)"* ]] || fail "after stop: $output"
	run docker start lg
	[ "$status" -eq 0 ] || fail "docker start: $output"
	run docker inspect -f '{{.State.Running}}' lg
	[ "$output" = true ] || fail "after start: $output"
	run docker rm lg
	[ "$status" -ne 0 ] && [[ "$output" == *"stop the container before removing"* || "$output" == *running* ]] ||
		fail "docker rm of a running container: $output"
	run docker rm -f lg
	[ "$status" -eq 0 ] || fail "docker rm -f: $output"
	run docker ps -a -q
	[ -z "$output" ] || fail "after rm -f: $output"
}

@test "docker exec and docker run -i, -it: stdin, output, exit status and window size through a hijacked connection" {
	docker run -d --name ex busybox sleep 300 >/dev/null
	run --separate-stderr docker exec ex sh -c 'echo in; echo oops >&2; exit 4'
	[ "$status" -eq 4 ] && [ "$output" = in ] && [ "$stderr" = oops ] ||
		fail "docker exec: status $status, stdout $output, stderr $stderr"
	run sh -c "printf 'a\nb\n' | $DOCKER exec -i ex wc -l"
	[ "$output" = 2 ] || fail "docker exec -i (stdin through the hijacked connection): $output"
	run /grader/bin/ptyrun 20 70 "$DOCKER" exec -it ex sh -c 'tty; stty size; exit 2' </dev/null
	[[ "$output" == *"/dev/pts/"*"20 70"*"ptyrun: exit 2"* ]] || fail "docker exec -it: $output"
	# a resize travels from the client's signal to its request, the daemon's terminal and the
	# container's (1 to 4 s under TCG): the shell waits for the size it must get
	run /grader/bin/ptyrun 20 70 "$DOCKER" exec -it ex sh <<-'EOF'
		expect #
		resize 30 100
		send until [ "$(stty size)" = "30 100" ]; do sleep 0.2; done; echo re''sized\r
		expect resized
		send exit 5\r
	EOF
	[[ "$output" == *"resized"*"ptyrun: exit 5"* ]] || fail "docker exec -it, resized: $output"
	# docker run -i and -it: the container's own stdin, through `minidock start -a -i`. The
	# terminal's size comes after the start (API 1.41 has no size in the create request).
	run sh -c "printf 'x\ny\nz\n' | $DOCKER run -i --rm busybox wc -l"
	[ "$output" = 3 ] || fail "docker run -i: $output (the attach's stdin)"
	run /grader/bin/ptyrun 20 70 "$DOCKER" run -it --rm busybox sh <<-'EOF'
		expect #
		send until [ "$(stty size)" = "20 70" ]; do sleep 0.2; done; echo si''zed; tty\r
		expect pts
		resize 25 90
		send until [ "$(stty size)" = "25 90" ]; do sleep 0.2; done; echo re''sized\r
		expect resized
		send exit 6\r
	EOF
	[[ "$output" == *"sized"*"/dev/pts/"*"resized"*"ptyrun: exit 6"* ]] || fail "docker run -it: $output"
	[ "$(docker ps -a --format '{{.Names}}')" = ex ] || fail "run -i, -it --rm left a container: $(docker ps -a)"
	run docker exec no-such true
	[ "$status" -ne 0 ] && [[ "$output" == *"No such container: no-such"* ]] || fail "exec in a missing container: $output"
}

@test "a create request becomes create's flags: names, env, labels, workdir, user, entrypoint, ports, volumes, restart; bad ones are refused by name" {
	run docker run -d --name cfg -e A=1 -e B=two -l team=blue -w /tmp -u 1000:1000 -h box \
		-p 127.0.0.1:8081:80 -v cfgvol:/data --restart on-failure:2 --entrypoint sh busybox -c 'sleep 300'
	[ "$status" -eq 0 ] || fail "docker run with flags: $output (api_create_args)"
	run docker inspect -f '{{.Config.Env}}|{{.Config.Labels.team}}|{{.Config.WorkingDir}}|{{.Config.User}}|{{.Config.Hostname}}' cfg
	[[ "$output" == *A=1* && "$output" == *B=two* && "$output" == *"]|blue|/tmp|1000:1000|box" ]] || fail "inspect: $output (api_create_args: Env, Labels, WorkingDir, User, Hostname)"
	run docker inspect -f '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' cfg
	[ "$output" = on-failure:2 ] || fail "restart policy: $output (api_create_args: RestartPolicy)"
	run docker inspect -f '{{json .HostConfig.PortBindings}}' cfg
	[ "$output" = '{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8081"}]}' ] || fail "ports: $output (api_create_args: PortBindings)"
	run docker exec cfg sh -c 'id -u; echo $A$B; pwd; hostname; ls -d /data'
	[ "$output" = "$(printf '1000\n1two\n/tmp\nbox\n/data')" ] || fail "inside: $output (api_create_args: -u, -e, -w, -h, -v)"
	run docker inspect -f '{{.Path}} {{.Args}}' cfg
	[ "$output" = "sh [-c sleep 300]" ] || fail "the command: $output (api_create_args: Entrypoint, then Cmd)"
	run docker volume ls -q
	[ "$output" = cfgvol ] || fail "the named volume: $output (api_create_args: Binds)"
	run docker run --rm --read-only busybox touch /x
	[ "$status" -ne 0 ] || fail "--read-only was lost (api_create_args: ReadonlyRootfs)"
	run docker run --rm --cap-drop ALL busybox sh -c 'grep CapEff /proc/self/status'
	[[ "$output" == *"0000000000000000"* ]] || fail "--cap-drop ALL: $output (api_create_args: CapDrop)"
	# what the API refuses, each with the field's name
	run api POST '/v1.41/containers/create' -H 'Content-Type: application/json' -d '{"Image": "busybox", "Env": "A=1"}'
	[ "${lines[0]}" = 400 ] && [[ "$output" == *Env* ]] || fail "Env as a string: $output (api_create_args)"
	run api POST '/v1.41/containers/create' -H 'Content-Type: application/json' -d '{"Image": "busybox", "Labels": ["a"]}'
	[ "${lines[0]}" = 400 ] && [[ "$output" == *Labels* ]] || fail "Labels as a list: $output (api_create_args)"
	run api POST '/v1.41/containers/create' -H 'Content-Type: application/json' -d '{"Cmd": ["true"]}'
	[ "${lines[0]}" = 400 ] && [[ "$output" == *"Image is required"* ]] || fail "no Image: $output (api_create_args)"
	run api POST '/v1.41/containers/create' -H 'Content-Type: application/json' -d '{"Image": "busybox", "HostConfig": {"Privileged": "yes"}}'
	[ "${lines[0]}" = 400 ] && [[ "$output" == *Privileged* ]] || fail "Privileged as a string: $output (api_create_args)"
	run api POST '/v1.41/containers/create?name=bad/name' -H 'Content-Type: application/json' -d '{"Image": "busybox"}'
	[ "${lines[0]}" = 400 ] && [[ "$output" == *"Invalid container name"* ]] || fail "a bad name: $output"
	run api POST '/v1.41/containers/create' -H 'Content-Type: application/json' -d '{"Image": "no-such-image"}'
	[ "${lines[0]}" = 404 ] && [[ "$output" == *"No such image"* ]] || fail "a missing image: $output"
	[ "$(minidock ps -a -q | wc -l)" -eq 1 ] || fail "refused requests left containers: $(minidock ps -a)"
}

@test "images through the API: docker save, load, tag, rmi, history, and build from a context" {
	run docker save -o "$BATS_TEST_TMPDIR/bb.tar" busybox
	[ "$status" -eq 0 ] || fail "docker save: $output"
	tar tf "$BATS_TEST_TMPDIR/bb.tar" | grep -qx manifest.json || fail "docker save's archive has no manifest.json"
	run docker tag busybox course/bb:1
	[ "$status" -eq 0 ] || fail "docker tag: $output"
	run docker images --format '{{.Repository}}:{{.Tag}}'
	[[ "$output" == *course/bb:1* && "$output" == *busybox:latest* ]] || fail "docker images: $output"
	run docker rmi course/bb:1
	[[ "$output" == *"Untagged: course/bb:1"* ]] || fail "docker rmi: $output"
	# loaded into a store of its own, through a second daemon
	local sock2=/run/minidock-test2.sock
	MINIDOCK_ROOT=$BATS_TEST_TMPDIR/other minidock daemon -H "unix://$sock2" 3>&- 2>/dev/null &
	wait_for test -S "$sock2"
	run "$DOCKER" -H "unix://$sock2" load -i "$BATS_TEST_TMPDIR/bb.tar"
	[[ "$output" == *"Loaded image: busybox:latest"* ]] || fail "docker load into another daemon: $output"
	run "$DOCKER" -H "unix://$sock2" run --rm busybox echo loaded
	kill %1
	[ "$output" = loaded ] || fail "the loaded image runs: $output"
	mkdir -p "$BATS_TEST_TMPDIR/ctx"
	printf 'FROM busybox\nARG WHO=nobody\nCOPY hello /hello\nRUN echo "built for $WHO" >/built\nCMD ["cat", "/hello", "/built"]\n' \
		>"$BATS_TEST_TMPDIR/ctx/Dockerfile.app"
	echo hello >"$BATS_TEST_TMPDIR/ctx/hello"
	run docker build -t app:1 -f "$BATS_TEST_TMPDIR/ctx/Dockerfile.app" --build-arg WHO=students "$BATS_TEST_TMPDIR/ctx"
	[ "$status" -eq 0 ] && [[ "$output" == *"Step 4/5 : RUN"* && "$output" == *"Successfully built"* ]] || fail "docker build: $output"
	run docker run --rm app:1
	[ "$output" = "$(printf 'hello\nbuilt for students')" ] || fail "the built image: $output"
	run docker history --format '{{.CreatedBy}}' app:1
	[[ "${lines[0]}" == *'CMD ["cat" "/hello" "/built"]'* || "${lines[0]}" == *CMD* ]] || fail "docker history: $output"
	# a context whose Dockerfile is a link out of it: the link is followed inside the context
	# (the docker CLI would read such a link itself: the tar is sent with curl)
	echo 'root:secret:0:0:::' >/tmp/not-for-builds
	ln -s /tmp/not-for-builds "$BATS_TEST_TMPDIR/ctx/Dockerfile"
	tar -C "$BATS_TEST_TMPDIR/ctx" -cf "$BATS_TEST_TMPDIR/ctx.tar" .
	run api POST /v1.41/build -H 'Content-Type: application/x-tar' --data-binary "@$BATS_TEST_TMPDIR/ctx.tar"
	[[ "$output" == *errorDetail*"not found"* && "$output" != *secret* ]] || fail "a Dockerfile linked out of the context: $output"
	[ -z "$(ls -A "$MINIDOCK_ROOT/tmp" 2>/dev/null)" ] || fail "builds and saves left scratch space: $(ls "$MINIDOCK_ROOT/tmp")"
}

@test "networks and volumes through the API: create, ls, inspect, a container on them, rm" {
	local since
	since=$(date +%s)
	run docker network create --subnet 10.77.0.0/24 apinet
	[ "$status" -eq 0 ] || fail "docker network create: $output"
	run docker network inspect -f '{{(index .IPAM.Config 0).Subnet}} {{.Driver}}' apinet
	[ "$output" = "10.77.0.0/24 bridge" ] || fail "docker network inspect: $output"
	run docker network ls --format '{{.Name}}' --filter name=apinet
	[ "$output" = apinet ] || fail "docker network ls --filter: $output"
	run docker volume create apivol
	[ "$output" = apivol ] || fail "docker volume create: $output"
	run docker run --rm --network apinet -v apivol:/v busybox sh -c 'echo kept >/v/f; ip -4 addr show eth0 | grep -o "10\.77\.0\.[0-9]*"'
	[[ "$output" == 10.77.0.* ]] || fail "a container on the network: $output"
	run docker run --rm -v apivol:/v busybox cat /v/f
	[ "$output" = kept ] || fail "the volume's data: $output"
	# a network alias given at create (NetworkingConfig): another container finds it by that name
	docker run -d --name aliased --network apinet --network-alias db busybox sleep 300 >/dev/null
	run docker run --rm --network apinet busybox ping -c 1 -W 3 db
	[ "$status" -eq 0 ] && [[ "$output" == *"10.77.0."* ]] || fail "the alias db on apinet: $output (api_create_args: NetworkingConfig)"
	docker rm -f aliased >/dev/null
	run docker volume inspect -f '{{.Driver}} {{.Name}}' apivol
	[ "$output" = "local apivol" ] || fail "docker volume inspect: $output"
	run docker network rm apinet
	[ "$status" -eq 0 ] || fail "docker network rm: $output"
	run docker volume rm apivol
	[ "$status" -eq 0 ] || fail "docker volume rm: $output"
	run docker events --since "$since" --until "$(($(date +%s) + 1))" --filter type=network --filter type=volume \
		--format '{{.Type}} {{.Action}} {{if .Actor.Attributes.name}}{{.Actor.Attributes.name}}{{else}}{{.Actor.ID}}{{end}}'
	[[ "$output" == *"network create apinet"*"volume create apivol"*"network destroy apinet"*"volume destroy apivol"* ]] ||
		fail "the events of networks and volumes: $output"
	run docker volume inspect apivol
	[ "$status" -ne 0 ] || fail "the volume is still there"
	run docker network inspect apinet
	[ "$status" -ne 0 ] || fail "the network is still there"
}

@test "events stream while others run, and the daemon keeps serving through bad requests and clients that go away" {
	local since
	since=$(date +%s)
	timeout 20 "$DOCKER" events --since "$since" --filter type=container --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}' \
		>"$BATS_TEST_TMPDIR/events" 2>&1 3>&- &
	docker run --rm --name evt busybox sh -c 'exit 7' || true
	wait_for grep -q "destroy evt" "$BATS_TEST_TMPDIR/events" || fail "events: $(cat "$BATS_TEST_TMPDIR/events")"
	run grep evt "$BATS_TEST_TMPDIR/events"
	[ "$(echo "$output" | cut -d' ' -f1 | tr '\n' ' ')" = "create start die destroy " ] || fail "events: $output"
	[[ "$output" == *"die evt 7"* ]] || fail "the die event's exit code: $output"
	kill %1 2>/dev/null || true
	# bad requests: a 4xx each, and nothing breaks
	run api POST /v1.41/containers/create -H 'Content-Type: application/json' -d '{"Image": '
	[ "${lines[0]}" = 400 ] || fail "bad JSON: $output"
	head -c 2000000 /dev/zero | tr '\0' 'x' >"$BATS_TEST_TMPDIR/big"
	run api POST /v1.41/containers/create -H 'Content-Type: application/json' --data-binary "@$BATS_TEST_TMPDIR/big"
	[ "${lines[0]}" = 413 ] || fail "a 2 MB body: $output"
	run api GET /v1.41/info -H "X-Big: $(head -c 100000 /dev/zero | tr '\0' 'y')"
	[[ "${lines[0]}" == 4* || "${lines[0]}" == 000 ]] || fail "a 100 kB header: $output"
	run api BREW /v1.41/containers/json
	[ "${lines[0]}" = 405 ] || fail "an unknown method: $output"
	# clients that go away in the middle of a stream
	docker run -d --name chatty busybox sh -c 'while true; do echo tick; sleep 0.1; done' >/dev/null
	timeout 1 "$DOCKER" logs -f chatty >/dev/null 2>&1 || true
	timeout 1 curl -s --unix-socket "$SOCK" 'http://localhost/v1.41/containers/chatty/attach?stream=1&stdout=1' -X POST >/dev/null 2>&1 || true
	timeout 1 "$DOCKER" events >/dev/null 2>&1 || true
	# raw bytes that are not HTTP, or stop half-way: each connection is dropped or answered 4xx
	run timeout 60 python3 - "$SOCK" <<-'EOF'
		import socket, sys
		def send(data, read=True):
		    s = socket.socket(socket.AF_UNIX)
		    s.settimeout(3)
		    s.connect(sys.argv[1])
		    s.sendall(data)
		    got = b""
		    if read:
		        try:
		            while chunk := s.recv(65536):
		                got += chunk
		        except (socket.timeout, ConnectionResetError):
		            pass
		    s.close()
		    return got.split(b"\r\n", 1)[0]
		cases = {
		    "garbage": b"\x00\xff\xfe garbage\r\n\r\n",
		    "no version": b"GET /_ping\r\n\r\n",
		    "header without a colon": b"GET /_ping HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n",
		    "100 kB path": b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
		    "bad length": b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
		    "bad chunk": b"POST /containers/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		}
		for name, data in cases.items():
		    line = send(data)
		    assert line == b"" or (line.startswith(b"HTTP/1.") and line.split()[1].startswith(b"4")), (name, line)
		# a body that never comes, a client gone in the middle of an upload
		send(b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"Ima", read=False)
		send(b"POST /images/load HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" + b"x" * 50000, read=False)
		print("raw ok")
	EOF
	[[ "$output" == *"raw ok"* ]] || fail "raw requests: $output"
	run docker version --format '{{.Server.APIVersion}}'
	[ "$output" = 1.41 ] || fail "the daemon after bad requests: $output"
	[ -z "$(ls -A "$MINIDOCK_ROOT/tmp" 2>/dev/null)" ] || fail "an upload cut off left its body: $(ls "$MINIDOCK_ROOT/tmp")"
	kill -0 "$(cat "$BATS_FILE_TMPDIR/daemon.pid")" || fail "the daemon died"
}

@test "docker-compose: up -d, ps, logs and down -v of two services on a network of their own, with a named volume and a published port" {
	local dir=$BATS_TEST_TMPDIR/app
	mkdir -p "$dir"
	cat >"$dir/docker-compose.yml" <<-'EOF'
		version: "3.8"
		services:
		  web:
		    image: busybox
		    command: sh -c 'echo "hello from web" >/www/index.html; exec httpd -f -p 80 -h /www'
		    volumes: [site:/www]
		    ports: ["127.0.0.1:8090:80"]
		    networks: [back]
		  client:
		    image: busybox
		    command: sh -c 'until wget -q -O - http://web/; do sleep 0.2; done; exec sleep 300'
		    networks: [back]
		    depends_on: [web]
		networks:
		  back: {}
		volumes:
		  site: {}
	EOF
	cd "$dir"
	run timeout 60 docker-compose -p course up -d
	[ "$status" -eq 0 ] || fail "docker-compose up -d: $output"
	run docker-compose -p course ps
	[[ "$output" == *course_web_1*Up* && "$output" == *course_client_1*Up* ]] || fail "docker-compose ps: $output"
	# the client reached the web service by its name, on the project's network
	wait_for sh -c "docker-compose -p course logs client 2>&1 | grep -q 'hello from web'" ||
		fail "the client's logs: $(docker-compose -p course logs 2>&1)"
	run wget -q -O - http://127.0.0.1:8090/
	[ "$output" = "hello from web" ] || fail "the published port: $output"
	run docker volume ls -q
	[ "$output" = course_site ] || fail "the named volume: $output"
	run timeout 60 docker-compose -p course down -v -t 1
	[ "$status" -eq 0 ] || fail "docker-compose down -v: $output"
	[ -z "$(docker ps -a -q)" ] || fail "down left containers: $(docker ps -a)"
	run docker network ls --format '{{.Name}}'
	[[ "$output" != *course_back* ]] || fail "down left the network: $output"
	[ -z "$(docker volume ls -q)" ] || fail "down -v left volumes: $(docker volume ls)"
}

@test "docker-py: containers, execs, networks, volumes and images through Python's Docker library" {
	run timeout 90 python3 - <<-'EOF'
		import docker
		c = docker.from_env()
		assert c.version()["ApiVersion"] == "1.41", c.version()
		out = c.containers.run("busybox", ["sh", "-c", "echo py; echo err >&2"], remove=True)
		assert out == b"py\n", out
		ctr = c.containers.run("busybox", "sleep 300", detach=True, name="pyctr", labels={"course": "py"})
		ctr.reload()
		assert ctr.status == "running", ctr.status
		assert [x.name for x in c.containers.list(filters={"label": "course=py"})] == ["pyctr"]
		res = ctr.exec_run(["sh", "-c", "echo hi; echo there >&2; exit 3"], demux=True)
		assert res.exit_code == 3 and res.output == (b"hi\n", b"there\n"), res
		assert "PID" in ctr.top()["Titles"], ctr.top()
		ctr.rename("pyctr2")
		ctr.reload()
		assert ctr.name == "pyctr2", ctr.name
		ctr.pause()
		ctr.reload()
		assert ctr.status == "paused", ctr.status
		ctr.unpause()
		ctr.kill(signal="SIGKILL")
		assert ctr.wait()["StatusCode"] == 137
		ctr.remove()
		try:
		    c.containers.get("pyctr2")
		    raise SystemExit("still there after remove")
		except docker.errors.NotFound:
		    pass
		net = c.networks.create("pynet", labels={"a": "b"})
		assert c.networks.get("pynet").attrs["Labels"]["a"] == "b"
		net.remove()
		vol = c.volumes.create("pyvol", labels={"x": "y"})
		assert c.volumes.get("pyvol").attrs["Labels"]["x"] == "y"
		vol.remove()
		c.images.get("busybox").tag("py/bb", "2")
		assert "py/bb:2" in c.images.get("py/bb:2").tags
		c.images.remove("py/bb:2")
		events = c.events(since=0, until=int(__import__("time").time()) + 1, decode=True, filters={"container": "pyctr2"})
		actions = [e["Action"] for e in events]
		assert "die" in actions and "destroy" in actions, actions
		print("docker-py ok")
	EOF
	[ "$status" -eq 0 ] && [[ "$output" == *"docker-py ok"* ]] || fail "docker-py: $output"
}

@test "a TCP listener only with TLS: refused without it; with it, only clients with a certificate of the daemon's CA" {
	local tls=$IMAGES/tls
	run minidock daemon -H tcp://127.0.0.1:2376
	[ "$status" -eq 125 ] && [[ "$output" == *--tlsverify* ]] || fail "a TCP listener without TLS: $output"
	# minidockd: the daemon by its own name (a link to minidock)
	minidockd --root "$MINIDOCK_ROOT" -H tcp://127.0.0.1:2376 --tlsverify --tlscacert "$tls/ca.pem" --tlscert "$tls/server-cert.pem" \
		--tlskey "$tls/server-key.pem" 2>"$BATS_TEST_TMPDIR/tcp.log" 3>&- &
	wait_for sh -c "curl -s -o /dev/null http://127.0.0.1:2376/ --max-time 2; [ \$? -ne 7 ]"
	local -a as_student=(--tlsverify --tlscacert "$tls/ca.pem" --tlscert "$tls/client-cert.pem" --tlskey "$tls/client-key.pem"
		-H tcp://127.0.0.1:2376)
	run "$DOCKER" "${as_student[@]}" run --rm busybox echo over tls
	[ "$output" = "over tls" ] || fail "docker run over TLS, with a certificate of the CA: $output $(cat "$BATS_TEST_TMPDIR/tcp.log")"
	run curl -s --cacert "$tls/ca.pem" -w ' %{http_code}' https://127.0.0.1:2376/v1.41/containers/json
	[[ "$output" == *403 ]] || fail "no client certificate: $output"
	run curl -s --cacert "$tls/ca.pem" --cert "$tls/rogue-cert.pem" --key "$tls/rogue-key.pem" -w ' %{http_code}' \
		-X POST -H 'Content-Type: application/json' -d '{"Image": "busybox"}' https://127.0.0.1:2376/v1.41/containers/create
	[[ "$output" == *403 ]] || fail "a certificate of another CA: $output"
	[ -z "$(minidock ps -a -q)" ] || fail "a refused client made a container"
	run curl -s --max-time 5 -w '%{http_code}' http://127.0.0.1:2376/v1.41/_ping
	[ "$output" != "OK200" ] || fail "plain HTTP was answered on the TLS port"
	kill %1
}

