/*
 * cmd_logs.c - `minidock logs`: what a container wrote, from its json-file log.
 *
 * The monitor (lab 4) appends one JSON object per line of output to ROOT/containers/ID/
 * ID-json.log: {"log":"hello\n","stream":"stdout","time":"..."}. This prints each entry's text
 * back on the stream it came from, so `logs c 2>/dev/null` shows only what c wrote to stdout.
 * With -f it goes on reading as the log grows, until the container's monitor is gone; the
 * log file stays readable through the open descriptor even when `rm -f` removes it meanwhile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "json.h"

static int logs_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_logs = {
	.name = "logs",
	.usage = "[OPTIONS] CONTAINER",
	.summary = "Print a container's output",
	.help = "Options:\n"
		"  -f, --follow       go on printing new output until the container stops\n"
		"  -t, --timestamps   put each line's time (RFC 3339, nanoseconds) in front of it\n"
		"  -n, --tail N       only the last N lines (default: all)\n"
		"      --help         print this help\n",
	.run = logs_main,
};

/* Print one log line (one JSON object) on the stream it names. */
static void print_entry(const char *line, size_t len, bool timestamps)
{
	json_error_t jerr;
	_cleanup_json_ json_t *entry = json_loadb(line, len, 0, &jerr);
	const char *text = json_str(entry, "log"), *stream = json_str(entry, "stream");

	if (!text || !stream)
		return; /* not an entry (a line cut by a full disk): skipped, as Docker does */
	FILE *out = strcmp(stream, "stderr") == 0 ? stderr : stdout;
	if (timestamps)
		fprintf(out, "%s ", json_str(entry, "time") ? json_str(entry, "time") : "");
	fwrite(text, 1, json_string_length(json_object_get(entry, "log")), out);
	fflush(out);
}

/* Print the complete lines of buf[0..*len), keep the last partial one; returns lines printed.
 * skip: lines to pass over first (for --tail). */
static size_t print_lines(char *buf, size_t *len, size_t *skip, bool timestamps)
{
	size_t start = 0, printed = 0;

	for (size_t i = 0; i < *len; i++) {
		if (buf[i] != '\n')
			continue;
		if (*skip > 0)
			(*skip)--;
		else {
			print_entry(buf + start, i - start, timestamps);
			printed++;
		}
		start = i + 1;
	}
	memmove(buf, buf + start, *len - start);
	*len -= start;
	return printed;
}

static int logs_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "timestamps", no_argument, NULL, 't' },
		{ "tail", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	bool follow = false, timestamps = false;
	long tail = -1;
	int opt;

	while ((opt = getopt_long(argc, argv, ":ftn:", options, NULL)) != -1) {
		char *end;
		switch (opt) {
		case 'f': follow = true; break;
		case 't': timestamps = true; break;
		case 'n':
			if (strcmp(optarg, "all") == 0) {
				tail = -1;
				break;
			}
			errno = 0;
			tail = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || tail < 0)
				return cli_usage_error(&cmd_logs, "invalid value \"%s\" for --tail: a number or \"all\"",
						       optarg);
			break;
		case 'H': return cli_help(&cmd_logs);
		case ':': return cli_usage_error(&cmd_logs, "flag needs an argument: %s", argv[optind - 1]);
		default: return cli_usage_error(&cmd_logs, "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_args_error(&cmd_logs, "requires exactly 1 argument");

	struct container c;
	err_t err;
	if (ctr_load(ctx->root, argv[optind], &c, &err) < 0) {
		cli_fail(&err);
		return 1;
	}
	const char *path = json_str(c.doc, "LogPath");
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		err_sys(&err, "open %s", path);
		ctr_release(&c);
		cli_fail(&err);
		return 1;
	}
	/* --tail N: count the lines first, then skip all but the last N. */
	size_t skip = 0, len = 0;
	static char buf[1 << 16];
	if (fd >= 0 && tail >= 0) {
		size_t lines = 0;
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < n; i++)
				lines += buf[i] == '\n';
		skip = lines > (size_t)tail ? lines - (size_t)tail : 0;
		lseek(fd, 0, SEEK_SET);
	}
	for (;;) {
		ssize_t n = fd >= 0 ? read(fd, buf + len, sizeof(buf) - len) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0) {
			len += (size_t)n;
			print_lines(buf, &len, &skip, timestamps);
			if (len == sizeof(buf)) /* one entry larger than the buffer: not ours, drop it */
				len = 0;
			continue;
		}
		/* At the end of what is written: done, unless following a container that runs.
		 * Its monitor writes the last lines before it goes, so one more read after that. */
		if (!follow)
			break;
		bool alive = ctr_monitor_alive(&c);
		if (fd < 0)
			fd = open(path, O_RDONLY | O_CLOEXEC);
		if (!alive) {
			follow = false;
			continue;
		}
		struct timespec pause = { 0, 20000000 };
		nanosleep(&pause, NULL);
	}
	ctr_release(&c);
	return 0;
}
