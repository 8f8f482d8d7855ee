#!/usr/bin/env bats
# The grader's own behaviour: results on their own channel, timeouts, a crashed or hung VM,
# forged output, and a rubric that agrees with the stage tests. Needs the VM of
# make vm SUBMISSION=solutions (build/vm/base.cpio, build/solutions/stages.cpio): tests/run makes it.

setup_file() {
	export SELFTEST=$BATS_FILE_TMPDIR/selftest
	# The VM of make vm SUBMISSION=solutions (its base and its programs), and a third archive
	# whose rubric and test file replace the base's: stage 90, the self-test.
	local stage=$SELFTEST/stage/grader
	mkdir -p "$stage/tests"
	cp tests/grader/90-selftest.bats "$stage/tests/"
	cp tests/grader/rubric "$stage/rubric"
	(cd "$SELFTEST/stage" && find grader | cpio -o -H newc --owner 0:0 --quiet) >"$SELFTEST/selftest.cpio"
	cat build/vm/base.cpio build/solutions/stages.cpio "$SELFTEST/selftest.cpio" >"$SELFTEST/initramfs.cpio"
	python3 grader/grade.py --kernel build/vm/kernel/vmlinuz --initramfs "$SELFTEST/initramfs.cpio" \
		--rubric tests/grader/rubric --out "$SELFTEST/out" --margin 5 >"$SELFTEST/log" 2>&1
}

# result NAME FIELD: a field of test NAME in the self-test's results.json.
result() {
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
t = [t for t in r["tests"] if t["name"].endswith(": " + sys.argv[2])][0]
print(t[sys.argv[3]])' "$SELFTEST/out/results.json" "$1" "$2"
}

@test "grader: a passing test scores its points" {
	[ "$(result passes status)" = passed ]
	[ "$(result passes score)" = 1 ]
}

@test "grader: a failing test scores 0 and keeps its output as the reason" {
	[ "$(result "fails with a reason" status)" = failed ]
	[ "$(result "fails with a reason" score)" = 0 ]
	[[ "$(result "fails with a reason" output)" == *"the reason is here"* ]]
}

@test "grader: a test past its time limit is stopped in the VM, failed as a timeout, and says what was running" {
	[ "$(result "runs past its time limit" status)" = failed ]
	[[ "$(result "runs past its time limit" output)" == *"timed out"* ]]
	# It says what was running, for how long, and what the container wrote last.
	local why
	why=$(result "runs past its time limit" output)
	[[ "$why" == *"the command running when time ran out, for "*" s: minidock run --name stuck busybox sleep 600"* ]] || { echo "$why"; false; }
	[[ "$why" == *"the last output of container 0123456789ab"*"the container was here"* ]] || { echo "$why"; false; }
}

@test "grader: forged output on stdout, stderr and the console changes no result" {
	[ "$(result "prints forged results" status)" = failed ]
	[ "$(result "crashes the VM" status)" = failed ]
	[ "$(result "hangs the VM" status)" = failed ]
}

@test "grader: result lines on bats' pipe out of order are dropped, a second result fails the test, both flagged" {
	[ "$(result "prints forged results" output)" = "two results came for this test: one was forged" ]
	python3 -c 'import json, sys
f = json.load(open(sys.argv[1]))["extra_data"]["forged"]
assert "two results for the test: prints forged results" in f, f
assert "a result for a test not under way: ok 9 passes after the restarts" in f, f' "$SELFTEST/out/results.json"
	grep -q "INTEGRITY" "$SELFTEST/out/results.json"
}

@test "grader: a bats killed before it ends voids the results it gave, flagged" {
	[ "$(result "forges its result and kills bats" status)" = failed ]
	[[ "$(result "forges its result and kills bats" output)" == "void: the test runner (bats) was killed"* ]]
	python3 -c 'import json, sys
f = json.load(open(sys.argv[1]))["extra_data"]["forged"]
assert "bats was killed; its results are void" in f, f' "$SELFTEST/out/results.json"
}

@test "grader: a crashed VM fails the test that crashed it and grading goes on" {
	[[ "$(result "crashes the VM" output)" == *"VM crashed"* ]]
}

@test "grader: a hung VM is killed by the watchdog, the test failed, grading goes on" {
	[[ "$(result "hangs the VM" output)" == *"VM hung"* ]]
	[ "$(result "passes after the restarts" status)" = passed ]
	# One boot to the crash, one to the hang, one for the rest; and one more for each of the
	# two that came while the other shard had a test under way (the stage then runs again one
	# test at a time, which finds the culprit).
	grep -Eq "[345] boot\(s\)" "$SELFTEST/log"
}

@test "grader: results.json, junit.xml and results.tap agree on the score" {
	local score
	score=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["score"])' "$SELFTEST/out/results.json")
	[ "$score" = 2 ]
	[ "$(grep -c '^ok ' "$SELFTEST/out/results.tap")" = 2 ]
	python3 -c 'import sys, xml.etree.ElementTree as E
s = E.parse(sys.argv[1]).getroot().find("testsuite")
assert (s.get("tests"), s.get("failures")) == ("8", "6"), s.attrib' "$SELFTEST/out/junit.xml"
}

@test "grader: the rubric lists every stage test, once, in the files' order" {
	local file stage
	for file in grader/tests/[0-9][0-9]-*.bats; do
		stage=$(basename "$file" | cut -c1-2)
		diff <(sed -n 's/^@test "\(.*\)" {$/\1/p' "$file") \
			<(awk -v s="$stage" '$1 == s {$1 = $2 = ""; sub(/^ +/, ""); print}' grader/rubric)
		grep -q "^stage $stage " grader/rubric
	done
	# Test names are unique within a stage.
	[ -z "$(awk '$1 ~ /^[0-9][0-9]$/ {$2 = ""; print}' grader/rubric | sort | uniq -d)" ]
}

@test "grader: a VM that cannot boot fails every test with the reason, and reports are written" {
	run env MINIDOCK_ACCEL=tcg python3 grader/grade.py --kernel /nonexistent/vmlinuz \
		--initramfs "$SELFTEST/initramfs.cpio" --rubric tests/grader/rubric --out "$BATS_TEST_TMPDIR/out"
	[ "$status" -eq 0 ]
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["score"] == 0, r["score"]
assert len(r["tests"]) == 8
for t in r["tests"]:
    assert t["status"] == "failed" and "did not boot" in t["output"], t' "$BATS_TEST_TMPDIR/out/results.json"
}
