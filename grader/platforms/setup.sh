#!/bin/bash
# setup.sh: Gradescope builds the autograder's image with this, once (make gradescope puts it
# in the zip with run_autograder and the kit, a student's tree with the reference compiled in
# ref/ and no solutions). It installs the kit's Debian packages and builds everything a grade
# needs but the submission: the VM's kernel, the test images, the tools.
set -eux
cd /autograder/source/minidock
apt-get update
grader/deps.sh || { apt-get install -y --no-install-recommends make; grader/deps.sh; }
make -s all images build/vm/kernel/vmlinuz
