# minidock lab kit. `make help` lists every target.
#
# SUBMISSION picks the tree that is built and graded: the default is this kit's own labs/;
# SUBMISSION=solutions is the reference; SUBMISSION=path/to/tree is another student's copy of
# the kit, of which only labs/ is taken (never its Makefile, lib/ or tests).
#
# The reference comes from solutions/ in the full kit. A student's tree (make handout) has no
# solutions/ but the reference compiled, without source: ref/NN-*/*.o, ref/minidock-init and
# ref/minidock-ref (the whole reference minidock, to compare with in make sandbox).

.DEFAULT_GOAL := all
SHELL := /bin/bash

SUBMISSION ?= .
ifeq ($(SUBMISSION),solutions)
  SUB_LABS := solutions
  SUB_NAME := solutions
else ifeq ($(abspath $(SUBMISSION)),$(CURDIR))
  SUB_LABS := labs
  SUB_NAME := labs
else
  SUB_LABS := $(SUBMISSION)/labs
  SUB_NAME := sub-$(notdir $(abspath $(SUBMISSION)))
endif

HAVE_SOLUTIONS := $(wildcard solutions/01-*)
HAVE_REF := $(if $(HAVE_SOLUTIONS),,$(wildcard ref/minidock-ref))
# SUBMISSION=solutions in a student's tree: the compiled reference.
SUB_IS_REF := $(if $(and $(filter solutions,$(SUBMISSION)),$(HAVE_REF)),yes)
REF_LABS := $(if $(HAVE_SOLUTIONS),solutions,$(SUB_LABS))
LAB_DIRS := $(sort $(notdir $(wildcard $(if $(HAVE_SOLUTIONS),solutions,labs)/[0-9][0-9]-*)))
ifeq ($(SUB_IS_REF)$(wildcard $(SUB_LABS)/[0-9][0-9]-*),)
  $(error SUBMISSION=$(SUBMISSION): $(SUB_LABS) has no lab folders (a submission is a copy of the kit whose labs/ holds 01-process, 02-rootfs, ...))
endif
STAGES := $(foreach d,$(LAB_DIRS),$(firstword $(subst -, ,$(d))))

B := build
SUB_B := $(B)/$(SUB_NAME)

# --- compiling --------------------------------------------------------------------------------
CC ?= gcc
PKGS := libcap libmnl libnftables jansson libarchive libseccomp libcurl libmicrohttpd
# -Wno-unused-parameter: a handout stub does not use its function's parameters yet.
# -Wno-format-truncation: error messages are cut at ERR_MSG_MAX on purpose.
WARNINGS := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes \
	-Werror=implicit-function-declaration -Wno-unused-parameter -Wno-format-truncation
CFLAGS ?= -O2 -g
# The given code by layer (lib/cli, lib/engine, lib/util), and each lab's contract, the header
# beside its task: the kit's own (solutions/, or labs/ in a student's tree), never a submission's.
KIT_LABS := $(if $(HAVE_SOLUTIONS),solutions,labs)
INCLUDES := -Ilib/cli -Ilib/engine -Ilib/util $(foreach d,$(LAB_DIRS),-I$(KIT_LABS)/$(d))
ALL_CFLAGS = -std=gnu11 $(WARNINGS) $(CFLAGS) $(INCLUDES) -MMD -MP $(shell pkg-config --cflags $(PKGS))
# libarchive and jansson are linked statically: libarchive's shared library pulls in libxml2 and
# ICU, 3 ms of dynamic linking at every minidock start (make bench). What they need from the
# system stays shared: libacl, libzstd and zlib, named by their sonames, which the runtime
# packages install (no -dev package needed).
STATIC_LIBS := -Wl,-Bstatic -larchive -ljansson -Wl,-Bdynamic -l:libacl.so.1 -l:libzstd.so.1 -l:libz.so.1
# libnftables is not linked: lib/util/nftables.c loads it when lab 7 first needs it.
LDLIBS = $(STATIC_LIBS) $(shell pkg-config --libs libcap libmnl libseccomp)

