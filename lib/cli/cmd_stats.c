/*
 * cmd_stats.c - `minidock stats`: what containers use, read from their cgroups, as `docker stats`.
 *
 * Every number comes from a file the kernel keeps (course.md, chapter 5):
 *
 *	CPU %              cpu.stat's usage_usec, twice a second apart: the time used over the time
 *	                   passed (100% is one CPU; two busy CPUs show 200%)
 *	MEM USAGE / LIMIT  memory.current less memory.stat's inactive_file (page cache the kernel
 *	                   would drop first, which Docker leaves out too) / memory.max, or the
 *	                   host's memory when there is no limit
 *	NET I/O            bytes received / sent by the container's interfaces but lo
 *	                   (/proc/PID/net/dev, read in the container's network namespace)
 *	BLOCK I/O          io.stat's rbytes / wbytes, summed over the devices
 *	PIDS               pids.current
 *
 * Without --no-stream the table is drawn again every second until interrupted (Ctrl-C).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "json.h"
#include "security.h"

static int stats_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_stats = {
	.name = "stats",
	.usage = "[OPTIONS] [CONTAINER...]",
	.summary = "Display a live stream of containers' resource usage",
	.help = "Options:\n"
		"  -a, --all        show every container (default: the running ones)\n"
		"      --no-stream  print the numbers once and exit\n"
		"      --no-trunc   show whole ids\n"
		"      --format T   print each through the Go template T ({{.Name}} {{.CPUPerc}}\n"
		"                   {{.MemUsage}} {{.MemPerc}} {{.NetIO}} {{.BlockIO}} {{.PIDs}});\n"
		"                   \"table T\" for columns with a header\n"
		"      --help       print this help\n",
	.run = stats_main,
};

#define STATS_TABLE                                                                                   \
	"table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t" \
	"{{.PIDs}}"

/* One reading of one container's counters. */
struct sample {
	bool running;  /* its PID 1 runs */
	bool cgroup;   /* it has a cgroup (cgroup v2) */
	int64_t when_us, cpu_us;
	int64_t memory, memory_limit, pids;
	int64_t net_rx, net_tx, block_read, block_write;
};

/* A container being shown: how to name it, and its last two readings. */
struct shown {
	char ref[CTR_ID_LEN + 1]; /* what the user typed, or the id */
	struct container c;
	struct sample before, now;
};

static int64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* The first integer after "key " on a line of a flat-keyed file (cpu.stat, memory.stat,
 * /proc/meminfo's "MemTotal:"); -1 when it is not there. */
static int64_t keyed_value(const char *text, const char *key)
{
	size_t len = strlen(key);
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (strncmp(line, key, len) == 0 && (line[len] == ' ' || line[len] == '\t'))
			return strtoll(line + len, NULL, 10);
	return -1;
}

/* A file of the cgroup dir_fd, in buf (cut to its size). False when it cannot be read. */
static bool read_at(int dir_fd, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	return n >= 0;
}

/* The host's memory in bytes (the limit of a container without one). */
static int64_t host_memory(void)
{
	char text[4096];
	_cleanup_close_ int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	int64_t kib = keyed_value(text, "MemTotal:");
	return kib > 0 ? kib * 1024 : 0;
}

/* Bytes received and sent through every interface of pid's network namespace but lo. */
static void read_net(pid_t pid, struct sample *s)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");

	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue; /* the two lines of titles */
		*colon = '\0';
		if (strcmp(line + strspn(line, " "), "lo") == 0)
			continue;
		/* receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes ... */
		unsigned long long v[9];
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
			   &v[5], &v[6], &v[7], &v[8]) == 9) {
			s->net_rx += (int64_t)v[0];
			s->net_tx += (int64_t)v[8];
		}
	}
}

/* io.stat: a line per device, "MAJ:MIN rbytes=N wbytes=N rios=N ...". */
static void read_io(const char *text, struct sample *s)
{
	for (const char *p = text; (p = strstr(p, "bytes=")) != NULL; p += 6) {
		if (p > text && p[-1] == 'r')
			s->block_read += strtoll(p + 6, NULL, 10);
		else if (p > text && p[-1] == 'w')
			s->block_write += strtoll(p + 6, NULL, 10);
	}
}

