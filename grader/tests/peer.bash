# peer.bash - host B, seen from host A's tests in the two-host stages (8 and 9), and from the
# shell of `make sandbox HOSTS=2` (its `b` command).
#
# Host B is a second grader VM, booted beside A with the same initramfs. The two share a LAN
# (eth1 on each) and a control link (ctl0: A is 10.99.0.1, B 10.99.0.2), which carries only
# these requests: grader/vm/peer on B runs each and sends back its output and status.
#
#   b CMD [ARG...]   run one command on B (its words quoted as given): `run b minidock ps`
#   on_b SCRIPT      run a bash script on B: `on_b 'ip -o link show; minidock ps -a'`
#
# Both print what the command printed (stdout and stderr together) and return its status; if B
# does not answer within $PEER_TIMEOUT seconds (90: a first request waits for B to boot), they
# say so and return 125, and the test fails like any other: a hung B costs the test, not the
# grade.

PEER_ADDRESS=10.99.0.2
PEER_TIMEOUT=${PEER_TIMEOUT:-90}

on_b() {
	local request reply status up
	request=$(printf '%s' "$1" | base64 -w0)
	# Noted where the runner looks when a test runs out of time (helpers.bash's wrapper).
	read -r up _ </proc/uptime
	printf '%s\t-\ton host B: %s\n' "$up" "$1" >>"${MINIDOCK_TRACE:-/tmp/minidock-trace}" 2>/dev/null
	reply=$(timeout "$PEER_TIMEOUT" bash -c '
		for _ in $(seq 300); do
			(exec 3<>"/dev/tcp/$1/7777") 2>/dev/null && break
			sleep 0.2
		done
		exec 3<>"/dev/tcp/$1/7777" || exit 125
		printf "%s\n" "$2" >&3
		cat <&3' _ "$PEER_ADDRESS" "$request" 2>/dev/null)
	status=${reply##*__peer_status__ }
	if [[ "$reply" != *"__peer_status__ "* || ! "$status" =~ ^[0-9]+$ ]]; then
		printf '%s\n' "${reply:+$reply
}host B ($PEER_ADDRESS) did not answer within $PEER_TIMEOUT s: it hung, or never booted (its console log says)"
		return 125
	fi
	reply=${reply%__peer_status__ *}
	printf '%s' "$reply"
	return "$status"
}

b() {
	on_b "$(printf '%q ' "$@")"
}
