#!/bin/sh
# hidden.sh HIDDEN STAGEDIR: add an instructor's hidden tests to the VM's files (make grade
# HIDDEN=DIR, make grade-class HIDDEN=DIR). HIDDEN holds NN-*.bats files, written as the kit's
# stage tests are (`load helpers` finds the kit's helpers), and a rubric of lines `NN POINTS
# NAME`, one per @test. They join stage NN after its own tests (grade.py --print-rubric merges
# the rubrics) and are never part of a handout: they live outside the kit.
set -eu
hidden=$1 stage=$2
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$hidden/rubric" ] || { echo "HIDDEN=$hidden: no rubric file in it" >&2; exit 2; }
mkdir -p "$stage/hidden"
for file in "$hidden"/[0-9][0-9]-*.bats; do
	[ -e "$file" ] || continue
	cp "$file" "$stage/hidden/"
done
cp "$here/tests/helpers.bash" "$here/tests/peer.bash" "$stage/hidden/"
python3 "$here/grade.py" --rubric "$here/rubric" --hidden "$hidden" --print-rubric >"$stage/rubric"
