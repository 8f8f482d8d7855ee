/*
 * confine.h - lab 5, limits and security: the contract of labs/05-limits/confine.c.
 *
 * After labs 1 to 4 a container sees a world of its own, but it is still root on the host for
 * everything the kernel does not split into namespaces: the clock, the kernel's modules and
 * keyrings, raw devices, the memory and processors of the whole machine. Lab 5 takes that
 * power away, with Docker's defaults (course.md, chapter 5):
 *
 *	capabilities   root's power cut into ~40 pieces; a container keeps Docker's 14
 *	seccomp        a filter on system calls: Docker's allow-list, in Docker's JSON format
 *	cgroup v2      a control group per container: memory, CPU, processes, devices, freezing
 *
 * Who calls what. The monitor (lab 4), before it spawns PID 1, makes the container's cgroup
 * with cg_create() (ctr_cgroup_create(), given, lib/engine/security.c). The container's first
 * process (lab 1's child) and each `exec`'d process end with ctr_confine() (given), which, just
 * before the command is executed:
 *
 *	cg_join()        moves the process into the container's cgroup, in a cgroup namespace
 *	userns_enter()   with --userns-remap: into a user namespace, as its root
 *	caps_limit()     shrinks the bounding set: what no program can ever get back
 *	                 (then it loads the seccomp filter seccomp_build() made, while still root)
 *	user_switch()    becomes the user (user.h), keeping its capabilities across
 *	caps_apply()     sets the permitted and effective capabilities
 *
 * When the container ends, cg_remove() (from the store, given) removes its cgroup and tells
 * whether the kernel's OOM killer ended a process in it. `pause`, `unpause` and `update` use
 * cg_freeze() and cg_set_limits().
 */
#ifndef MINIDOCK_CONFINE_H
#define MINIDOCK_CONFINE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "security.h"

/* --- capabilities (libcap: capability.h) --------------------------------------------------- */

/*
 * Keep only the capabilities of keep (bit N: capability N, as CAP_TO_MASK) in this process's
 * bounding set, the limit of what it and every program it executes can ever hold, and clear its
 * ambient set. The other sets are left as they are (the process needs them until caps_apply()).
 */
int caps_limit(uint64_t keep, err_t *err);

/*
 * Set this process's permitted and effective capabilities to keep, its inheritable set empty
 * (as Docker 20.10.14 and later: CVE-2022-24769). Called after user_switch() with
 * PR_SET_KEEPCAPS, so it works for any user; for a user other than root, execve() then clears
 * them (a program file without capabilities gives none to a non-root user), as in Docker.
 */
int caps_apply(uint64_t keep, err_t *err);

/* --- seccomp (libseccomp: seccomp.h) ------------------------------------------------------ */

/*
 * Build a seccomp filter from profile p for a container holding capabilities caps, and write
 * it to fd as the kernel's BPF program (seccomp_export_bpf()). The filter:
 *   - does p->default_action (with p->default_errno for SEC_ACT_ERRNO) for any system call that
 *     no rule names;
 *   - covers the native architecture and its sub-architectures (x86 and x32 on x86_64), so that
 *     a 32-bit system call is no way around it;
 *   - has, for each rule that applies (all of caps_needed in caps, none of caps_excluded), each
 *     of its system calls with the rule's action and argument conditions: several conditions on
 *     different arguments must all hold; several on one argument are separate rules (any holds).
 *     A name this libseccomp or kernel does not know is skipped; a rule whose action is the
 *     default action is redundant and skipped.
 * Building takes libseccomp ~10 ms (its rule database is slow), too long for every start:
 * sec_filter_prepare() (given) keeps each program it builds under ROOT/seccomp, named by the
 * hash of the profile and the capabilities, and ctr_confine() loads it with seccomp(2).
 */
int seccomp_build(const struct sec_profile *p, uint64_t caps, int fd, err_t *err);

/* --- cgroup v2 (the files of /sys/fs/cgroup) ------------------------------------------------ */

