/*
 * probe.c - the escape attempts of stage 5, one system call each, run inside a container.
 *
 *	probe NAME...
 *
 * For each NAME, makes the system call an attacker would and prints "NAME ok" when the kernel
 * let it through, or "NAME denied: ERRNO-TEXT" when it refused. Exits 0 when every one got
 * through, 1 otherwise. Each attempt is harmless when it succeeds (in the grader's VM): it reads,
 * or sets a value to what it was, or asks for nothing that stays.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/swap.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long try_clock_settime(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return clock_settime(CLOCK_REALTIME, &now);
}

static long try_keyctl(void)
{
	return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0);
}

/* The 32-bit entry (int 0x80, i386 numbers): a filter must cover it too, and let 32-bit
 * programs make their ordinary calls. */
static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static long try_keyctl_int80(void)
{
	return int80(288 /* i386 keyctl */, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0);
}

static long try_getpid_int80(void)
{
	return int80(20 /* i386 getpid */, 0, 0, 0);
}

static long try_bpf(void)
{
	union bpf_attr attr = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 1 };
	return syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
}

static long try_perf_event_open(void)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(attr),
					.config = PERF_COUNT_SW_CPU_CLOCK, .disabled = 1, .exclude_kernel = 1 };
	return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

static long try_userfaultfd(void)
{
	return syscall(SYS_userfaultfd, O_CLOEXEC);
}

static long try_open_by_handle_at(void)
{
	/* A made-up handle: allowed, the kernel says ESTALE or EINVAL; forbidden, EPERM. */
	struct {
		struct file_handle h;
		unsigned char bytes[8];
	} handle = { .h = { .handle_bytes = 8, .handle_type = 1 } };
	long rc = syscall(SYS_open_by_handle_at, AT_FDCWD, &handle.h, O_RDONLY);
	return rc < 0 && errno != EPERM ? 0 : rc;
}

static long try_acct(void)
{
	return acct(NULL); /* turn accounting off: it was off */
}

static long try_swapoff(void)
{
	long rc = swapoff("/no-such-swap-file");
	return rc < 0 && errno == ENOENT ? 0 : rc; /* ENOENT: the kernel looked, so it was allowed */
}

static long try_unshare_user(void)
{
	return unshare(CLONE_NEWUSER);
}

static long try_unshare_mount(void)
{
	return unshare(CLONE_NEWNS);
}

static long try_mount(void)
{
	mkdir("/tmp/probe-mnt", 0700);
	long rc = mount("none", "/tmp/probe-mnt", "tmpfs", 0, NULL);
	if (rc == 0)
		umount("/tmp/probe-mnt");
	return rc;
}

static long try_syslog(void)
{
	char buf[64];
	return syscall(SYS_syslog, 3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf));
}

static long try_personality(void)
{
	return personality(ADDR_NO_RANDOMIZE); /* turns address randomisation off */
}

static long try_clone_newns(void)
{
	/* clone() with a namespace flag, as unshare(1) --fork does. */
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid < 0 ? -1 : 0;
}

static long try_sethostname(void)
{
	char name[64];
	gethostname(name, sizeof(name));
	return sethostname(name, strlen(name));
}

static const struct {
	const char *name;
	long (*attempt)(void);
} probes[] = {
	{ "clock_settime", try_clock_settime }, { "keyctl", try_keyctl },
	{ "bpf", try_bpf },                     { "perf_event_open", try_perf_event_open },
	{ "userfaultfd", try_userfaultfd },     { "open_by_handle_at", try_open_by_handle_at },
	{ "acct", try_acct },                   { "swapoff", try_swapoff },
	{ "unshare_user", try_unshare_user },   { "unshare_mount", try_unshare_mount },
	{ "mount", try_mount },                 { "syslog", try_syslog },
	{ "personality", try_personality },     { "clone_newns", try_clone_newns },
	{ "sethostname", try_sethostname },
	{ "keyctl_int80", try_keyctl_int80 },   { "getpid_int80", try_getpid_int80 },
};

int main(int argc, char **argv)
{
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		size_t p = 0;
		while (p < sizeof(probes) / sizeof(probes[0]) && strcmp(probes[p].name, argv[i]) != 0)
			p++;
		if (p == sizeof(probes) / sizeof(probes[0])) {
			fprintf(stderr, "probe: unknown attempt %s\n", argv[i]);
			return 2;
		}
		errno = 0;
		if (probes[p].attempt() < 0) {
			printf("%s denied: %s\n", argv[i], strerror(errno));
			failed = 1;
		} else {
			printf("%s ok\n", argv[i]);
		}
	}
	return failed;
}
