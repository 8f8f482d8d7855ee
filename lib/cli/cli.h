/*
 * cli.h - minidock's command-line front end (main.c, cli.c and one cmd_*.c per command).
 *
 * `minidock [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]`: main() finds COMMAND in a table and
 * calls its handler, one small cmd_*.c file per command, in the style of Docker's CLI. A
 * handler parses its options into a plain struct, calls the library (and the lab functions),
 * and turns the result into output and an exit status. It is the only code that prints an
 * error: once, as "minidock: MESSAGE".
 */
#ifndef MINIDOCK_CLI_H
#define MINIDOCK_CLI_H

#include <jansson.h>

#include "err.h"

/* What every command gets besides its arguments. */
struct cli_ctx {
	const char *root; /* the state directory: --root, else $MINIDOCK_ROOT, else /var/lib/minidock */
};

struct command {
	const char *name;
	const char *usage;   /* "[OPTIONS] --rootfs DIR CMD [ARG...]" */
	const char *summary; /* one line for `minidock help` */
	const char *help;    /* the options, for `minidock COMMAND --help` */
	int (*run)(int argc, char **argv, const struct cli_ctx *ctx);
};

/* Exit statuses of the command line (lib/errors.md has the whole rule, after Docker's CLI). */
#define EXIT_ARGS_ERROR 1 /* the wrong number of arguments; an object that does not exist */

/* A bad flag or flag value: print "minidock CMD: MESSAGE" and the hint to use --help on stderr;
 * return 125, as Docker's CLI does for a flag it cannot parse. */
int cli_usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print cmd's usage and help text on stdout; return 0. */
/* The wrong number of arguments: the same message, and 1, as Docker's CLI. */
int cli_args_error(const struct command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int cli_help(const struct command *cmd);

/* Print "minidock: " and err's message on stderr; return err's exit status (125 if none). */
int cli_fail(const err_t *err);

/* Print each element of list through the Go template format (template.h), one line each, as
 * `docker inspect -f FORMAT` does. */
int cli_print_format(const char *format, const json_t *list, err_t *err);

/* The commands (each defined in its cmd_*.c file). */
extern const struct command cmd_run, cmd_create, cmd_start, cmd_ps, cmd_inspect, cmd_logs, cmd_exec;
extern const struct command cmd_stop, cmd_kill, cmd_rm, cmd_wait, cmd_restart, cmd_container;
extern const struct command cmd_image, cmd_network, cmd_port, cmd_system;
extern const struct command cmd_images, cmd_rmi, cmd_tag, cmd_load, cmd_rename, cmd_top, cmd_cp;
extern const struct command cmd_pause, cmd_unpause;

#endif
