/*
 * cli.c - what every command's handler shares: usage errors, help, printing an error.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
