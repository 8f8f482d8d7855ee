/*
 * confine.c - lab 5: capabilities, seccomp and cgroup v2 (see confine.h for the contract,
 * course.md chapter 5 for the ideas).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "lab.h"
#include "confine.h"

/* SOLUTION BEGIN */
/* cap_t of libcap, freed by cap_free() at the end of its scope. */
static void cap_freep(cap_t *caps)
{
	if (*caps)
		cap_free(*caps);
}
#define _cleanup_cap_ __attribute__((cleanup(cap_freep)))
/* SOLUTION END */

int caps_limit(uint64_t keep, err_t *err)
{
	/* SOLUTION BEGIN */
	/* The bounding set only shrinks: drop, one by one, what is not kept. */
	uint64_t all = caps_all();
	for (int cap = 0; cap < 64; cap++) {
		if (!(all & CAP_BIT(cap)) || (keep & CAP_BIT(cap)))
			continue;
		if (cap_drop_bound((cap_value_t)cap) < 0)
			return err_sys(err, "drop %s from the bounding set", cap_to_name((cap_value_t)cap));
	}
	/* Ambient capabilities would survive an execve() as a non-root user: none. */
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return err_sys(err, "clear the ambient capabilities");
	return 0;
	/* SOLUTION END: return lab_todo(err, 5, __func__); */
}

int caps_apply(uint64_t keep, err_t *err)
{
	/* SOLUTION BEGIN */
	_cleanup_cap_ cap_t caps = cap_init(); /* all three sets empty */
	if (!caps)
		return err_sys(err, "capabilities");
	for (int cap = 0; cap < 64; cap++) {
		cap_value_t value = (cap_value_t)cap;
		if ((keep & CAP_BIT(cap)) &&
		    (cap_set_flag(caps, CAP_PERMITTED, 1, &value, CAP_SET) < 0 ||
		     cap_set_flag(caps, CAP_EFFECTIVE, 1, &value, CAP_SET) < 0))
			return err_sys(err, "capability %d", cap);
	}
	if (cap_set_proc(caps) < 0)
		return err_sys(err, "set the capabilities");
	return 0;
	/* SOLUTION END: return lab_todo(err, 5, __func__); */
}

/* SOLUTION BEGIN */
/* The libseccomp action of a profile's action. */
static uint32_t scmp_action(enum sec_action action, int errno_ret)
{
	switch (action) {
	case SEC_ACT_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
	case SEC_ACT_KILL_PROCESS: return SCMP_ACT_KILL_PROCESS;
	case SEC_ACT_TRAP: return SCMP_ACT_TRAP;
	case SEC_ACT_ERRNO: return SCMP_ACT_ERRNO((uint32_t)errno_ret);
	case SEC_ACT_TRACE: return SCMP_ACT_TRACE((uint32_t)errno_ret);
	case SEC_ACT_LOG: return SCMP_ACT_LOG;
	case SEC_ACT_ALLOW: break;
	}
	return SCMP_ACT_ALLOW;
}

