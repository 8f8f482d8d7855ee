/*
 * cli.c - what every command's handler shares: usage errors, help, printing an error, tables.
 */
#include "cli.h"
#include "fsutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "security.h"

#include "template.h"

/* "minidock CMD: MESSAGE" and the hint to use --help, on stderr. */
static void print_usage(const struct command *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "minidock %s: ", cmd->name);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nSee 'minidock %s --help'.\n", cmd->name);
}

int cli_usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_usage(cmd, fmt, ap);
	va_end(ap);
	return EXIT_MINIDOCK_ERROR;
}

int cli_args_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_usage(cmd, fmt, ap);
	va_end(ap);
	return EXIT_ARGS_ERROR;
}

int cli_parse_limit(const struct command *cmd, int opt, const char *text, struct cg_limits *l)
{
	int64_t value = 0;
	char *end;

	switch (opt) {
	case 'm': case 'W': case 'M':
		/* --memory-swap -1: unlimited swap. */
		if (opt == 'W' && strcmp(text, "-1") == 0)
			value = -1;
		else if (parse_size(text, &value) < 0)
			return cli_usage_error(cmd, "invalid size: \"%s\" (a number with b, k, m or g)", text);
		*(opt == 'm' ? &l->memory : opt == 'W' ? &l->memory_swap : &l->memory_reservation) = value;
		return 0;
	case 'C':
		if (parse_cpus(text, &l->nano_cpus) < 0)
			return cli_usage_error(cmd, "invalid argument \"%s\" for \"--cpus\": a positive number", text);
		return 0;
	case 'U':
		if (!*text || strspn(text, "0123456789,-") != strlen(text) || strlen(text) >= sizeof(l->cpuset_cpus))
			return cli_usage_error(cmd, "invalid value %s for cpuset cpus", text);
		snprintf(l->cpuset_cpus, sizeof(l->cpuset_cpus), "%s", text);
		return 0;
	}
	errno = 0;
	long long number = strtoll(text, &end, 10);
	if (!*text || *end || errno)
		return cli_usage_error(cmd, "invalid argument \"%s\": not an integer", text);
	if (opt == 'c')
		l->cpu_shares = number;
	else if (opt == 'L')
		l->pids_limit = number > 0 ? number : -1; /* 0 or -1: unlimited */
	else
		l->blkio_weight = number;
	return 0;
}

int cli_parse_restart(const struct command *cmd, const char *text, const char **name, long *max)
{
	char *end = NULL;

	*name = text;
	*max = 0;
	if (strncmp(text, "on-failure:", 11) == 0) {
		errno = 0;
		*max = strtol(text + 11, &end, 10);
		if (!text[11] || *end || *max < 0 || errno)
			return cli_usage_error(cmd, "invalid restart policy: maximum retry count \"%s\"", text + 11);
		*name = "on-failure";
	} else if (strcmp(text, "no") != 0 && strcmp(text, "always") != 0 && strcmp(text, "unless-stopped") != 0 &&
		   strcmp(text, "on-failure") != 0) {
		return cli_usage_error(cmd, "invalid restart policy \"%s\": no, always, unless-stopped or on-failure[:N]",
				       text);
	}
	return 0;
}

bool cli_confirm(const char *warning)
{
	char answer[16] = "";

	fprintf(stderr, "WARNING! %s\nAre you sure you want to continue? [y/N] ", warning);
	return fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

int cli_help(const struct command *cmd)
{
	printf("Usage:  minidock %s %s\n\n%s\n\n%s", cmd->name, cmd->usage, cmd->summary, cmd->help);
	return 0;
}

int cli_fail(const err_t *err)
{
	fprintf(stderr, "minidock: %s\n", err->msg);
	return err->status ? err->status : EXIT_MINIDOCK_ERROR;
}

int cli_print_format(const char *format, const json_t *list, err_t *err)
{
	size_t i;
	json_t *item;

	json_array_foreach(list, i, item) {
		char *text;
		if (tmpl_render(format, item, &text, err) < 0)
			return -1;
		puts(text);
		free(text);
	}
	return 0;
}

/* Docker's tabwriter (minimum width 10, padding 3): the cells of each line (split at tabs)
 * padded to their column's width; "…" is 3 bytes but one column wide. */
static void print_table(char *const *lines, size_t n)
{
	size_t width[32] = { 0 };

	for (int pass = 0; pass < 2; pass++) {
		for (size_t r = 0; r < n; r++) {
			char *line = lines[r];
			for (size_t col = 0; col < 32; col++) {
				size_t len = strcspn(line, "\t");
				char saved = line[len];
				line[len] = '\0';
				size_t w = len - (strstr(line, "…") ? 2 : 0);
				line[len] = saved;
				bool last = saved != '\t';
				/* Docker's tabwriter: a cell and 3 spaces, at least 10 columns. */
				if (pass == 0 && !last && w + 3 > width[col])
					width[col] = w + 3 < 10 ? 10 : w + 3;
				if (pass == 1)
					printf("%.*s%*s", (int)len, line, last ? 0 : (int)(width[col] - w), "");
				if (last)
					break;
				line += len + 1;
			}
			if (pass == 1)
				putchar('\n');
		}
	}
}

int cli_print_rows(const char *format, const json_t *header, const json_t *rows, err_t *err)
{
	/* Docker's format strings spell a tab and a new line \t and \n, in any shell quoting. */
	_cleanup_free_ char *unescaped = strdup(format);
	if (!unescaped)
		return err_msg(err, ENOMEM, "out of memory");
	for (char *from = unescaped, *to = unescaped;; from++, to++) {
		if (from[0] == '\\' && (from[1] == 't' || from[1] == 'n'))
			*to = *++from == 't' ? '\t' : '\n';
		else
			*to = *from;
		if (!*from)
			break;
	}
	bool table = strncmp(unescaped, "table", 5) == 0;
	const char *tmpl = table ? unescaped + 5 + strspn(unescaped + 5, " ") : unescaped;
	/* Every line first (the header's too), to size the columns. The header is rendered even
	 * when it is not shown: a bad template fails with no rows too. */
	size_t n = json_array_size(rows) + 1, n_lines = 0;
	char **lines = calloc(n, sizeof(char *));
	int rc = lines ? tmpl_render(tmpl, header, &lines[0], err) : err_msg(err, ENOMEM, "out of memory");
	if (rc == 0 && table)
		n_lines++;
	else if (lines)
		free(lines[0]);
	for (size_t i = 0; rc == 0 && i + 1 < n; i++) {
		rc = tmpl_render(tmpl, json_array_get(rows, i), &lines[n_lines], err);
		n_lines += rc == 0;
	}
	if (rc == 0 && table)
		print_table(lines, n_lines);
	else if (rc == 0)
		for (size_t i = 0; i < n_lines; i++)
			puts(lines[i]);
	for (size_t i = 0; i < n_lines; i++)
		free(lines[i]);
	free(lines);
	return rc;
}

int cli_state_dir(const struct cli_ctx *ctx, char root[PATH_MAX], err_t *err)
{
	if (fs_mkdir_p(ctx->root, 0711, err) < 0 || !realpath(ctx->root, root))
		return err_sys(err, "state directory %s", ctx->root);
	return 0;
}
