/*
 * seccomp.c RUNS: what Docker's default seccomp profile costs a container start (make bench).
 *
 * Three numbers, each the median of RUNS, in microseconds, for Docker's default profile and
 * capabilities (what `minidock run busybox` gets):
 *   build   lab 5's seccomp_build(): libseccomp turns the profile into a BPF program
 *   cached  sec_filter_prepare() finding that program in ROOT/seccomp (every start but the first)
 *   load    the seccomp(2) call that installs it (ctr_confine(), in the container's process)
 * The load is timed in a child process made for it, which ends at once: nothing on this
 * machine is filtered, no container is made, no root is needed (no_new_privs allows it).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "confine.h"
#include "fsutil.h"
#include "security.h"

static long now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

static int by_value(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* Print the median and 10th-90th percentile of t (sorted here). */
static void report(const char *name, long *t, int n, const char *what)
{
	qsort(t, (size_t)n, sizeof(*t), by_value);
	printf("  %-7s %9.3f ms   %7.3f - %7.3f ms   %s\n", name, t[n / 2] / 1000.0, t[n / 10] / 1000.0,
	       t[n - 1 - n / 10] / 1000.0, what);
}

/* In a child: install the filter, send how long seccomp(2) took. */
static long time_load(const struct ctr_security *sec)
{
	int fds[2];
	long took = -1;

	if (pipe(fds) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		struct sock_fprog prog = { .len = sec->filter_len, .filter = sec->filter };
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		long start = now_us();
		long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
		long t = rc == 0 ? now_us() - start : -1;
		(void)!write(fds[1], &t, sizeof(t));
		_exit(0);
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &took, sizeof(took)) != sizeof(took))
		took = -1;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return took;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 20;
	char root[] = "/tmp/minidock-bench-seccomp.XXXXXX";
	long *build = calloc((size_t)runs, sizeof(long)), *cached = calloc((size_t)runs, sizeof(long)),
	     *load = calloc((size_t)runs, sizeof(long));
	struct ctr_security sec = { .seccomp = true, .caps = caps_docker_default, .profile = sec_default_profile,
				    .cgroup_fd = -1 };
	err_t err;

	if (runs < 1 || !build || !cached || !load || !mkdtemp(root)) {
		fprintf(stderr, "seccomp: usage: seccomp RUNS (a positive number)\n");
		return 2;
	}
	for (int i = 0; i < runs; i++) {
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		long start = now_us();
		int rc = seccomp_build(&sec.profile, sec.caps, fd, &err);
		build[i] = now_us() - start;
		close(fd);
		if (rc < 0) {
			fprintf(stderr, "seccomp: %s\n", err.msg);
			return 1;
		}
	}
	int failed = sec_filter_prepare(root, &sec, &err); /* the first: built and kept */
	for (int i = 0; !failed && i < runs; i++) {
		free(sec.filter);
		sec.filter = NULL;
		long start = now_us();
		failed = sec_filter_prepare(root, &sec, &err);
		cached[i] = now_us() - start;
	}
	for (int i = 0; !failed && i < runs; i++)
		if ((load[i] = time_load(&sec)) < 0)
			failed = err_msg(&err, EPERM, "the filter did not load");
	fs_remove_tree(root, &(err_t){ 0 });
	if (failed) {
		fprintf(stderr, "seccomp: %s\n", err.msg);
		return 1;
	}
	printf("Docker's default seccomp profile, %u instructions, %d runs each, on this machine\n",
	       sec.filter_len, runs);
	printf("  %-7s %12s   %22s\n", "", "median", "10th - 90th percentile");
	report("build", build, runs, "libseccomp, at the first start with a profile");
	report("cached", cached, runs, "read back from ROOT/seccomp, at every other start");
	report("load", load, runs, "seccomp(2), in the container's process");
	printf("  cached + load: %.3f ms (what a start pays; target: at most 1 ms)\n",
	       (cached[runs / 2] + load[runs / 2]) / 1000.0);
	return 0;
}
