#!/usr/bin/env bats
# make grade-class on a small class the kit makes (stages 1 and 2 only, to stay short; the
# closing note of issue 16 gives the whole run of tests/class/make-trees): a tree with every lab
# solved, one that does not compile, one that tries to forge its results, one from a git
# repository committed after the deadline, one missing; two VMs side by side, and an
# instructor's hidden tests. (The untouched handout's failures are checked by tests/run.) Then
# the report in a real browser, and the platforms' files. Needs root (the compile jail) and the
# VM (tests/run builds it).

setup_file() {
	export CLASS=$BATS_FILE_TMPDIR/class
	local subs=$CLASS/subs
	# The kit's own class (tests/class/make-trees), of which two: every lab solved, and the
	# forger (every lab solved too); and one whose lab 1 does not compile and lab 2 not link.
	tests/class/make-trees "$CLASS/made" >/dev/null
	mkdir -p "$subs"
	mv "$CLASS/made/labs7" "$subs/solved"
	mv "$CLASS/made/forger" "$subs/forger"
	mkdir -p "$subs/broken" && cp -r labs "$subs/broken/labs"
	echo 'int broken(void) { return }' >>"$subs/broken/labs/01-process/process.c"
	# Lab 2 compiles, but calls what exists nowhere: its stage's minidock does not link.
	printf 'void minidock_nowhere(void);\nint call_nowhere(void);\nint call_nowhere(void) { minidock_nowhere(); return 0; }\n' \
		>>"$subs/broken/labs/02-rootfs/rootfs.c"
	rm -rf "$CLASS/made"
	# A git repository (the broken tree's labs), committed after the deadline.
	git init -q "$CLASS/late.git" && cp -r "$subs/broken/labs" "$CLASS/late.git/"
	git -C "$CLASS/late.git" add labs
	GIT_COMMITTER_DATE=2026-12-02T10:00:00Z git -C "$CLASS/late.git" -c user.name=t -c user.email=t@t \
		commit -qm labs --date 2026-12-02T10:00:00Z
	local commit
	commit=$(git -C "$CLASS/late.git" rev-parse HEAD)
	{
		echo "student,path-or-git-url,commit"
		for t in solved broken forger; do echo "$t,subs/$t,"; done
		echo "late,file://$CLASS/late.git,$commit"
		echo "absent,subs/nobody,"
	} >"$CLASS/roster.csv"
	# The instructor's hidden tests of stage 1: one that the solved tree passes, one that fails
	# with a reason for the instructor only.
	export TEST_HIDDEN=$CLASS/hidden
	mkdir -p "$TEST_HIDDEN"
	# (Written through sed: a line that begins with @test here would be read as this file's.)
	sed 's/^TEST /@test /' >"$TEST_HIDDEN/01-more.bats" <<-'EOF'
		load helpers
		export MINIDOCK_NO_MONITOR=1

		TEST "hidden: uname -n in the container says its --hostname" {
			run minidock run --rootfs "$BUSYBOX" --hostname secret-host uname -n
			[ "$output" = secret-host ]
		}

		TEST "hidden: fails with a reason for the instructor" {
			echo "the instructor's reason"
			false
		}
	EOF
	printf '%s\n' "01 3 hidden: uname -n in the container says its --hostname" \
		"01 1 hidden: fails with a reason for the instructor" >"$TEST_HIDDEN/rubric"
	make -s grade-class SUBMISSIONS="$CLASS/roster.csv" OUT="$CLASS/out" LABS=1-2 JOBS=2 HIDDEN="$TEST_HIDDEN" \
		DEADLINE=2026-12-01T23:59:00+00:00 >"$CLASS/log" 2>&1 || { cat "$CLASS/log" >&3; return 1; }
}

# row STUDENT: the student's line of class.csv
row() { grep "^$1," "$CLASS/out/class.csv"; }

@test "grade-class: each student's score, stage by stage, in class.csv" {
	[ "$(head -n 1 "$CLASS/out/class.csv")" = "student,status,late,stage 01,stage 02,total,max,flags" ]
	[ "$(row solved)" = "solved,graded,,35,22,57,58," ] || { cat "$CLASS/out/class.csv"; false; }
}