/*
 * Make the container's cgroup, path (CG_ROOT "/ID", under cgroup v2's mount): first, once, the
 * parent CG_ROOT with the controllers cpu, cpuset, io, memory and pids enabled for its children
 * (cgroup.subtree_control of the root and of CG_ROOT), then path itself, then its limits
 * (cg_set_limits()). Returns an open descriptor of the directory (O_DIRECTORY, close-on-exec)
 * in *out_fd. Nothing is left on failure.
 */
int cg_create(const char *path, const struct cg_limits *l, int *out_fd, err_t *err);

/*
 * Write the limits of l into the cgroup dir_fd, as runc does for Docker's flags (only those
 * that are set; the others keep the kernel's default):
 *   memory.max = memory; memory.swap.max = memory_swap - memory ("max" for -1; memory when
 *   memory_swap is 0, Docker's default of twice the memory); memory.low = memory_reservation;
 *   cpu.max = "QUOTA 100000", QUOTA = nano_cpus / 10000; cpu.weight = 1 + (cpu_shares - 2) *
 *   9999 / 262142; cpuset.cpus; pids.max (or "max" for -1); io.bfq.weight = blkio_weight, or,
 *   without bfq, io.weight = 1 + (blkio_weight - 10) * 9999 / 990.
 * A file the kernel lacks (a controller not enabled) is an error naming the file and the flag.
 */
int cg_set_limits(int dir_fd, const struct cg_limits *l, err_t *err);

/*
 * Allow, in the cgroup dir_fd, only Docker's default devices: a BPF_PROG_TYPE_CGROUP_DEVICE
 * program attached to it (cgroup v2 has no devices.allow file) that lets any process mknod any
 * device but open only null (1:3), zero (1:5), full (1:7), random (1:8), urandom (1:9), tty
 * (5:0), console (5:1), ptmx (5:2) and the ptys (136:*), character devices all.
 */
int cg_devices(int dir_fd, err_t *err);

/*
 * In the container's first process (or an exec'd one): move this process into the cgroup
 * dir_fd (its cgroup.procs), then give it a cgroup namespace of its own, whose root is that
 * cgroup (so /proc/self/cgroup inside reads "0::/").
 */
int cg_join(int dir_fd, err_t *err);

/* Freeze (frozen) or thaw every process of the cgroup dir_fd (cgroup.freeze), and return once
 * the kernel says it is done (cgroup.events: "frozen 1" or "frozen 0"). */
int cg_freeze(int dir_fd, bool frozen, err_t *err);

/*
 * Remove the cgroup path: kill what is left in it (cgroup.kill), wait for it to be empty and
 * rmdir it. *out_oom tells whether the OOM killer killed a process in it (memory.events,
 * "oom_kill N" with N > 0), read before it goes. A path that does not exist is not an error
 * (*out_oom false).
 */
int cg_remove(const char *path, bool *out_oom, err_t *err);

/* --- user namespaces (--userns-remap) ------------------------------------------------------- */

/*
 * Move this process (the container's PID 1, root on the host, its root directory entered) into
 * a new user namespace where ids 0 to m->count - 1 are host uids m->uid... and gids m->gid...,
 * and become root there (userns_become_root(), given): uid 0 and gid 0 inside, m->uid and
 * m->gid on the host. Its capabilities then hold only over what the namespace owns.
 *
 * Only a process holding CAP_SETUID and CAP_SETGID in the namespace *above* may write a map of
 * more than its own id, so the process that unshares cannot write its own: before unshare(),
 * fork a helper (still the host's root); once the namespace exists, the helper writes
 * "0 UID COUNT" to /proc/PID/uid_map and "0 GID COUNT" to gid_map of its parent, and exits; wait
 * for it and check it succeeded. (The container's /proc is mounted: the parent is PID 1 there.)
 */
int userns_enter(const struct userns_map *m, err_t *err);

#endif