static const enum scmp_compare scmp_ops[] = {
	[SEC_OP_NE] = SCMP_CMP_NE, [SEC_OP_LT] = SCMP_CMP_LT, [SEC_OP_LE] = SCMP_CMP_LE,
	[SEC_OP_EQ] = SCMP_CMP_EQ, [SEC_OP_GE] = SCMP_CMP_GE, [SEC_OP_GT] = SCMP_CMP_GT,
	[SEC_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static struct scmp_arg_cmp scmp_arg(const struct sec_arg *a)
{
	return (struct scmp_arg_cmp){ .arg = a->index, .op = scmp_ops[a->op], .datum_a = a->value, .datum_b = a->value_two };
}

/* Add rule r for system call nr to ctx: its conditions all at once (all must hold), or, when two
 * are on the same argument, one rule per condition (any may hold), as Docker does. */
static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const struct sec_rule *r)
{
	bool same_index = false;
	for (size_t i = 0; i < r->n_args; i++)
		for (size_t j = i + 1; j < r->n_args; j++)
			same_index = same_index || r->args[i].index == r->args[j].index;
	if (!same_index) {
		struct scmp_arg_cmp cmp[SEC_MAX_ARGS];
		for (size_t i = 0; i < r->n_args; i++)
			cmp[i] = scmp_arg(&r->args[i]);
		return seccomp_rule_add_array(ctx, action, nr, (unsigned)r->n_args, cmp);
	}
	for (size_t i = 0; i < r->n_args; i++) {
		struct scmp_arg_cmp cmp = scmp_arg(&r->args[i]);
		int rc = seccomp_rule_add_array(ctx, action, nr, 1, &cmp);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}
/* SOLUTION END */

int seccomp_build(const struct sec_profile *p, uint64_t caps, int fd, err_t *err)
{
	/* SOLUTION BEGIN */
	uint32_t default_action = scmp_action(p->default_action, p->default_errno);
	__attribute__((cleanup(seccomp_releasep))) scmp_filter_ctx ctx = seccomp_init(default_action);
	if (!ctx)
		return err_msg(err, ENOMEM, "seccomp_init");
	/* The same filter for 32-bit calls (int 0x80) and x32 ones: no way around it. */
	int rc = seccomp_arch_add(ctx, SCMP_ARCH_X86);
	if (rc < 0 && rc != -EEXIST)
		return err_set(err, -rc, "seccomp: add the x86 architecture");
	rc = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	if (rc < 0 && rc != -EEXIST)
		return err_set(err, -rc, "seccomp: add the x32 architecture");

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct sec_rule *r = &p->rules[i];
		if ((caps & r->caps_needed) != r->caps_needed || (caps & r->caps_excluded))
			continue;
		uint32_t action = scmp_action(r->action, r->errno_ret);
		if (action == default_action)
			continue;
		for (size_t n = 0; r->names[n]; n++) {
			int nr = seccomp_syscall_resolve_name(r->names[n]);
			if (nr == __NR_SCMP_ERROR)
				continue; /* not a system call of this machine or of this libseccomp */
			rc = add_rule(ctx, action, nr, r);
			if (rc < 0)
				return err_set(err, -rc, "seccomp: rule for %s", r->names[n]);
		}
	}
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		return err_set(err, -rc, "seccomp: write the filter");
	return 0;
	/* SOLUTION END: return lab_todo(err, 5, __func__); */
}

/* SOLUTION BEGIN */
/* Write text into the file name of the directory dir_fd (a cgroup's interface file). */
static int cg_write(int dir_fd, const char *name, const char *text, err_t *err)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", name);
	ssize_t n = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	if (n != (ssize_t)strlen(text)) {
		errno = n < 0 ? saved : EIO;
		return err_sys(err, "write \"%s\" to %s", text, name);
	}
	return 0;
}

static int cg_write_int(int dir_fd, const char *name, int64_t value, err_t *err)
{
	char text[32];
	if (value < 0)
		snprintf(text, sizeof(text), "max");
	else
		snprintf(text, sizeof(text), "%lld", (long long)value);
	return cg_write(dir_fd, name, text, err);
}

