#!/usr/bin/env bats
# The handout machinery: labs/ is what solutions/ gives, stubs fail cleanly, a student's
# changes are never overwritten, and catch-up trees come with the earlier labs solved.

setup() {
	HANDOUT=$PWD/build/tools/handout
	WORK=$BATS_TEST_TMPDIR
}

@test "handout: the committed labs/ is exactly what solutions/ gives" {
	run "$HANDOUT" check solutions labs
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "handout: every lab file of solutions/ has its twin in labs/ and no answer leaks" {
	local f
	for f in solutions/[0-9][0-9]-*/*; do
		[ -f "labs/${f#solutions/}" ] || { echo "missing: labs/${f#solutions/}"; false; }
	done
	! grep -rn "SOLUTION BEGIN\|SOLUTION END" labs/
}

@test "handout: a stub fails with the lab, the function and the chapter, exit 125" {
	run build/labs/minidock run --rootfs build/images/busybox/rootfs true
	[ "$status" -eq 125 ]
	[[ "$output" == "minidock: not implemented yet: lab 1, function "*" (see course.md, chapter 1)" ]]
}

@test "handout: regenerating leaves a file the student changed alone, FORCE overwrites it" {
	cp -r solutions "$WORK/sol"
	mkdir "$WORK/labs"
	run "$HANDOUT" sync "$WORK/sol" "$WORK/labs"
	[ "$status" -eq 0 ]
	local file=$WORK/labs/01-process/process.c
	echo "/* my work */" >>"$file"
	echo "/* the reference changed */" >>"$WORK/sol/01-process/process.c"
	run "$HANDOUT" sync "$WORK/sol" "$WORK/labs"
	[ "$status" -eq 1 ]
	[[ "$output" == *"changed by hand"* ]]
	grep -q "my work" "$file"
	# Still refused the second time: the record keeps the sum of what sync wrote.
	run "$HANDOUT" sync "$WORK/sol" "$WORK/labs"
	[ "$status" -eq 1 ]
	grep -q "my work" "$file"
	run "$HANDOUT" sync "$WORK/sol" "$WORK/labs" --force
	[ "$status" -eq 0 ]
	! grep -q "my work" "$file"
	grep -q "the reference changed" "$file"
}

@test "handout: an untouched file is updated when the reference changes" {
	cp -r solutions "$WORK/sol"
	mkdir "$WORK/labs"
	"$HANDOUT" sync "$WORK/sol" "$WORK/labs"
	echo "/* new comment */" >>"$WORK/sol/01-process/process.c"
	run "$HANDOUT" sync "$WORK/sol" "$WORK/labs"
	[ "$status" -eq 0 ]
	grep -q "new comment" "$WORK/labs/01-process/process.c"
	run "$HANDOUT" check "$WORK/sol" "$WORK/labs"
	[ "$status" -eq 0 ]
}

@test "handout: a malformed marker stops generation with the file and line" {
	cp -r solutions "$WORK/sol"
	mkdir "$WORK/labs"
	printf 'x\n/* SOLUTION BEGIN */\n' >>"$WORK/sol/01-process/process.c"
	run "$HANDOUT" sync "$WORK/sol" "$WORK/labs"
	[ "$status" -eq 2 ]
	[[ "$output" == *"process.c"*"never closed"* ]]
}

@test "handout: make handout LAB=2 gives a student tree with lab 1 solved and no solutions" {
	run make -s handout LAB=2 OUT="$WORK/tree"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ ! -e "$WORK/tree/solutions" ]
	[ ! -e "$WORK/tree/tests" ]
	cmp "$WORK/tree/labs/01-process/process.c" solutions/01-process/process.c
	[ -f "$WORK/tree/course.md" ] && [ -f "$WORK/tree/lib/errors.md" ] && [ -f "$WORK/tree/Makefile" ]
	# The tree builds on its own.
	run make -s -C "$WORK/tree" all
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run "$WORK/tree/build/minidock" run --rootfs build/images/busybox/rootfs true
	[ "$status" -eq 0 ]
}

@test "handout: make handout LAB=1 gives the untouched handout" {
	run make -s handout LAB=1 OUT="$WORK/tree1"
	[ "$status" -eq 0 ]
	cmp "$WORK/tree1/labs/01-process/process.c" labs/01-process/process.c
}

@test "handout: make handout refuses an OUT that exists" {
	mkdir "$WORK/exists"
	run make -s handout LAB=1 OUT="$WORK/exists"
	[ "$status" -ne 0 ]
	[[ "$output" == *"exists"* ]]
}

@test "handout: each lab README's \"make check LAB=N shows T/T\" counts the rubric's tests of stage N" {
	local readme stage count
	for readme in solutions/[0-9][0-9]-*/README.md; do
		stage=$(basename "$(dirname "$readme")" | cut -c1-2)
		count=$(grep -c "^$stage " grader/rubric)
		grep -q "shows $count/$count\." "$readme" || {
			echo "$readme says $(grep -o 'shows [0-9]*/[0-9]*' "$readme"), the rubric has $count tests of stage $stage"
			return 1
		}
	done
}