@test "grade-class: hidden tests count, and students see only their names and pass/fail, with SHOW_HIDDEN" {
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
hidden = [t for t in r["tests"] if "hidden" in t["tags"]]
assert [(t["name"], t["status"], t["score"], t["visibility"], t["output"]) for t in hidden] == [
    ("stage 01: hidden: uname -n in the container says its --hostname", "passed", 3, "hidden", ""),
    ("stage 01: hidden: fails with a reason for the instructor", "failed", 0, "hidden", "")], hidden
s = json.load(open(sys.argv[2]))
t = [t for t in s["tests"] if t["name"].endswith("a reason for the instructor")][0]
assert "the instructor\x27s reason" in t["output"], t' \
		"$CLASS/out/students/solved/results.json" "$CLASS/out/students/solved/summary.json"
	! grep -q "the instructor's reason" "$CLASS/out/students/solved/results.tap" "$CLASS/out/students/solved/junit.xml"
	grep -q "the instructor&#x27;s reason" "$CLASS/out/report.html"
	# The switch (after the deadline): Gradescope shows them once the grades are published.
	run make -s grade-class SUBMISSIONS="$CLASS/roster.csv" OUT="$CLASS/out" LABS=1-2 HIDDEN="$TEST_HIDDEN" \
		SHOW_HIDDEN=1 STUDENT=broken DEADLINE=2026-12-01T23:59:00+00:00
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert {t["visibility"] for t in r["tests"] if "hidden" in t["tags"]} == {"after_published"}' \
		"$CLASS/out/students/broken/results.json"
}

@test "grade-class: a lab that does not compile or link scores 0 with the compiler's or linker's words, no VM booted for it" {
	[ "$(row broken)" = "broken,graded,,0,0,0,58,lab 1 does not build; lab 2 does not build" ] || { cat "$CLASS/out/class.csv"; false; }
	grep -q "expected expression" "$CLASS/out/students/broken/build.log"
	grep -q "undefined reference to .minidock_nowhere" "$CLASS/out/students/broken/build.log"
	python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
assert "expected expression" in s["compile_errors"]["01"], s["compile_errors"]
assert "undefined reference" in s["compile_errors"]["02"], s["compile_errors"]' "$CLASS/out/students/broken/summary.json"
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert all(t["status"] == "failed" for t in r["tests"]), r
assert all("does not build" in t["output"] for t in r["tests"] if "hidden" not in t["tags"]), r' \
		"$CLASS/out/students/broken/results.json"
	! ls "$CLASS/out/students/broken/"console-* 2>/dev/null
}

@test "grade-class: forged results are flagged, count for nothing, and a changed test file stops the grading" {
	# Labs 1 and 2 are right: stage 1's tests pass but the first, for which it wrote a result of
	# its own on bats' pipe (bats' real one came after: two results, failed); its tries at the
	# channel and the next stage's tests are flagged, and stage 2 (its test file changed) is not
	# graded.
	[ "$(row forger)" = "forger,graded,,34,0,34,58,forged results" ] || { cat "$CLASS/out/class.csv"; false; }
	python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
assert "without the runner" in s["forged"], s["forged"]
assert "two results for the test: the command\x27s output reaches the terminal" in s["forged"], s["forged"]
assert "were changed before stage 02" in s["forged"] and "02-rootfs.bats" in s["forged"], s["forged"]' \
		"$CLASS/out/students/forger/summary.json"
}

@test "grade-class: a git submission at its commit, late past the deadline; a missing one is marked" {
	[ "$(row late)" = "late,graded,late,0,0,0,58,lab 1 does not build; lab 2 does not build" ] || { cat "$CLASS/out/class.csv"; false; }
	[ "$(row absent | cut -d, -f1-3)" = "absent,missing," ]
}

@test "grade-class: only labs/*.c are taken, compiled where nothing else can be read" {
	# A lab that includes another's work, the solutions, or this machine's files gets nothing.
	local t=$BATS_TEST_TMPDIR/thief
	mkdir -p "$t/subs/thief" && cp -r labs "$t/subs/thief/labs"
	cat >>"$t/subs/thief/labs/01-process/process.c" <<-EOF
		#include "$PWD/solutions/01-process/process.c"
	EOF
	echo '#error the kit header must be used' >"$t/subs/thief/labs/01-process/process.h"
	run python3 grader/class.py --submissions "$t/subs" --out "$t/out" --labs 1 --student thief
	grep -q "solutions/01-process/process.c: No such file" "$t/out/students/thief/build.log"
	! grep -q "the kit header must be used" "$t/out/students/thief/build.log"
}

