/*
 * security.h - what a container is allowed (given: security.c, seccomp_default.c), the frame
 * of lab 5 (labs/05-limits/confine.h).
 *
 * A container's HostConfig says how it is confined, with Docker's fields: CapAdd, CapDrop,
 * Privileged, SecurityOpt (no-new-privileges, seccomp=unconfined, seccomp=PROFILE), and the
 * resources Memory, MemorySwap, MemoryReservation, NanoCpus, CpuShares, CpusetCpus,
 * PidsLimit, BlkioWeight. This file decodes them (sec_from_config(), cg_limits_from_config()),
 * reads seccomp profiles in Docker's JSON format, holds Docker's default profile, and applies it
 * all through lab 5's functions (ctr_confine(), ctr_cgroup_create(), ctr_cgroup_remove()).
 */
#ifndef MINIDOCK_SECURITY_H
#define MINIDOCK_SECURITY_H

#include <jansson.h>
#include <linux/filter.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* --- capabilities ----------------------------------------------------------------------------- */

#define CAP_BIT(cap) (UINT64_C(1) << (cap))

/* Docker's default set of 14: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID,
 * SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE (0xa80425fb). */
extern const uint64_t caps_docker_default;

/* Every capability a container may get: those this kernel knows (0 to
 * /proc/sys/kernel/cap_last_cap) that are in minidock's own bounding set. */
uint64_t caps_all(void);

/*
 * The capabilities a container gets from Docker's --cap-add and --cap-drop (JSON arrays of
 * names, "CHOWN" or "CAP_CHOWN", any case, or "ALL", or NULL): Docker's default set, without
 * the dropped ones, with the added ones; --cap-drop ALL starts from none, --cap-add ALL from
 * all (and a capability both dropped and added is added). An unknown name is EINVAL naming it.
 */
int caps_from_lists(const json_t *add, const json_t *drop, uint64_t *out, err_t *err);

/* --- seccomp profiles (Docker's JSON format) --------------------------------------------------- */

enum sec_action {
	SEC_ACT_KILL_THREAD, SEC_ACT_KILL_PROCESS, SEC_ACT_TRAP, SEC_ACT_ERRNO, SEC_ACT_TRACE,
	SEC_ACT_LOG, SEC_ACT_ALLOW,
};
enum sec_op { SEC_OP_NE, SEC_OP_LT, SEC_OP_LE, SEC_OP_EQ, SEC_OP_GE, SEC_OP_GT, SEC_OP_MASKED_EQ };

#define SEC_MAX_ARGS 6

/* One condition on argument index: arg OP value (MASKED_EQ: arg & value == value_two). */
struct sec_arg {
	unsigned index;
	uint64_t value, value_two;
	enum sec_op op;
};

/* One entry of a profile's "syscalls", already kept or left out for this machine (its
 * includes/excludes "arches" and "minKernel"); its capability conditions stay. */
struct sec_rule {
	const char *const *names; /* NULL-terminated */
	enum sec_action action;
	int errno_ret;            /* SEC_ACT_ERRNO's errno, SEC_ACT_TRACE's message */
	struct sec_arg args[SEC_MAX_ARGS];
	size_t n_args;
	uint64_t caps_needed;   /* "includes": {"caps": [...]}: only when all of them are held */
	uint64_t caps_excluded; /* "excludes": {"caps": [...]}: only when none of them is */
};

struct sec_profile {
	enum sec_action default_action;
	int default_errno; /* EPERM when the profile gives no "defaultErrnoRet" */
	const struct sec_rule *rules;
	size_t n_rules;
	void *owned; /* what sec_profile_parse() allocated */
};

/* Docker 20.10's default profile (profiles/seccomp/default.json) as it applies on x86_64. */
extern const struct sec_profile sec_default_profile;

/*
 * Read a profile in Docker's JSON format (defaultAction, defaultErrnoRet, archMap or
 * architectures, syscalls: names or name, action, errnoRet, args, includes, excludes). Every
 * value is checked to its type; an unknown action or operator is EINVAL naming it. The profile
 * Docker publishes loads unchanged. Free with sec_profile_free().
 */
int sec_profile_parse(const char *text, struct sec_profile *out, err_t *err);
void sec_profile_free(struct sec_profile *p);

/* --- cgroup v2 resources ---------------------------------------------------------------------- */

/* Where minidock keeps its containers' cgroups (the parent of each CG_ROOT/ID). */
#define CG_MOUNT "/sys/fs/cgroup"
#define CG_ROOT CG_MOUNT "/minidock"

/* Docker's resource flags, as HostConfig keeps them; 0 is "not set" for each. */
struct cg_limits {
	int64_t memory;             /* --memory, bytes */
	int64_t memory_swap;        /* --memory-swap: memory + swap, bytes; -1 unlimited */
	int64_t memory_reservation; /* --memory-reservation, bytes (a soft limit: memory.low) */
	int64_t nano_cpus;          /* --cpus, in billionths of a CPU */
	int64_t cpu_shares;         /* --cpu-shares, relative weight (Docker's default 1024) */
	char cpuset_cpus[128];      /* --cpuset-cpus, "0-2,4" */
	int64_t pids_limit;         /* --pids-limit; -1 unlimited (`update` lifts a limit so) */
	int64_t blkio_weight;       /* --blkio-weight, 10 to 1000 */
};

/* Decode HostConfig's resource fields into *out (each type-checked); write them back (-1 when
 * out of memory). */
int cg_limits_from_config(const json_t *host_config, struct cg_limits *out, err_t *err);
int cg_limits_to_config(const struct cg_limits *l, json_t *host_config);

/* Is /sys/fs/cgroup a cgroup v2 mount (not the v1 or hybrid layout)? */
bool cg_v2_available(void);

