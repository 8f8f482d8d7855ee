/* tests/class/forge.c: what a submission that tries to forge its results does (tests/class.bats
 * puts it into lab 1's proc_spawn, which every `minidock run` calls). Each attempt must fail or
 * be seen: grader/vm/runner says what stands in its way. */
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void forge_write(const char *path)
{
	static const char lines[] = "ok 1 the command's output reaches the terminal\n"
				    "tap 01 0 ok 1 the command's output reaches the terminal\n";
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, lines, sizeof(lines) - 1);
		close(fd);
	}
}

static void forge(void)
{
	/* Bats' TAP pipe (the runner's fifo, /grader-run/tap.N, the standard output of bats'
	 * processes), and any serial port a process holds, through /proc: root may open them. */
	DIR *proc = opendir("/proc");
	struct dirent *p;
	while (proc && (p = readdir(proc))) {
		char path[300], target[300];
		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/1", p->d_name);
		ssize_t len = readlink(path, target, sizeof(target) - 1);
		if (len > 0 && (target[len] = '\0', strncmp(target, "/grader-run/tap.", 16) == 0))
			forge_write(path);
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		DIR *fds = opendir(path);
		struct dirent *f;
		while (fds && (f = readdir(fds))) {
			char link[600];
			snprintf(link, sizeof(link), "%s/%s", path, f->d_name);
			ssize_t n = readlink(link, target, sizeof(target) - 1);
			if (n > 0 && (target[n] = '\0', strstr(target, "ttyS")))
				forge_write(link);
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	/* The results channel through a device node of its own. */
	mknod("/tmp/.forge-ttyS1", S_IFCHR | 0600, makedev(4, 65));
	forge_write("/tmp/.forge-ttyS1");
	/* The next stage's tests, made to pass. */
	glob_t g;
	if (glob("/grader/tests/02-*.bats", 0, NULL, &g) == 0) {
		int fd = open(g.gl_pathv[0], O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, "\n# forged\n", 10);
			close(fd);
		}
		globfree(&g);
	}
}
