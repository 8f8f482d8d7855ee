#!/bin/sh
# handout-tree.sh LAB OUT REFBUILD: a student's tree of the kit in OUT, with labs before LAB
# solved (make handout). It holds what a student needs (Makefile, README, course.md, lib/,
# labs/, rootfs/, grader/, tools/, bench/) and not the instructor's material (solutions/, the
# kit's own tests/). The reference comes compiled, from REFBUILD (build/solutions), in ref/: each lab's
# objects without their debugging information or local symbols (so that stage N is graded
# with the student's lab N and the reference for the others), minidock-init, and minidock-ref,
# the whole reference minidock, stripped, to compare behaviour with in `make sandbox`.
set -eu
lab=$1 out=$2 refbuild=$3
case "$lab" in *[!0-9]* | "") echo "make handout: LAB must be a number, not '$lab'" >&2; exit 2 ;; esac
if [ -e "$out" ]; then
	echo "make handout: $out exists; give a new directory" >&2
	exit 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
tmp="$out.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
for item in Makefile README.md course.md .clang-format .editorconfig .gitignore lib labs rootfs grader tools bench; do
	cp -r "$top/$item" "$tmp/"
done
# The reference, compiled.
mkdir -p "$tmp/ref"
for dir in "$top"/solutions/[0-9][0-9]-*; do
	name=$(basename "$dir")
	mkdir -p "$tmp/ref/$name"
	for obj in "$refbuild/obj/$name"/*.o; do
		strip --strip-debug --discard-all -o "$tmp/ref/$name/$(basename "$obj")" "$obj"
	done
done
strip --strip-all -o "$tmp/ref/minidock-ref" "$refbuild/minidock"
strip --strip-all -o "$tmp/ref/minidock-init" "$refbuild/minidock-init"
# Catch-up: labs before LAB come with their reference answers.
for dir in "$top"/solutions/[0-9][0-9]-*; do
	n=$(basename "$dir" | cut -c1-2)
	if [ "$(expr "$n" + 0)" -lt "$lab" ]; then
		cp "$dir"/* "$tmp/labs/$(basename "$dir")/"
	fi
done
mv "$tmp" "$out"
trap - EXIT
echo "make handout: wrote $out (labs before $lab solved)"
