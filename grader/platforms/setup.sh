#!/bin/bash
# setup.sh: Gradescope builds the autograder's image with this, once (make gradescope puts it
# in the zip with run_autograder and the kit: a student's tree with the reference compiled in
# ref/ and no solutions, and the VM's kernel and Docker's CLI, which come from Debian's archive).
# It installs the packages grading needs (grader/deps.sh --grading) and builds everything a
# grade needs but the submission: the test images, the tools, the VM's base image.
set -eux
cd /autograder/source/minidock
apt-get update
grader/deps.sh --grading
make -s all images vm-base
