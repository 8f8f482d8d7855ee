/*
 * shard.c - run a command in a machine of its own, inside the grader VM, so that two groups
 * of stage tests can run side by side without seeing each other. Built statically.
 *
 *	shard [--host-network] COMMAND [ARG...]
 *
 * COMMAND runs in new mount, network, PID, UTS and IPC namespaces, which look like a fresh
 * host: its own process table (/proc), its own empty /tmp, /run and /var/lib (so the default
 * state directory, /run/minidock and the tests' files are its own), its own interfaces (a
 * loopback, up) and
 * nftables tables, mounts shared among themselves as on the VM (a container that leaks a mount
 * shows it here) but in no peer group with another shard's.
 *
 * shard is PID 1 of the new PID namespace: it reaps every orphan (the tests' containers
 * and monitors end up its children) and exits with COMMAND's status once COMMAND ends.
 * (The runner reads what it needs of a shard through /proc/PID/root, or in files it names
 * outside these directories.)
 * Killing it kills everything in the shard, and the kernel then frees its namespaces:
 * interfaces, rules and mounts go with them.
 *
 * The shard's processes are counted in a cgroup of their own, /sys/fs/cgroup/grader-shard-PID,
 * at most SHARD_PIDS of them: a submission that forks forever meets that limit and leaves the
 * VM (its runner, the other shard) room to go on; the runner's time limit then stops the test.
 * (A container's processes are counted in the container's own cgroup, once minidock moves them.)
 * Its /proc is the new PID namespace's only: the VM's is unmounted there first, so that no test
 * can find the runner's processes under it (grader/vm/runner: what the submission cannot reach).
 *
 * --host-network keeps the VM's network namespace: the two-host stages (8, 9) need the VM's
 * own network cards, the LAN to host B (eth1) and the control link (ctl0). Their tests run one
 * at a time, so nothing sees another's interfaces.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#define SHARD_PIDS "1024"

static void die(const char *what)
{
	fprintf(stderr, "shard: %s: %s\n", what, strerror(errno));
	exit(125);
}

static void mount_or_die(const char *source, const char *target, const char *type,
			 unsigned long flags)
{
	if (mount(source, target, type, flags, NULL) != 0)
		die(target);
}

/* The loopback of a new network namespace starts down. */
static void loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
		die("lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
		die("lo up");
	close(fd);
}

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);

	if (fd >= 0)
		close(fd);
	return ok;
}

/* This process (and all it starts) into a cgroup of its own with a process limit. */
static void join_cgroup(void)
{
	char dir[64], file[96], pid[16];

	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+pids");
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/grader-shard-%d", (int)getpid());
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		die(dir);
	snprintf(file, sizeof(file), "%s/pids.max", dir);
	if (!write_file(file, SHARD_PIDS))
		die(file);
	snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (!write_file(file, pid))
		die(file);
}

static void make_host(bool own_network)
{
	/* Out of the VM's peer groups first, then shared again: a peer group of the shard's own. */
	mount_or_die(NULL, "/", NULL, MS_REC | MS_PRIVATE);
	/* The VM's /proc goes (not merely covered: unmounting the new one would show it again). */
	if (umount2("/proc", MNT_DETACH) != 0)
		die("umount /proc");
	mount_or_die("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mount_or_die("tmpfs", "/tmp", "tmpfs", 0);
	mount_or_die("tmpfs", "/run", "tmpfs", 0);
	mount_or_die("tmpfs", "/var/lib", "tmpfs", 0);
	mount_or_die(NULL, "/", NULL, MS_REC | MS_SHARED);
	if (own_network)
		loopback_up();
}

int main(int argc, char **argv)
{
	bool own_network = !(argc > 1 && strcmp(argv[1], "--host-network") == 0);
	if (!own_network) {
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: shard [--host-network] COMMAND [ARG...]\n");
		return 125;
	}
	join_cgroup();
	if (unshare(CLONE_NEWNS | (own_network ? CLONE_NEWNET : 0) | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC) != 0)
		die("unshare");

	/* The first child is PID 1 of the new PID namespace; this process only waits for it. */
	pid_t init = fork();
	if (init < 0)
		die("fork");
	if (init > 0) {
		int status;
		while (waitpid(init, &status, 0) < 0 && errno == EINTR)
			;
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}

	/* The shard dies with whoever started it (the runner kills that on a timeout). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	make_host(own_network);
	pid_t command = fork();
	if (command < 0)
		die("fork");
	if (command == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "shard: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	for (;;) {
		int status;
		pid_t pid = wait(&status);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid == command || pid < 0)
			return pid < 0 ? 125 : WIFEXITED(status) ? WEXITSTATUS(status)
							     : 128 + WTERMSIG(status);
	}
}