@test "grade-class: a second run grades nobody again; STUDENT= regrades one, the others' rows unchanged" {
	local before
	before=$(stat -c %Y "$CLASS/out/students/solved/summary.json")
	run make -s grade-class SUBMISSIONS="$CLASS/roster.csv" OUT="$CLASS/out" LABS=1-2 HIDDEN="$TEST_HIDDEN" \
		DEADLINE=2026-12-01T23:59:00+00:00
	[ "$status" -eq 0 ]
	[ "$(grep -c 'graded before, unchanged' <<<"$output")" = 4 ] && [[ "$output" == *"0 graded, 4 unchanged, 1 missing"* ]] || { echo "$output"; false; }
	[ "$(stat -c %Y "$CLASS/out/students/solved/summary.json")" = "$before" ]
	run make -s grade-class SUBMISSIONS="$CLASS/roster.csv" OUT="$CLASS/out" LABS=1-2 STUDENT=broken \
		HIDDEN="$TEST_HIDDEN" DEADLINE=2026-12-01T23:59:00+00:00
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 graded, 0 unchanged, 0 missing"* ]]
	[ "$(stat -c %Y "$CLASS/out/students/solved/summary.json")" = "$before" ]
	[ "$(row solved)" = "solved,graded,,35,22,57,58," ]
	run make -s grade-class SUBMISSIONS="$CLASS/roster.csv" STUDENT=nobody-here
	[ "$status" -ne 0 ] && [[ "$output" == *"no student nobody-here"* ]]
}

@test "grade-class: report.html renders, sorts and links in headless Chromium" {
	command -v chromium-headless-shell
	local page=$CLASS/out/check.html
	# The report, and a script that uses it as a reader would: the checks' verdict ends the page.
	sed 's|</body>|<script src="check.js"></script></body>|' "$CLASS/out/report.html" >"$page"
	cat >"$CLASS/out/check.js" <<-'JS'
		var out = [];
		function names() { return Array.prototype.map.call(document.querySelectorAll("#class tbody tr td:first-child"), function (td) { return td.textContent; }); }
		out.push("rows=" + document.querySelectorAll("#class tbody tr").length);
		out.push("bins=" + document.querySelectorAll("#histogram rect.bin").length);
		out.push("rates=" + document.querySelectorAll("#passrates rect.rate").length);
		var heads = document.querySelectorAll("#class thead th");
		var total = Array.prototype.filter.call(heads, function (th) { return th.textContent === "total"; })[0];
		total.click();
		out.push("asc=" + names()[0] + "," + names()[names().length - 1]);
		total.click();
		out.push("desc=" + names()[0]);
		var link = document.querySelector('#class a[href="#student-forger"]');
		link.click();
		out.push("hash=" + location.hash + " target=" + (document.getElementById("student-forger") ? "yes" : "no"));
		document.body.insertAdjacentHTML("beforeend", "<p id=verdict>CHECK " + out.join(" ") + "</p>");
	JS
	run timeout 60 chromium-headless-shell --no-sandbox --disable-gpu --allow-file-access-from-files \
		--virtual-time-budget=3000 --dump-dom "file://$page"
	local verdict
	verdict=$(grep -o 'CHECK [^<]*' <<<"$output")
	[[ "$verdict" == *"rows=5 "* ]] || { echo "$verdict"; false; }
	[[ "$verdict" == *"bins=10 "* ]] || { echo "$verdict"; false; }
	[[ "$verdict" == *"rates=36 "* ]] || { echo "$verdict"; false; }
	# Ascending by total, the first is one of the zeros and the last is solved; descending, solved.
	[[ "$verdict" == *",solved desc=solved "* ]] || { echo "$verdict"; false; }
	[[ "$verdict" == *"hash=#student-forger target=yes"* ]] || { echo "$verdict"; false; }
	# Everything is in the file: no address to fetch anything from.
	! grep -Eq '(src|href)="(https?:)?//' "$CLASS/out/report.html"
}