/* Make the parent CG_ROOT, its controllers given to its children, when not done yet. */
static int cg_make_parent(err_t *err)
{
	static const char controllers[] = "+cpu +cpuset +io +memory +pids";
	if (mkdir(CG_ROOT, 0755) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", CG_ROOT);
	_cleanup_close_ int root = open(CG_MOUNT, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int parent = open(CG_ROOT, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (root < 0 || parent < 0)
		return err_sys(err, "open %s", root < 0 ? CG_MOUNT : CG_ROOT);
	if (cg_write(root, "cgroup.subtree_control", controllers, err) < 0 ||
	    cg_write(parent, "cgroup.subtree_control", controllers, err) < 0)
		return err_wrap(err, "enable the controllers");
	return 0;
}
/* SOLUTION END */

int cg_create(const char *path, const struct cg_limits *l, int *out_fd, err_t *err)
{
	/* SOLUTION BEGIN */
	/* The parent is made once, by the first container. */
	if (access(CG_ROOT, F_OK) < 0 && cg_make_parent(err) < 0)
		return -1;
	if (mkdir(path, 0755) < 0)
		return err_sys(err, "mkdir %s", path);
	_cleanup_close_ int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0 || cg_set_limits(fd, l, err) < 0) {
		if (fd < 0)
			err_sys(err, "open %s", path);
		rmdir(path);
		return -1;
	}
	*out_fd = take_fd(&fd);
	return 0;
	/* SOLUTION END: return lab_todo(err, 5, __func__); */
}

int cg_set_limits(int dir_fd, const struct cg_limits *l, err_t *err)
{
	/* SOLUTION BEGIN */
	if (l->memory) {
		if (cg_write_int(dir_fd, "memory.max", l->memory, err) < 0)
			return err_wrap(err, "--memory");
		/* Docker's --memory-swap is memory plus swap; unset, swap may be as large as memory. */
		int64_t swap = l->memory_swap < 0 ? -1 : l->memory_swap ? l->memory_swap - l->memory : l->memory;
		if (cg_write_int(dir_fd, "memory.swap.max", swap, err) < 0 && err->code != ENOENT)
			return err_wrap(err, "--memory-swap");
	}
	if (l->memory_reservation && cg_write_int(dir_fd, "memory.low", l->memory_reservation, err) < 0)
		return err_wrap(err, "--memory-reservation");
	if (l->nano_cpus) {
		char text[48];
		snprintf(text, sizeof(text), "%lld 100000", (long long)(l->nano_cpus / 10000));
		if (cg_write(dir_fd, "cpu.max", text, err) < 0)
			return err_wrap(err, "--cpus");
	}
	if (l->cpu_shares && cg_write_int(dir_fd, "cpu.weight", 1 + (l->cpu_shares - 2) * 9999 / 262142, err) < 0)
		return err_wrap(err, "--cpu-shares");
	if (l->cpuset_cpus[0] && cg_write(dir_fd, "cpuset.cpus", l->cpuset_cpus, err) < 0)
		return err_wrap(err, "--cpuset-cpus");
	if (l->pids_limit && cg_write_int(dir_fd, "pids.max", l->pids_limit, err) < 0)
		return err_wrap(err, "--pids-limit");
	if (l->blkio_weight && cg_write_int(dir_fd, "io.bfq.weight", l->blkio_weight, err) < 0 &&
	    cg_write_int(dir_fd, "io.weight", 1 + (l->blkio_weight - 10) * 9999 / 990, err) < 0)
		return err_wrap(err, "--blkio-weight");
	return 0;
	/* SOLUTION END: return lab_todo(err, 5, __func__); */
}

/* SOLUTION BEGIN */
/* One device rule: type 'c' or 'b' (0: both), major and minor (-1: any), access: BPF_DEVCG_ACC_*. */
struct dev_rule {
	int type;
	int major, minor;
	int access;
};

#define ACC_RWM (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)
#define ACC_RW (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

static const struct dev_rule default_devices[] = {
	{ 0, -1, -1, BPF_DEVCG_ACC_MKNOD }, /* mknod of anything: opening it is another matter */
	{ BPF_DEVCG_DEV_CHAR, 1, 3, ACC_RW },  { BPF_DEVCG_DEV_CHAR, 1, 5, ACC_RW },
	{ BPF_DEVCG_DEV_CHAR, 1, 7, ACC_RW },  { BPF_DEVCG_DEV_CHAR, 1, 8, ACC_RW },
	{ BPF_DEVCG_DEV_CHAR, 1, 9, ACC_RW },  { BPF_DEVCG_DEV_CHAR, 5, 0, ACC_RW },
	{ BPF_DEVCG_DEV_CHAR, 5, 1, ACC_RW },  { BPF_DEVCG_DEV_CHAR, 5, 2, ACC_RW },
	{ BPF_DEVCG_DEV_CHAR, 136, -1, ACC_RW },
};

/* The few eBPF instructions the program needs (as linux/filter.h's macros, which user space lacks). */
#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LOAD_W(dst, src, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define AND_K(dst, imm) INSN(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_K(dst, imm) INSN(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define MOV_R(dst, src) INSN(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_K(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE_K(dst, imm, off) INSN(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* bpf(BPF_PROG_LOAD) of a device program of n instructions; with log, the verifier's report. */
static int load_device_program(const struct bpf_insn *prog, size_t n, char *log, size_t log_size)
{
	union bpf_attr load = { 0 };
	load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	load.insns = (uint64_t)(uintptr_t)prog;
	load.insn_cnt = (uint32_t)n;
	load.license = (uint64_t)(uintptr_t)"Apache-2.0";
	if (log) {
		load.log_buf = (uint64_t)(uintptr_t)log;
		load.log_size = (uint32_t)log_size;
		load.log_level = 1;
	}
	return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
}
/* SOLUTION END */

int cg_devices(int dir_fd, err_t *err)
{
	/* SOLUTION BEGIN */
	/* The program sees struct bpf_cgroup_dev_ctx in r1: access_type (access << 16 | type),
	 * major, minor. It returns 1 (allow) at the first rule that matches, else 0. */
	struct bpf_insn prog[8 + 9 * sizeof(default_devices) / sizeof(default_devices[0]) + 2];
	size_t n = 0;
	prog[n++] = LOAD_W(BPF_REG_2, BPF_REG_1, 0); /* r2 = type */
	prog[n++] = AND_K(BPF_REG_2, 0xffff);
	prog[n++] = LOAD_W(BPF_REG_3, BPF_REG_1, 0); /* r3 = access */
	prog[n++] = RSH_K(BPF_REG_3, 16);
	prog[n++] = LOAD_W(BPF_REG_4, BPF_REG_1, 4); /* r4 = major */
	prog[n++] = LOAD_W(BPF_REG_5, BPF_REG_1, 8); /* r5 = minor */
	for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++) {
		const struct dev_rule *r = &default_devices[i];
		/* Each test that fails jumps to the next rule: past the end of this rule's block. */
		size_t end = n + (r->type != 0) + 3 + (r->major >= 0) + (r->minor >= 0) + 2;
		if (r->type) {
			prog[n] = JNE_K(BPF_REG_2, r->type, (short)(end - n - 1));
			n++;
		}
		/* Every access asked for must be allowed: (access & ~allowed) == 0. */
		prog[n++] = MOV_R(BPF_REG_1, BPF_REG_3);
		prog[n++] = AND_K(BPF_REG_1, ~r->access & ACC_RWM);
		prog[n] = JNE_K(BPF_REG_1, 0, (short)(end - n - 1));
		n++;
		if (r->major >= 0) {
			prog[n] = JNE_K(BPF_REG_4, r->major, (short)(end - n - 1));
			n++;
		}
		if (r->minor >= 0) {
			prog[n] = JNE_K(BPF_REG_5, r->minor, (short)(end - n - 1));
			n++;
		}
		prog[n++] = MOV_K(BPF_REG_0, 1);
		prog[n++] = EXIT();
	}
	prog[n++] = MOV_K(BPF_REG_0, 0);
	prog[n++] = EXIT();

	int prog_fd = load_device_program(prog, n, NULL, 0);
	if (prog_fd < 0) {
		/* Again, with the verifier's log: its last words say why. */
		int saved = errno;
		static char log[65536];
		load_device_program(prog, n, log, sizeof(log));
		size_t len = strlen(log);
		errno = saved;
		return err_sys(err, "load the device program%s%s", len ? ": ..." : "", log + (len > 300 ? len - 300 : 0));
	}
	union bpf_attr attach = { 0 };
	attach.target_fd = (uint32_t)dir_fd;
	attach.attach_bpf_fd = (uint32_t)prog_fd;
	attach.attach_type = BPF_CGROUP_DEVICE;
	int rc = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof(attach));
	int saved = errno;
	close(prog_fd); /* attached, the cgroup holds it */
	if (rc < 0) {
		errno = saved;
		return err_sys(err, "attach the device program");
	}
	return 0;
	/* SOLUTION END: return lab_todo(err, 5, __func__); */
}

