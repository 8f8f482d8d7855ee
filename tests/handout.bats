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

@test "handout: a student tree has the reference compiled, and no solution source or symbol" {
	run make -s handout LAB=1 OUT="$WORK/ref-tree"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	local tree=$WORK/ref-tree lab obj
	[ ! -e "$tree/solutions" ]
	for lab in solutions/[0-9][0-9]-*; do
		lab=$(basename "$lab")
		ls "$tree/ref/$lab/"*.o >/dev/null
		for obj in "$tree/ref/$lab/"*.o; do
			# No debugging information (it holds the source's lines), no local symbols (the
			# names of the solution's own static functions).
			! readelf -S "$obj" | grep -q '\.debug' || { echo "$obj has debugging information"; false; }
			[ -z "$(nm "$obj" | awk '$2 ~ /^[tdbr]$/ && $3 !~ /^\.L/')" ] ||
				{ echo "$obj has local symbols: $(nm "$obj" | awk '$2 ~ /^[tdbr]$/')"; false; }
		done
	done
	[ "$(nm "$tree/ref/minidock-ref" 2>&1)" = "nm: $tree/ref/minidock-ref: no symbols" ]
	# No line of a solution's answers (between its markers, and found nowhere else in the kit)
	# is anywhere in the tree's text.
	run python3 - "$tree" <<-'PY'
		import pathlib, re, sys
		def lines(path):
		    try:
		        return {l.strip() for l in path.read_text().splitlines() if len(l.strip()) > 30}
		    except (UnicodeDecodeError, OSError):
		        return set()
		answers = set()
		for f in pathlib.Path("solutions").glob("[0-9][0-9]-*/*.c"):
		    for region in re.findall(r"SOLUTION BEGIN \*/(.*?)/\* SOLUTION END", f.read_text(), re.S):
		        answers |= {l.strip() for l in region.splitlines() if len(l.strip()) > 30}
		for f in pathlib.Path(".").rglob("*"):
		    if f.is_file() and not str(f).startswith(("solutions", "build", ".git", "tests")):
		        answers -= lines(f)
		assert answers, "no answer lines found"
		leaks = [str(f) for f in pathlib.Path(sys.argv[1]).rglob("*")
		         if f.is_file() and "ref" not in f.parts and lines(f) & answers]
		print("\n".join(leaks))
		sys.exit(1 if leaks else 0)
	PY
	[ "$status" -eq 0 ] || { echo "solution lines in: $output"; false; }
}

@test "handout: stage N of a student tree links the student's lab N with the reference of every other lab" {
	run make -s handout LAB=1 OUT="$WORK/link-tree"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	local tree=$WORK/link-tree
	run make -s -C "$tree" build/labs/stages/07/minidock build/labs/minidock
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# create needs lab 1's proc_environ(): the reference's in stage 7's minidock, the stub in
	# the student's own. (create only writes state: no container runs.)
	run "$tree/build/labs/stages/07/minidock" --root "$WORK/state7" create --rootfs / true
	[ "$status" -eq 0 ] || { echo "stage 7's minidock: $output"; false; }
	run "$tree/build/labs/minidock" --root "$WORK/state" create --rootfs / true
	[ "$status" -eq 125 ]
	[[ "$output" == *"not implemented yet: lab 1"* ]]
	# SUBMISSION=solutions in a student tree is the compiled reference.
	run make -s -C "$tree" all SUBMISSION=solutions
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run "$tree/build/solutions/minidock" --root "$WORK/state-ref" create --rootfs / true
	[ "$status" -eq 0 ] || { echo "the reference: $output"; false; }
}

@test "handout: in a student tree, kit-only targets say so; a SUBMISSION without labs is a clear error" {
	run make -s handout LAB=3 OUT="$WORK/kit-tree"
	[ "$status" -eq 0 ]
	local target
	for target in labs test handout unit mutants format; do
		run make -s -C "$WORK/kit-tree" $target
		[ "$status" -eq 2 ] || { echo "make $target: $status $output"; false; }
		[[ "$output" == *"only in the full kit"* ]] || { echo "make $target: $output"; false; }
	done
	run make -s -C "$WORK/kit-tree" help
	[ "$status" -eq 0 ]
	[[ "$output" == *"make grade"*"make sandbox"* ]]
	# What the README offers a student is there: the benchmarks, the layer check.
	[ -f "$WORK/kit-tree/bench/vm.py" ] && [ -f "$WORK/kit-tree/bench/start.sh" ]
	run python3 "$WORK/kit-tree/tools/layers.py"
	[ "$status" -eq 0 ] || { echo "layers.py in a student tree: $output"; false; }
	run make -s all SUBMISSION="$WORK/no-such-tree"
	[ "$status" -ne 0 ]
	[[ "$output" == *"SUBMISSION=$WORK/no-such-tree: $WORK/no-such-tree/labs has no lab folders"* ]] || { echo "$output"; false; }
}