@test "make gradescope: run_autograder grades an upload in Gradescope's layout, results.json where Gradescope reads it" {
	make -s gradescope >/dev/null
	local ag=$BATS_TEST_TMPDIR/autograder
	mkdir -p "$ag/source" "$ag/submission" "$ag/results"
	unzip -q build/dist/gradescope.zip -d "$ag/source"
	[ -x "$ag/source/setup.sh" ] && [ -x "$ag/source/run_autograder" ]
	[ ! -e "$ag/source/minidock/solutions" ] && [ -f "$ag/source/minidock/ref/minidock-ref" ]
	# The zip brings what comes from Debian's archive (the VM's kernel, Docker's CLI); the test
	# images are this machine's, to save the time of making them again.
	[ -f "$ag/source/minidock/build/vm/kernel/vmlinuz" ] && [ -x "$ag/source/minidock/build/vm/docker/docker" ]
	cp -a build/images "$ag/source/minidock/build/"
	# The upload: the lab folders only, lab 1 solved.
	cp -r labs/. "$ag/submission/" && cp solutions/01-process/*.c "$ag/submission/01-process/"
	mkdir -p /autograder
	run unshare --mount --propagation private sh -c "mount --bind '$ag' /autograder &&
		cd /autograder/source && make -s -C minidock all images vm-base >/dev/null &&
		MINIDOCK_STAGES=01 /autograder/source/run_autograder"
	rmdir /autograder 2>/dev/null || true
	[ "$status" -eq 0 ] || { echo "$output"; cat "$ag/results/grade.log"; false; }
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["score"] == 32, (r["score"], r["output"])
assert all(t["name"].startswith("stage 01:") for t in r["tests"]) and len(r["tests"]) == 21' "$ag/results/results.json"
}

@test "make classroom and make dist: the workflow names every test with its points; the handout archive has no solutions" {
	make -s classroom >/dev/null
	/usr/bin/python3 -c 'import sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
steps = w["jobs"]["grade"]["steps"]
graders = [s for s in steps if "autograding-command-grader" in s.get("uses", "")]
total = sum(int(s["with"]["max-score"]) for s in graders)
assert len(graders) == int(sys.argv[2]), len(graders)
assert total == int(sys.argv[3]), total
assert steps[-1]["with"]["runners"] == ",".join(s["id"] for s in graders)' build/dist/classroom.yml \
		"$(grep -cE '^[0-9]{2} ' grader/rubric)" "$(awk '$1 ~ /^[0-9][0-9]$/ {n += $2} END {print n}' grader/rubric)"
	make -s dist >/dev/null
	tar -tzf build/dist/minidock.tar.gz >"$BATS_TEST_TMPDIR/list"
	grep -q '^minidock/ref/minidock-ref$' "$BATS_TEST_TMPDIR/list"
	grep -q '^minidock/.github/workflows/classroom.yml$' "$BATS_TEST_TMPDIR/list"
	grep -q '^minidock/labs/01-process/process.c$' "$BATS_TEST_TMPDIR/list"
	! grep -q '^minidock/solutions/' "$BATS_TEST_TMPDIR/list"
	! grep -q '^minidock/tests/' "$BATS_TEST_TMPDIR/list"
}

@test "grade-class: similarity flags the pair that shares a lab's code, renamed or not, and no other" {
	# In the class above, solved and forger share the reference's code, which is given code
	# (catch-up trees hand it out): no pair is flagged.
	[ "$(cat "$CLASS/out/similarity.json")" = "[]" ]
	grep -q 'None flagged' "$CLASS/out/report.html"
	# Winnowing sees through new names, new spacing and new comments; the handout's code and
	# the reference's are nobody's copy. (A piece of lib/ stands for one student's own answer.)
	python3 - <<-'PY'
		import re, sys
		sys.path.insert(0, "grader")
		import report
		ref = open("lib/engine/store.c").read()
		names = sorted(set(re.findall(r"\b(?:static\s+\w+\s+\**)?([a-z_]{4,})\(", ref)))
		renamed = ref
		for i, n in enumerate(names):
		    renamed = re.sub(r"\b%s\b" % n, "fn_%d" % i, renamed)
		renamed = re.sub(r"/\*.*?\*/", "/* mine */", renamed, flags=re.S).replace("\t", "    ")
		handout = open("labs/02-rootfs/rootfs.c").read()
		other = open("solutions/03-images/images.c").read() if __import__("os").path.exists("solutions/03-images/images.c") else ""
		texts = {"a": {"02-rootfs": ref}, "b": {"02-rootfs": renamed}, "c": {"02-rootfs": handout},
		         "d": {"02-rootfs": handout + other}}
		pairs = report.similar_pairs(texts, ["labs", "solutions"])
		assert [(p[2], p[3]) for p in pairs] == [("a", "b")], pairs
		# The reference, handed out twice, is nobody's copy.
		sol = open("solutions/02-rootfs/rootfs.c").read()
		assert report.similar_pairs({"e": {"02-rootfs": sol}, "f": {"02-rootfs": sol}}, ["labs", "solutions"]) == []
	PY
}