LIB_SRCS := $(wildcard lib/*/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)

# lab_objs TREE-NAME, TREE-DIR, LAB-DIR: the objects of one lab folder of one tree (init.c is
# a program of its own: minidock-init).
lab_objs = $(patsubst $(2)/%.c,$(B)/$(1)/obj/%.o,$(filter-out %/init.c,$(wildcard $(2)/$(3)/*.c)))
# minidock-init (lab 4) runs inside containers, whose roots have none of the host's libraries:
# linked statically, with nothing but the C library.
INIT_SRC := 04-lifecycle/init.c
# (from a student tree's ref/, the reference's is copied as it is)
define init_rule
$(1): $(2)
	@mkdir -p $$(@D)
	$(if $(filter %.c,$(2)),$$(CC) -std=gnu11 $$(WARNINGS) -O2 -static -o $$@ $$<,cp $$< $$@)
endef
# The lab folder of stage NN.
lab_dir = $(filter $(1)-%,$(LAB_DIRS))

$(B)/obj/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

ifeq ($(SUB_PREBUILT),1)
# make grade-class: the submission's objects and minidock-init were compiled already, in a
# jail that sees nothing but this submission and the kit's headers (grader/class.py); here
# they are only linked.
$(B)/$(SUB_NAME)/obj/%.o:
	@test -f $@ || { echo "make: $@ should have been compiled by grader/class.py" >&2; exit 1; }
else ifeq ($(filter sub-%,$(SUB_NAME)),)
$(B)/$(SUB_NAME)/obj/%.o: $(SUB_LABS)/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
else
# Another tree's lab files are compiled from a copy, away from the headers beside them: the
# contracts are the kit's (a lab built to a changed header would not fit the reference).
$(B)/$(SUB_NAME)/src/%.c: $(SUB_LABS)/%.c
	@mkdir -p $(@D)
	@cp $< $@
$(B)/$(SUB_NAME)/obj/%.o: $(B)/$(SUB_NAME)/src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
endif

ifneq ($(SUB_NAME),solutions)
$(B)/solutions/obj/%.o: solutions/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
endif

REF_NAME := $(if $(HAVE_SOLUTIONS),solutions,$(SUB_NAME))
# ref_objs LAB-DIR: the reference's objects of one lab: compiled from solutions/, or a student
# tree's ref/ (or, with neither, the submission's own). sub_objs LAB-DIR: the submission's.
ref_objs = $(if $(HAVE_SOLUTIONS),$(call lab_objs,solutions,solutions,$(1)),$(if $(HAVE_REF),$(wildcard ref/$(1)/*.o),$(call lab_objs,$(SUB_NAME),$(SUB_LABS),$(1))))
sub_objs = $(if $(SUB_IS_REF),$(call ref_objs,$(1)),$(call lab_objs,$(SUB_NAME),$(SUB_LABS),$(1)))
SUB_OBJS := $(foreach d,$(LAB_DIRS),$(call sub_objs,$(d)))
REF_OBJS := $(foreach d,$(LAB_DIRS),$(call ref_objs,$(d)))

# The submission's minidock: lib/ and all of its labs.
$(SUB_B)/minidock: $(LIB_OBJS) $(SUB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Stage NN's minidock: the submission's lab NN, the reference for every other lab (when the
# kit has solutions/), so that each stage grades one lab only.
define stage_rule
$(SUB_B)/stages/$(1)/minidock: $(LIB_OBJS) $(call sub_objs,$(call lab_dir,$(1))) \
		$(foreach d,$(filter-out $(call lab_dir,$(1)),$(LAB_DIRS)),$(call ref_objs,$(d)))
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach s,$(STAGES),$(eval $(call stage_rule,$(s))))
STAGE_BINS := $(foreach s,$(STAGES),$(SUB_B)/stages/$(s)/minidock $(SUB_B)/stages/$(s)/minidock-init)

# Each minidock finds minidock-init beside itself: stage 04's is the submission's.
SUB_INIT := $(if $(SUB_IS_REF),ref/minidock-init,$(if $(filter 1,$(SUB_PREBUILT)),$(SUB_B)/prebuilt/minidock-init,$(SUB_LABS)/$(INIT_SRC)))
REF_INIT := $(if $(HAVE_SOLUTIONS),solutions/$(INIT_SRC),$(if $(HAVE_REF),ref/minidock-init,$(SUB_INIT)))
$(eval $(call init_rule,$(SUB_B)/minidock-init,$(SUB_INIT)))
ifneq ($(SUB_NAME),$(REF_NAME))
$(eval $(call init_rule,$(B)/$(REF_NAME)/minidock-init,$(REF_INIT)))
endif
$(foreach s,$(STAGES),$(eval $(call init_rule,$(SUB_B)/stages/$(s)/minidock-init,$(if $(filter 04,$(s)),$(SUB_INIT),$(REF_INIT)))))
# The reference minidock, in the VM as minidock-ref: built here, or a student tree's ref/.
MINIDOCK_REF := $(if $(HAVE_SOLUTIONS),$(B)/solutions/minidock,$(HAVE_REF))

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# The compiler's flags, for grader/class.py's jailed compile of a submission.
.PHONY: print-cflags print-init-cflags print-vm-base
print-cflags:
	@echo '$(ALL_CFLAGS)'
print-init-cflags:
	@echo '-std=gnu11 $(WARNINGS) -O2 -static'
print-vm-base:
	@echo '$(VM_BASE) $(if $(HIDDEN),$(HIDDEN_CPIO))'

.PHONY: all
all: $(SUB_B)/minidock $(SUB_B)/minidock-init $(if $(HAVE_SOLUTIONS),$(B)/solutions/minidock $(B)/solutions/minidock-init) ## build build/labs/minidock (and the reference)
	@ln -sf $(SUB_NAME)/minidock $(B)/minidock

ifneq ($(SUB_NAME),solutions)
$(B)/solutions/minidock: $(LIB_OBJS) $(REF_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
endif

# --- set-up ---------------------------------------------------------------------------------------
.PHONY: deps deps-grading
deps: ## install the Debian packages the kit needs (idempotent)
	@grader/deps.sh
# What grading needs (make grade, check, sandbox): not the kit's own tests' and benchmarks'.
deps-grading:
	@grader/deps.sh --grading

# --- the handout ----------------------------------------------------------------------------------
HANDOUT := $(B)/tools/handout
$(HANDOUT): tools/handout.c tools/strip.c $(addprefix lib/util/,err.c fsutil.c cleanup.c digest.c sha256.c)
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARNINGS) $(CFLAGS) -Ilib/util -Itools -o $@ $^ $(shell pkg-config --cflags --libs jansson)

.PHONY: labs handout
# What only the full kit has (solutions/, tests/) says so in a student's tree, instead of failing.
KIT_ONLY = $(if $(HAVE_SOLUTIONS),,@echo "make $@: only in the full kit (this is a student's tree: it has no solutions/)" >&2; exit 2)

labs: $(if $(HAVE_SOLUTIONS),$(HANDOUT)) ## regenerate labs/ from solutions/ (full kit only; FORCE=1 overwrites files you changed)
	$(KIT_ONLY)
	@$(HANDOUT) sync solutions labs $(if $(FORCE),--force)

handout: $(if $(HAVE_SOLUTIONS),$(B)/solutions/minidock $(B)/solutions/minidock-init $(REF_OBJS)) ## write a student tree to OUT=DIR, labs before LAB=N solved, the reference compiled in ref/ (full kit only)
	$(KIT_ONLY)
	@test -n "$(OUT)" -a -n "$(LAB)" || { echo "usage: make handout LAB=N OUT=DIR" >&2; exit 2; }
	@grader/handout-tree.sh "$(LAB)" "$(OUT)" $(B)/solutions

# --- for instructors: the platforms --------------------------------------------------------------
.PHONY: dist gradescope classroom
DIST := $(B)/dist
dist: ## the student handout, ready to publish: build/dist/minidock.tar.gz (reference compiled, no solutions; full kit only)
	$(KIT_ONLY)
	@rm -rf $(DIST)/minidock $(DIST)/minidock.tar.gz && mkdir -p $(DIST)
	@$(MAKE) --no-print-directory -s handout LAB=1 OUT=$(DIST)/minidock
	@mkdir -p $(DIST)/minidock/.github/workflows
	@python3 grader/platforms/classroom.py grader/rubric $(DIST)/minidock/.github/workflows/classroom.yml
	@tar -czf $(DIST)/minidock.tar.gz -C $(DIST) minidock
	@echo "dist: $(DIST)/minidock.tar.gz ($$(du -h $(DIST)/minidock.tar.gz | cut -f1))"

classroom: ## GitHub Classroom's autograding workflow: build/dist/classroom.yml (make dist puts it in the handout)
	@mkdir -p $(DIST)
	@python3 grader/platforms/classroom.py grader/rubric $(DIST)/classroom.yml
	@echo "classroom: $(DIST)/classroom.yml (as .github/workflows/classroom.yml of the students' template repository)"

gradescope: $(if $(HAVE_SOLUTIONS),$(KERNEL) $(DOCKER_CLI) $(DOCKER_PROFILE)) ## Gradescope's autograder: build/dist/gradescope.zip (setup.sh, run_autograder, the kit as a student's tree)
	$(KIT_ONLY)
	@rm -rf $(DIST)/gradescope $(DIST)/gradescope.zip && mkdir -p $(DIST)/gradescope
	@$(MAKE) --no-print-directory -s handout LAB=1 OUT=$(DIST)/gradescope/minidock
	@mkdir -p $(DIST)/gradescope/minidock/build/vm && cp -a $(VM)/kernel $(VM)/docker $(DIST)/gradescope/minidock/build/vm/
	@cp grader/platforms/setup.sh grader/platforms/run_autograder $(DIST)/gradescope/
	@cd $(DIST)/gradescope && zip -qr ../gradescope.zip setup.sh run_autograder minidock
	@echo "gradescope: $(DIST)/gradescope.zip"

# --- test images ----------------------------------------------------------------------------------
IMAGES := $(B)/images
.PHONY: images
images: $(IMAGES)/.done ## build the busybox test images (rootfs dir, OCI layout, docker-save)
$(IMAGES)/.done: rootfs/mkimages.sh rootfs/mkfixtures.py rootfs/mkumoci.sh
	@rootfs/mkimages.sh $(IMAGES)

# --- the grader VM --------------------------------------------------------------------------------
VM := $(B)/vm
KERNEL := $(VM)/kernel/vmlinuz
$(KERNEL): grader/vm/fetch-kernel.sh
	@grader/vm/fetch-kernel.sh $(VM)/kernel

# The grader's tools in the VM, static: ptyrun, the stage tests' terminal (busybox has no
# `script`), shard, the host of its own that each group of tests run side by side gets, and
# probe, stage 5's escape attempts made from inside a container, and vxdump, the VXLAN
# datagrams on a card taken apart (stage 9; busybox has no tcpdump).
PTYRUN := $(B)/tools/ptyrun
SHARD := $(B)/tools/shard
PROBE := $(B)/tools/probe
VXDUMP := $(B)/tools/vxdump
$(PTYRUN) $(SHARD) $(PROBE) $(VXDUMP): $(B)/tools/%: grader/tools/%.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARNINGS) -O2 -static -o $@ $<

# Docker's own default seccomp profile (Debian's golang-github-docker-docker-dev): stage 5 loads it
# unchanged with --security-opt seccomp=, and tests/unit compares lib's table with it.
DOCKER_PROFILE := $(VM)/docker/seccomp-default.json
$(DOCKER_PROFILE): grader/vm/fetch-docker-profile.sh
	@grader/vm/fetch-docker-profile.sh $@

# Docker's CLI (Debian's docker.io, unpacked, not installed): stage 13 drives minidock daemon with it.
DOCKER_CLI := $(VM)/docker/docker
$(DOCKER_CLI): grader/vm/fetch-docker-cli.sh
	@grader/vm/fetch-docker-cli.sh $@

# Certificates for stage 13's TCP listener over TLS (test data, made with openssl).
TLS_CERTS := $(VM)/tls/ca.pem
$(TLS_CERTS): grader/vm/make-test-certs.sh
	@grader/vm/make-test-certs.sh $(VM)/tls

GRADER_FILES := grader/vm/init grader/vm/runner grader/vm/peer grader/vm/banner grader/rubric $(wildcard grader/tests/*.bats grader/tests/*.bash)

# The VM's root file system is two cpio archives end to end (the kernel unpacks one after the
# other): VM_BASE, all that does not change with a submission (busybox, bash, bats, the tools,
# the stage tests, the test images: 250 MB, made once), and the submission's programs
# (stages.cpio: a few MB, made in a second). make grade after an edit, each mutant of
# make mutants and each student of make grade-class only make the second.
# With HIDDEN=DIR (an instructor's hidden tests), a third archive between the two holds them and
# the rubric with their lines (a file of a later archive replaces the earlier one's): made again
# when DIR is another (its path is kept in hidden.path) or one of its files changed.
HIDDEN_ID := $(if $(HIDDEN),-hidden)
VM_BASE := $(VM)/base.cpio
HIDDEN_CPIO := $(VM)/hidden.cpio
HIDDEN_PATH := $(VM)/hidden.path
ifneq ($(HIDDEN),)
$(shell mkdir -p $(VM) && { [ "$$(cat $(HIDDEN_PATH) 2>/dev/null)" = '$(abspath $(HIDDEN))' ] || echo '$(abspath $(HIDDEN))' >$(HIDDEN_PATH); })
endif
# Any minidock: the base holds the libraries it loads, which are every build's.
LIBS_OF := $(if $(MINIDOCK_REF),$(MINIDOCK_REF),$(SUB_B)/minidock)
$(VM_BASE): $(KERNEL) $(IMAGES)/.done $(LIBS_OF) $(PTYRUN) $(SHARD) $(PROBE) $(VXDUMP) $(DOCKER_PROFILE) $(DOCKER_CLI) $(TLS_CERTS) $(GRADER_FILES) grader/vm/mkinitramfs.sh
	@rm -rf $@.stage && mkdir -p $@.stage
	@$(call grader_dirs,$@.stage)
	@LIBS_OF=$(LIBS_OF) grader/vm/mkinitramfs.sh $@ $(VM)/kernel $@.stage
	@rm -rf $@.stage
$(SUB_B)/stages.cpio: $(STAGE_BINS) $(SUB_B)/minidock $(SUB_B)/minidock-init $(MINIDOCK_REF)
	@rm -rf $(SUB_B)/vmstage && mkdir -p $(SUB_B)/vmstage/grader
	@$(call stage_dirs,$(SUB_B)/vmstage/grader)
	@(cd $(SUB_B)/vmstage && find grader -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner 0:0 --quiet) >$@.tmp
	@mv $@.tmp $@
$(HIDDEN_CPIO): $(HIDDEN_PATH) $(HIDDEN) $(wildcard $(HIDDEN)/*) grader/hidden.sh grader/rubric grader/grade.py
	@rm -rf $@.stage && mkdir -p $@.stage/grader
	@grader/hidden.sh $(HIDDEN) $@.stage/grader
	@(cd $@.stage && find grader -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner 0:0 --quiet) >$@.tmp
	@rm -rf $@.stage && mv $@.tmp $@
INITRAMFS := $(SUB_B)/initramfs$(HIDDEN_ID).cpio
$(INITRAMFS): $(VM_BASE) $(if $(HIDDEN),$(HIDDEN_CPIO)) $(SUB_B)/stages.cpio
	@cat $^ >$@.tmp && mv $@.tmp $@
	@echo "initramfs: $@ ($$(du -h $@ | cut -f1))"

# The VM's files in a directory (grader/ in the VM): stage_dirs, the submission's minidock of
# each stage; grader_dirs, the rest (tests, rubric, runner, tools, test images).
define stage_dirs
mkdir -p $(1)/stages/all; \
	for s in $(STAGES); do mkdir -p $(1)/stages/$$s; cp $(SUB_B)/stages/$$s/minidock $(SUB_B)/stages/$$s/minidock-init $(1)/stages/$$s/; \
		ln -s minidock $(1)/stages/$$s/minidockd; done; \
	cp $(SUB_B)/minidock $(SUB_B)/minidock-init $(1)/stages/all/; \
	ln -s minidock $(1)/stages/all/minidockd; \
	$(if $(MINIDOCK_REF),cp $(MINIDOCK_REF) $(1)/stages/all/minidock-ref)
endef
define grader_dirs
mkdir -p $(1)/bin; \
	cp -r grader/tests grader/rubric grader/vm/runner grader/vm/peer grader/vm/banner $(1)/; \
	cp $(PTYRUN) $(SHARD) $(PROBE) $(VXDUMP) $(DOCKER_CLI) $(1)/bin/; \
	cp -r $(IMAGES) $(1)/images && rm -f $(1)/images/.done; \
	cp $(DOCKER_PROFILE) $(1)/images/docker-seccomp-default.json; \
	cp -r $(VM)/tls $(1)/images/tls
endef

.PHONY: vm vm-base
vm: $(INITRAMFS) ## build the grader VM (kernel and initramfs) for SUBMISSION
vm-base: $(VM_BASE) $(if $(HIDDEN),$(HIDDEN_CPIO))

GRADE = python3 grader/grade.py --kernel $(KERNEL) --initramfs $(INITRAMFS) --out $(SUB_B)/results $(if $(HIDDEN),--hidden $(HIDDEN))

.PHONY: grade check sandbox sandbox-b
grade: deps-grading ## grade every stage of SUBMISSION in the VM (SUBMISSION=solutions shows full marks; V=1: every line of each failure)
	@$(MAKE) --no-print-directory vm
	@$(GRADE) $(if $(STAGE),--stages $(STAGE)) $(if $(V),-v)

check: deps-grading ## grade one lab: make check LAB=N (V=1: every line of each failure)
	@test -n "$(LAB)" || { echo "usage: make check LAB=N" >&2; exit 2; }
	@$(MAKE) --no-print-directory vm
	@$(GRADE) --stages $$(printf %02d $$((10#$(LAB)))) $(if $(V),-v)

.PHONY: grade-class
grade-class: deps-grading ## grade a class: SUBMISSIONS=DIR or FILE.csv [JOBS=N LABS=1-7 OUT=DIR STUDENT=NAME DEADLINE=ISO HIDDEN=DIR SHOW_HIDDEN=1] (full kit, root)
	$(KIT_ONLY)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade-class SUBMISSIONS=DIR|FILE.csv [JOBS=N] [LABS=1-7]" >&2; exit 2; }
	@python3 grader/class.py --submissions "$(SUBMISSIONS)" $(if $(OUT),--out "$(OUT)") $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(LABS),--labs $(LABS)) $(if $(STUDENT),--student "$(STUDENT)") $(if $(DEADLINE),--deadline "$(DEADLINE)") \
		$(if $(HIDDEN),--hidden "$(HIDDEN)") $(if $(SHOW_HIDDEN),--show-hidden)

sandbox: deps-grading ## boot the VM with a root shell, minidock (yours) and minidock-ref (the reference) on PATH; HOSTS=2: two VMs on a LAN
	@$(MAKE) --no-print-directory vm
	@python3 grader/grade.py --kernel $(KERNEL) --initramfs $(INITRAMFS) --out $(SUB_B)/results --sandbox $(if $(HOSTS),--hosts $(HOSTS))

sandbox-b: ## host B's shell, in another terminal, while make sandbox HOSTS=2 runs
	@python3 grader/grade.py --attach $(SUB_B)/sandbox-lan/b-console

# --- the kit's own tests --------------------------------------------------------------------------
UNIT_TESTS := $(wildcard tests/unit/test_*.c)
# All of lib/ but main() (main.c), and the reference labs that lib/ calls into.
$(B)/unit/tests: $(UNIT_TESTS) tests/unit/main.c tests/unit/unit.h tools/strip.c $(filter-out lib/cli/main.c,$(LIB_SRCS)) \
		$(wildcard lib/*/*.h solutions/[0-9][0-9]-*/*.h) $(filter-out %/init.c,$(wildcard solutions/[0-9][0-9]-*/*.c))
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARNINGS) -O0 -g $(INCLUDES) -Itools -o $@ $(filter %.c,$^) $(LDLIBS) -lcunit