int cg_join(int dir_fd, err_t *err)
{
	/* SOLUTION BEGIN */
	/* "0" means the process that writes. */
	if (cg_write(dir_fd, "cgroup.procs", "0", err) < 0)
		return -1;
	if (unshare(CLONE_NEWCGROUP) < 0)
		return err_sys(err, "unshare the cgroup namespace");
	return 0;
	/* SOLUTION END: return lab_todo(err, 5, __func__); */
}

/* SOLUTION BEGIN */
/* The value of key in a cgroup file of "key value" lines (cgroup.events, memory.events). */
static long long cg_read_key(int dir_fd, const char *name, const char *key)
{
	char text[1024];
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	size_t key_len = strlen(key);
	for (char *line = text; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, key, key_len) == 0 && line[key_len] == ' ')
			return atoll(line + key_len + 1);
	return -1;
}

static void pause_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&t, NULL);
}
/* SOLUTION END */

int cg_freeze(int dir_fd, bool frozen, err_t *err)
{
	/* SOLUTION BEGIN */
	if (cg_write(dir_fd, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	/* The kernel freezes each process at its next return to user space: wait for it. */
	for (int tries = 0; tries < 2000; tries++) {
		if (cg_read_key(dir_fd, "cgroup.events", "frozen") == (frozen ? 1 : 0))
			return 0;
		pause_ms(1);
	}
	return err_msg(err, ETIMEDOUT, "the cgroup did not %s within 2 s", frozen ? "freeze" : "thaw");
	/* SOLUTION END: return lab_todo(err, 5, __func__); */
}

int cg_remove(const char *path, bool *out_oom, err_t *err)
{
	/* SOLUTION BEGIN */
	*out_oom = false;
	_cleanup_close_ int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : err_sys(err, "open %s", path);
	*out_oom = cg_read_key(fd, "memory.events", "oom_kill") > 0;
	/* A process left behind (an exec'd one, say) goes now; then the kernel lets us rmdir once
	 * the last one has exited ("populated 0"). */
	for (int tries = 0; tries < 1000; tries++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return err_sys(err, "rmdir %s", path);
		if (tries == 0)
			cg_write(fd, "cgroup.kill", "1", err);
		pause_ms(2);
	}
	return err_sys(err, "rmdir %s", path);
	/* SOLUTION END: return lab_todo(err, 5, __func__); */
}

/* SOLUTION BEGIN */
/* Write "0 FIRST COUNT" to /proc/PID/NAME. */
static int write_map(pid_t pid, const char *name, uint32_t first, uint32_t count)
{
	char path[64], line[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	int len = snprintf(line, sizeof(line), "0 %u %u\n", (unsigned)first, (unsigned)count);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	return fd >= 0 && write(fd, line, (size_t)len) == len ? 0 : -1;
}
/* SOLUTION END */

int userns_enter(const struct userns_map *m, err_t *err)
{
	/* SOLUTION BEGIN */
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	pid_t parent = getpid(), helper = fork();
	if (helper < 0) {
		close(go[0]);
		close(go[1]);
		return err_sys(err, "fork");
	}
	if (helper == 0) {
		/* The helper: wait until the namespace exists (a byte, or EOF if unshare failed). */
		char byte;
		close(go[1]);
		if (read(go[0], &byte, 1) != 1)
			_exit(1);
		_exit(write_map(parent, "uid_map", m->uid, m->count) < 0 || write_map(parent, "gid_map", m->gid, m->count) < 0);
	}
	close(go[0]);
	int rc = unshare(CLONE_NEWUSER) < 0 ? err_sys(err, "unshare a user namespace") : 0;
	if (rc == 0 && write(go[1], "u", 1) != 1)
		rc = err_sys(err, "tell the helper");
	close(go[1]);
	int status;
	while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		rc = err_msg(err, EPERM, "write the maps of the user namespace (0 %u %u)", (unsigned)m->uid,
			     (unsigned)m->count);
	return rc < 0 ? -1 : userns_become_root(err);
	/* SOLUTION END: return lab_todo(err, 5, __func__); */
}