@test "grade-class: bad input is refused with a clear message, nothing graded" {
	run make -s grade-class
	[ "$status" -ne 0 ] && [[ "$output" == *"usage: make grade-class SUBMISSIONS="* ]]
	run python3 grader/class.py --submissions /nonexistent
	[ "$status" -ne 0 ] && [[ "$output" == *"/nonexistent: no such folder or file"* ]]
	run python3 grader/class.py --submissions "$CLASS/roster.csv" --labs 1-x
	[ "$status" -ne 0 ] && [[ "$output" == *"LABS=1-x: want numbers and ranges"* ]]
	run python3 grader/class.py --submissions "$CLASS/roster.csv" --labs 99
	[ "$status" -ne 0 ] && [[ "$output" == *"no stage 99"* ]]
	run python3 grader/class.py --submissions "$CLASS/roster.csv" --deadline tomorrow
	[ "$status" -ne 0 ] && [[ "$output" == *"DEADLINE=tomorrow: not an ISO date"* ]]
	printf 'student,path\nann,a,b,c\n' >"$BATS_TEST_TMPDIR/bad.csv"
	run python3 grader/class.py --submissions "$BATS_TEST_TMPDIR/bad.csv" --out "$BATS_TEST_TMPDIR/out"
	[ "$status" -ne 0 ] && [[ "$output" == *"bad.csv:2: want student,path-or-git-url[,commit]"* ]]
	# Names that cannot name a folder, a second line for one student, a commit that is no commit,
	# a source that is a link to elsewhere: marked, not graded, the others are.
	mkdir -p "$BATS_TEST_TMPDIR/subs/ok/labs/01-process"
	ln -s /etc/shadow "$BATS_TEST_TMPDIR/subs/ok/labs/01-process/process.c"
	printf '../up,%s\nok,%s\nok,%s\nc,%s,HEAD~1\n' "$BATS_TEST_TMPDIR/subs/ok" "$BATS_TEST_TMPDIR/subs/ok" \
		"$BATS_TEST_TMPDIR/subs/ok" "$BATS_TEST_TMPDIR/subs/ok" >"$BATS_TEST_TMPDIR/odd.csv"
	run python3 grader/class.py --submissions "$BATS_TEST_TMPDIR/odd.csv" --out "$BATS_TEST_TMPDIR/odd" --labs 1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	grep -q '^\.\./up,error,' "$BATS_TEST_TMPDIR/odd/class.csv"
	grep -q '^c,error,' "$BATS_TEST_TMPDIR/odd/class.csv"
	[ "$(grep -c '^ok,' "$BATS_TEST_TMPDIR/odd/class.csv")" = 2 ]
	grep -q 'not a usable student name' "$BATS_TEST_TMPDIR/odd/report.html"
	grep -q 'a second line for this student' "$BATS_TEST_TMPDIR/odd/report.html"
	grep -q "not a commit id" "$BATS_TEST_TMPDIR/odd/report.html"
	grep -q 'labs/01-process/process.c: .*not graded' "$BATS_TEST_TMPDIR/odd/report.html"
	[ ! -e "$BATS_TEST_TMPDIR/odd/up" ] && [ ! -e "$BATS_TEST_TMPDIR/up" ]
}