.PHONY: unit test
unit: $(if $(HAVE_SOLUTIONS),$(B)/unit/tests $(DOCKER_PROFILE)) ## run the CUnit tests of lib/ and the handout generator (full kit only)
	$(KIT_ONLY)
	@$(B)/unit/tests

test: deps ## the kit's own test suite: unit, handout, grader, every stage on solutions and handout (full kit only)
	@test -x tests/run || { echo "make test: only in the full kit (this is a student's tree: it has no tests/)" >&2; exit 2; }
	@tests/run

.PHONY: mutants
mutants: deps ## grade each wrong variant of the reference in tests/mutants (MUTANTS="a.mut b.mut" for some): each must lose points (full kit only)
	@test -x tests/mutants/run || { echo "make mutants: only in the full kit (this is a student's tree: it has no tests/)" >&2; exit 2; }
	@$(MAKE) --no-print-directory all images
	@tests/mutants/run $(MUTANTS)

# --- benchmarks (numbers, not pass/fail) ---------------------------------------------------------
.PHONY: bench
bench: deps ## measure (not pass/fail): VM boot; start latency beside crun, builds, push and pull beside skopeo, in the VM; across two VMs; image load beside tar
	@$(MAKE) --no-print-directory vm all images $(B)/bench/seccomp SUBMISSION=solutions
	@python3 bench/boot.py $(KERNEL) $(B)/solutions/initramfs.cpio 10
	@echo
	@python3 bench/vm.py $(KERNEL) $(B)/solutions/initramfs.cpio 30
	@echo
	@python3 bench/lan.py $(KERNEL) $(B)/solutions/initramfs.cpio
	@echo
	@python3 bench/load.py $(B)/solutions/minidock 10
	@echo
	@$(B)/bench/seccomp 50

