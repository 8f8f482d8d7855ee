/*
 * cmd_top.c - `minidock top CONTAINER`: the container's processes, as the host sees them.
 *
 * Docker runs the host's `ps -ef` and keeps the lines of the container's processes. minidock
 * reads /proc itself: a process is the container's when its PID namespace is that of the
 * container's PID 1 (/proc/PID/ns/pid names the same namespace). The columns are ps -ef's.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "fsutil.h"
#include "json.h"

static int top_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_top = {
	.name = "top",
	.usage = "CONTAINER",
	.summary = "Show the running processes of a container",
	.help = "",
	.run = top_main,
};

/* The identity of pid's PID namespace, or 0. */
static ino_t pid_ns(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* When the machine booted, in seconds since the epoch. */
static time_t boot_time(void)
{
	struct timespec now, up;
	clock_gettime(CLOCK_REALTIME, &now);
	clock_gettime(CLOCK_BOOTTIME, &up);
	return now.tv_sec - up.tv_sec;
}

/* One line of ps -ef for process pid: UID PID PPID C STIME TTY TIME CMD. */
static void print_process(pid_t pid, time_t booted, long ticks)
{
	char path[64];
	_cleanup_free_ char *stat_text = NULL;
	_cleanup_free_ char *cmdline = NULL;
	size_t cmd_len = 0;
	err_t ignored;
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (fs_read_file(path, 4096, &stat_text, NULL, &ignored) < 0 || stat(path, &st) < 0)
		return; /* gone meanwhile */
	/* "PID (comm) S PPID PGRP SESSION TTY_NR TPGID FLAGS 4 counts UTIME STIME 4 more STARTTIME" */
	char *comm_end = strrchr(stat_text, ')');
	char *comm = strchr(stat_text, '(');
	if (!comm_end || !comm)
		return;
	*comm_end = '\0';
	int ppid = 0, tty_nr = 0;
	unsigned long long utime = 0, stime = 0, start = 0;
	sscanf(comm_end + 2, "%*c %d %*d %*d %d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu", &ppid,
	       &tty_nr, &utime, &stime, &start);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (fs_read_file(path, 4096, &cmdline, &cmd_len, &ignored) == 0)
		for (size_t i = 0; i + 1 < cmd_len; i++)
			if (cmdline[i] == '\0')
				cmdline[i] = ' ';
	struct passwd *pw = getpwuid(st.st_uid);
	char user[32], tty[32], started[16], cpu[16];
	snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "");
	if (!pw)
		snprintf(user, sizeof(user), "%u", (unsigned)st.st_uid);
	/* tty_nr: major 136-143 are the pty slaves, /dev/pts/N. */
	int major = (tty_nr >> 8) & 0xfff, minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
	if (tty_nr == 0)
		snprintf(tty, sizeof(tty), "?");
	else if (major >= 136 && major <= 143)
		snprintf(tty, sizeof(tty), "pts/%d", (major - 136) * 256 + minor);
	else
		snprintf(tty, sizeof(tty), "%d,%d", major, minor);
	time_t when = booted + (time_t)(start / (unsigned long long)ticks);
	struct tm tm;
	localtime_r(&when, &tm);
	strftime(started, sizeof(started), "%H:%M", &tm);
	unsigned long long seconds = (utime + stime) / (unsigned long long)ticks;
	snprintf(cpu, sizeof(cpu), "%02llu:%02llu:%02llu", seconds / 3600, seconds / 60 % 60, seconds % 60);
	printf("%-10s %-7d %-7d %-3d %-6s %-7s %-9s %s%s%s\n", user, (int)pid, ppid, 0, started, tty, cpu,
	       cmdline && cmd_len ? "" : "[", cmdline && cmd_len ? cmdline : comm + 1, cmdline && cmd_len ? "" : "]");
}

static int top_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	struct container c = { .doc = NULL };
	err_t err;

	if (argc > 1 && argv[1][0] == '-')
		return cli_usage_error(&cmd_top, "unknown flag: %s", argv[1]);
	if (argc != 2)
		return cli_args_error(&cmd_top, "requires exactly 1 argument");
	if (ctr_load(ctx->root, argv[1], &c, &err) < 0)
		return cli_fail(&err), EXIT_ARGS_ERROR;
	ino_t ns = ctr_monitor_alive(&c) && ctr_pid(&c) > 0 ? pid_ns(ctr_pid(&c)) : 0;
	if (!ns) {
		fprintf(stderr, "minidock: container %s is not running\n", json_str(c.doc, "Name") + 1);
		ctr_release(&c);
		return EXIT_ARGS_ERROR;
	}
	time_t booted = boot_time();
	long ticks = sysconf(_SC_CLK_TCK);
	printf("%-10s %-7s %-7s %-3s %-6s %-7s %-9s %s\n", "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD");
	DIR *proc = opendir("/proc");
	struct dirent *de;
	while (proc && (de = readdir(proc))) {
		pid_t pid = (pid_t)atoi(de->d_name);
		if (pid > 0 && pid_ns(pid) == ns)
			print_process(pid, booted, ticks > 0 ? ticks : 100);
	}
	if (proc)
		closedir(proc);
	ctr_release(&c);
	return 0;
}
