#!/bin/sh
# handout-tree.sh LAB OUT: a student's tree of the kit in OUT, with labs before LAB solved
# (make handout). It holds what a student needs (Makefile, README, course.md, lib/, labs/,
# rootfs/, grader/) and not the instructor's material (solutions/, the kit's own tests/).
set -eu
lab=$1 out=$2
case "$lab" in *[!0-9]* | "") echo "make handout: LAB must be a number, not '$lab'" >&2; exit 2 ;; esac
if [ -e "$out" ]; then
	echo "make handout: $out exists; give a new directory" >&2
	exit 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
tmp="$out.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
for item in Makefile README.md course.md .clang-format .editorconfig .gitignore lib labs rootfs grader tools; do
	cp -r "$top/$item" "$tmp/"
done
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