/* Is a limit of l set? And can this host apply them (EOPNOTSUPP naming cgroup v2 when not)? */
bool cg_limits_any(const struct cg_limits *l);
int cg_limits_possible(const struct cg_limits *l, err_t *err);

/* Docker's checks of the limits together, with its messages (EINVAL): at least 6 MB of memory,
 * swap only with memory and above it, the reservation below the memory, 0.01 to the host's
 * CPUs, shares 2 to 262144, blkio weight 10 to 1000; then cg_limits_possible(). */
int cg_limits_check(const struct cg_limits *l, err_t *err);

/* Parse Docker's sizes ("32m", "1g", "512k", "1024b", "100": bytes) and --cpus ("0.5"). */
int parse_size(const char *text, int64_t *out);
int parse_cpus(const char *text, int64_t *out_nano);

/* --- user namespaces (userns.c) ----------------------------------------------------------------- */

/* --userns-remap: the container's ids 0 to count-1 are the host's uid.. and gid.. (count 0: no
 * user namespace, the container's root is the host's). */
struct userns_map {
	uint32_t uid, gid, count;
};

/* HostConfig.UsernsRemap (minidock's own field: Docker's is the daemon's), type-checked: null
 * or absent (out->count 0), or {"Name": USER, "Uid": N, "Gid": N, "Size": N} as create resolved
 * it from /etc/subuid and /etc/subgid. */
int userns_from_config(const json_t *host_config, struct userns_map *out, err_t *err);

/* Give path (not followed if a symbolic link) to the container's root, host m->uid:m->gid;
 * nothing when m->count is 0. */
int userns_own(const char *path, const struct userns_map *m, err_t *err);

/* The ranges of --userns-remap's value: "default" (Docker's user dockremap), "USER" or
 * "USER:GROUP", from the first line for each in /etc/subuid and /etc/subgid ("name:start:count").
 * A missing line is ENOENT saying how to add one; a range from 0 (host root) is refused. */
int userns_lookup(const char *spec, struct userns_map *out, err_t *err);

/* The image's layers copied once with owners shifted into m (ROOT/remap/UID.GID/layers, a store
 * whose images.json is ROOT's), for img_mount() from out_root: the container's root is then
 * root's inside. */
int userns_layers(const char *root, const char *image, const struct userns_map *m, char out_root[PATH_MAX],
		  err_t *err);

/* Remove the shifted copies of layer diff_id (`image rm` removed the layer). */
void userns_forget_layer(const char *root, const char *diff_id);

/* In a user namespace whose map is written: become its root (gid, groups, uid). */
int userns_become_root(err_t *err);

/* An `exec`'d process, in the container's mount namespace: join PID 1's user namespace, become
 * its root. */
int userns_join(err_t *err);

/* --- applying it ------------------------------------------------------------------------------- */

/* How the processes of one container are confined, from its HostConfig. */
struct ctr_security {
	bool privileged;         /* --privileged: every capability, no seccomp, no device filter */
	bool no_new_privs;       /* --security-opt no-new-privileges */
	bool asked;              /* an option beyond the defaults: lab 5 must be written */
	uint64_t caps;           /* the capabilities kept */
	bool seccomp;            /* false: --security-opt seccomp=unconfined (or --privileged) */
	struct sec_profile profile;
	struct sock_filter *filter; /* the seccomp program (sec_filter_prepare()), or NULL */
	unsigned short filter_len;  /*   its instructions */
	int cgroup_fd;           /* the container's cgroup (ctr_cgroup_create()), or -1 */
	struct userns_map remap; /* --userns-remap (HostConfig.UsernsRemap); count 0: none */
	bool first;              /* the container's PID 1 (it mounts /sys/fs/cgroup), not an exec */
};

/* Decode host_config's security fields into *out (cgroup_fd -1). Release with sec_release(). */
int sec_from_config(const json_t *host_config, struct ctr_security *out, err_t *err);
void sec_release(struct ctr_security *sec);

/*
 * Give sec its seccomp program: the one kept in ROOT/seccomp/HASH.bpf, where HASH is the
 * SHA-256 of the profile's rules, the capabilities and libseccomp's version; or, the first time,
 * one built by lab 5's seccomp_build() and kept there. Nothing when sec->seccomp is false.
 */
int sec_filter_prepare(const char *root, struct ctr_security *sec, err_t *err);

/*
 * In the process about to execute a container's command (lab 1's child, lab 4's exec), after it
 * entered the container's root: join the cgroup, mount /sys/fs/cgroup (read-only unless
 * privileged; PID 1 only), enter the user namespace (--userns-remap: userns_enter() for PID 1,
 * userns_join() for an exec), limit the capabilities, set no_new_privs, load the seccomp filter,
 * become user (user_switch(), which fills out_home) and set the capabilities, with lab 5's
 * functions in that order. sec NULL, or lab 5 not written and nothing beyond the defaults
 * asked: only user_switch().
 */
int ctr_confine(const struct ctr_security *sec, const char *user, char out_home[PATH_MAX], err_t *err);

/* The cgroup path of container id. */
void ctr_cgroup_path(const char *id, char out[PATH_MAX]);

/*
 * Make container id's cgroup with the limits of host_config (cg_create(), cg_devices() unless
 * privileged) and give its descriptor in *out_fd; -1 (nothing made) where cgroup v2 is not
 * available and no limit is asked, or before lab 5 is written when none is. A limit without
 * cgroup v2 is an error that says so.
 */
int ctr_cgroup_create(const char *id, const json_t *host_config, int *out_fd, err_t *err);

/* Remove container id's cgroup if it has one (cg_remove()); *out_oom as cg_remove()'s. */
void ctr_cgroup_remove(const char *id, bool *out_oom);

#endif