# bench/seccomp: lab 5's filter built, read back and loaded, timed on this machine (no container).
$(B)/bench/seccomp: bench/seccomp.c $(filter-out $(B)/obj/lib/cli/main.o,$(LIB_OBJS)) $(REF_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O2 -o $@ $(filter %.c %.o,$^) $(LDLIBS)

# A class of twelve made from the kit (tests/class/make-trees) graded with make grade-class, its
# scores checked: the class throughput (not in make bench: about 40 minutes on 2 cores under TCG).
.PHONY: bench-class
bench-class: deps ## grade the kit's own class of twelve with grade-class (LABS=1-7 by default), check the scores, time it (full kit, root)
	$(KIT_ONLY)
	@rm -rf $(B)/bench/class && tests/class/make-trees $(B)/bench/class/subs
	@start=$$(date +%s); python3 grader/class.py --submissions $(B)/bench/class/subs --out $(B)/bench/class/out \
		--labs $(or $(LABS),1-7) $(if $(JOBS),--jobs $(JOBS)); echo "bench-class: $$(( $$(date +%s) - start )) s in all"
	@tests/class/check-scores $(B)/bench/class/out/class.csv

# Containers as root on this machine: only on a machine you can throw away (not in make bench).
.PHONY: bench-net
bench-net: deps ## what a bridge network costs, iperf3 and round trips (root, ON THIS MACHINE: a throwaway one only)
	@$(MAKE) --no-print-directory all images SUBMISSION=solutions
	@python3 bench/net.py $(B)/solutions/minidock $(IMAGES)/busybox-oci.tar 100

# --- other ----------------------------------------------------------------------------------------
.PHONY: format clean help
format: ## apply .clang-format to lib/, solutions/, tools/ and tests/unit/ (full kit only)
	$(KIT_ONLY)
	clang-format -i lib/*/*.[ch] solutions/*/*.[ch] tools/*.[ch] tests/unit/*.[ch]
	@$(MAKE) --no-print-directory labs

clean: ## remove build/ (the fetched kernel too)
	rm -rf $(B)

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-12s %s\n", $$1, $$2}'