/* Read c's counters now. */
static void take_sample(struct container *c, struct sample *s)
{
	char path[PATH_MAX], text[8192];

	memset(s, 0, sizeof(*s));
	s->when_us = now_us();
	s->running = ctr_monitor_alive(c) && ctr_pid(c) > 0;
	if (!s->running)
		return;
	read_net(ctr_pid(c), s);
	ctr_cgroup_path(c->id, path);
	_cleanup_close_ int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !read_at(fd, "memory.current", text, sizeof(text)))
		return;
	s->cgroup = true;
	s->memory = strtoll(text, NULL, 10);
	if (read_at(fd, "memory.stat", text, sizeof(text))) {
		int64_t inactive = keyed_value(text, "inactive_file");
		if (inactive > 0 && inactive < s->memory)
			s->memory -= inactive;
	}
	s->memory_limit = read_at(fd, "memory.max", text, sizeof(text)) && strncmp(text, "max", 3) != 0
				  ? strtoll(text, NULL, 10)
				  : host_memory();
	if (read_at(fd, "cpu.stat", text, sizeof(text)))
		s->cpu_us = keyed_value(text, "usage_usec");
	if (read_at(fd, "pids.current", text, sizeof(text)))
		s->pids = strtoll(text, NULL, 10);
	if (read_at(fd, "io.stat", text, sizeof(text)))
		read_io(text, s);
}

/* A size as Docker's go-units writes it: divided by base while it is that large, printed with
 * precision significant digits: "1.523MiB" (binary, 4 digits) or "1.2kB" (decimal, 3). */
static void size_text(char *out, size_t size, double value, bool binary)
{
	static const char *const binary_units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	static const char *const decimal_units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double base = binary ? 1024 : 1000;
	size_t unit = 0;

	while (value >= base && unit < 5) {
		value /= base;
		unit++;
	}
	snprintf(out, size, "%.*g%s", binary ? 4 : 3, value, (binary ? binary_units : decimal_units)[unit]);
}

/* The row of one container, with Docker's fields. */
static json_t *stats_row(const struct shown *s, bool no_trunc)
{
	const struct sample *a = &s->before, *b = &s->now;
	const char *name = json_str(s->c.doc, "Name");
	char cpu[32] = "--", mem_pct[32] = "--", pids[32] = "--", mem[64] = "-- / --", net[64], block[64];
	char x[24], y[24];

	if (!b->running || b->cgroup) {
		int64_t elapsed = b->when_us - a->when_us, used = b->cpu_us - a->cpu_us;
		double pct = elapsed > 0 && used > 0 && a->running ? 100.0 * (double)used / (double)elapsed : 0;
		snprintf(cpu, sizeof(cpu), "%.2f%%", pct);
		size_text(x, sizeof(x), (double)b->memory, true);
		size_text(y, sizeof(y), (double)b->memory_limit, true);
		snprintf(mem, sizeof(mem), "%s / %s", x, y);
		snprintf(mem_pct, sizeof(mem_pct), "%.2f%%",
			 b->memory_limit > 0 ? 100.0 * (double)b->memory / (double)b->memory_limit : 0.0);
		snprintf(pids, sizeof(pids), "%" PRId64, b->pids);
	}
	size_text(x, sizeof(x), (double)b->net_rx, false);
	size_text(y, sizeof(y), (double)b->net_tx, false);
	snprintf(net, sizeof(net), "%s / %s", x, y);
	size_text(x, sizeof(x), (double)b->block_read, false);
	size_text(y, sizeof(y), (double)b->block_write, false);
	snprintf(block, sizeof(block), "%s / %s", x, y);
	return json_pack("{s:s, s:s, s:s%, s:s, s:s, s:s, s:s, s:s, s:s}", "Container", s->ref, "Name",
			 name && *name ? name + 1 : "", "ID", s->c.id, (size_t)(no_trunc ? CTR_ID_LEN : 12), "CPUPerc",
			 cpu, "MemUsage", mem, "MemPerc", mem_pct, "NetIO", net, "BlockIO", block, "PIDs", pids);
}

static json_t *stats_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Container", "CONTAINER", "Name", "NAME",
			 "ID", "CONTAINER ID", "CPUPerc", "CPU %", "MemUsage", "MEM USAGE / LIMIT", "MemPerc", "MEM %",
			 "NetIO", "NET I/O", "BlockIO", "BLOCK I/O", "PIDs", "PIDS");
}

/* The containers to show: those named, or every running one (every one with all), each with a
 * first reading. Refs that name nothing are reported; *out_missing says if one did. */
static int choose(const char *root, char **refs, int n_refs, bool all, struct shown **out, size_t *out_n,
		  bool *out_missing)
{
	struct container *list = NULL;
	size_t n = 0;
	err_t err;

	*out_missing = false;
	if (n_refs == 0 && ctr_list(root, &list, &n, &err) < 0)
		return cli_fail(&err), -1;
	struct shown *shown = calloc(n_refs ? (size_t)n_refs : n + 1, sizeof(*shown));
	size_t count = 0;
	if (!shown) {
		ctr_free_list(list, n);
		return -1;
	}
	for (int i = 0; i < n_refs; i++) {
		if (ctr_load(root, refs[i], &shown[count].c, &err) < 0) {
			cli_fail(&err);
			*out_missing = true;
			continue;
		}
		snprintf(shown[count++].ref, sizeof(shown->ref), "%s", refs[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (!all && !ctr_monitor_alive(&list[i]))
			continue;
		shown[count].c = list[i];
		list[i].doc = NULL; /* now shown's */
		snprintf(shown[count].ref, sizeof(shown->ref), "%.12s", list[i].id);
		count++;
	}
	ctr_free_list(list, n);
	for (size_t i = 0; i < count; i++)
		take_sample(&shown[i].c, &shown[i].now);
	*out = shown;
	*out_n = count;
	return 0;
}

static void release(struct shown *shown, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctr_release(&shown[i].c);
	free(shown);
}

static int stats_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "all", no_argument, NULL, 'a' },       { "no-stream", no_argument, NULL, 'S' },
		{ "no-trunc", no_argument, NULL, 'T' },  { "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'H' },      { 0 },
	};
	bool all = false, stream = true, no_trunc = false;
	const char *format = STATS_TABLE;
	int opt;

	while ((opt = getopt_long(argc, argv, ":a", options, NULL)) != -1) {
		if (opt == 'a')
			all = true;
		else if (opt == 'S')
			stream = false;
		else if (opt == 'T')
			no_trunc = true;
		else if (opt == 'F')
			format = optarg;
		else if (opt == 'H')
			return cli_help(&cmd_stats);
		else if (opt == ':')
			return cli_usage_error(&cmd_stats, "flag needs an argument: %s", argv[optind - 1]);
		else
			return cli_usage_error(&cmd_stats, "unknown flag: %s", argv[optind - 1]);
	}

	_cleanup_json_ json_t *header = stats_header();
	bool tty = isatty(STDOUT_FILENO), missing;
	struct shown *shown = NULL;
	size_t n = 0;
	int status = 0;
	if (!header || choose(ctx->root, argv + optind, argc - optind, all, &shown, &n, &missing) < 0)
		return EXIT_MINIDOCK_ERROR;
	if (missing && (!stream || n == 0)) {
		release(shown, n);
		return EXIT_ARGS_ERROR;
	}
	for (;;) {
		/* A second between two readings: CPU % is the time used in it. */
		sleep(1);
		_cleanup_json_ json_t *rows = json_array();
		for (size_t i = 0; rows && i < n; i++) {
			shown[i].before = shown[i].now;
			ctr_reload(&shown[i].c, &(err_t){ 0 }); /* it may have stopped: its state says */
			take_sample(&shown[i].c, &shown[i].now);
			json_array_append_new(rows, stats_row(&shown[i], no_trunc));
		}
		err_t err;
		if (stream && tty)
			fputs("\033[2J\033[H", stdout); /* clear the screen, as Docker's live table */
		if (!rows || cli_print_rows(format, header, rows, &err) < 0) {
			status = rows ? cli_fail(&err) : EXIT_MINIDOCK_ERROR;
			break;
		}
		fflush(stdout);
		if (!stream)
			break;
		if (argc == optind) {
			/* Every running container: the ones started since appear, the ended ones go. */
			release(shown, n);
			if (choose(ctx->root, NULL, 0, all, &shown, &n, &missing) < 0)
				return EXIT_MINIDOCK_ERROR;
		}
	}
	release(shown, n);
	return status;
}
