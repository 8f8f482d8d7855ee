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
#include <limits.h>
#include <stdbool.h>

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

/* Docker's prompt before a prune: "WARNING! " warning, "Are you sure...? [y/N]" on stderr; true
 * when the answer on stdin starts with y. */
bool cli_confirm(const char *warning);

/* The state directory (--root, $MINIDOCK_ROOT or /var/lib/minidock), made when missing, as an
 * absolute path into root. */
int cli_state_dir(const struct cli_ctx *ctx, char root[PATH_MAX], err_t *err);

/* Print "minidock: " and err's message on stderr; return err's exit status (125 if none). */
int cli_fail(const err_t *err);

/* Print each element of list through the Go template format (template.h), one line each, as
 * `docker inspect -f FORMAT` does. */
int cli_print_format(const char *format, const json_t *list, err_t *err);

/*
 * Print rows (a JSON array of objects) through format, a Go template (template.h) where \t
 * and \n stand for a tab and a new line. "table T": header (an object with the same keys,
 * the column titles) first, and the cells (split at tabs) padded into columns as Docker's
 * tabwriter does (3 spaces apart); otherwise one line per row and no header.
 */
int cli_print_rows(const char *format, const json_t *header, const json_t *rows, err_t *err);

/* --- flags that create/run and update share -------------------------------------------------- */

struct cg_limits;

/* Lab 5's resource flags for getopt_long() (the letters cli_parse_limit() takes), their help. */
#define CLI_LIMIT_OPTIONS                                                                                      \
	{ "memory", required_argument, NULL, 'm' }, { "memory-swap", required_argument, NULL, 'W' },            \
	{ "memory-reservation", required_argument, NULL, 'M' }, { "cpus", required_argument, NULL, 'C' },       \
	{ "cpu-shares", required_argument, NULL, 'c' }, { "cpuset-cpus", required_argument, NULL, 'U' },        \
	{ "pids-limit", required_argument, NULL, 'L' }, { "blkio-weight", required_argument, NULL, 'B' }
#define CLI_LIMIT_HELP                                                                      \
	"  -m, --memory SIZE       memory limit (\"32m\", \"1g\"; at least 6m)\n"              \
	"      --memory-swap SIZE  memory plus swap (-1: unlimited; default twice --memory)\n" \
	"      --memory-reservation SIZE  soft limit, below --memory\n"                        \
	"      --cpus N            CPUs the container may use (\"0.5\": half of one)\n"        \
	"  -c, --cpu-shares N      relative CPU weight (default 1024)\n"                        \
	"      --cpuset-cpus LIST  CPUs the container may run on (\"0-1\", \"0,2\")\n"        \
	"      --pids-limit N      at most N processes (-1: unlimited)\n"                      \
	"      --blkio-weight N    relative block I/O weight, 10 to 1000\n"

/* The value of resource flag opt (a letter of CLI_LIMIT_OPTIONS) into *l: 0, or a usage
 * error's status. */
int cli_parse_limit(const struct command *cmd, int opt, const char *text, struct cg_limits *l);

/* --restart's value, Docker's policies (no, always, unless-stopped, on-failure[:MAX]), into
 * *name and *max: 0, or a usage error's status. */
int cli_parse_restart(const struct command *cmd, const char *text, const char **name, long *max);

/* --- what commands share across files -------------------------------------------------------- */

struct build_opts;
/* build.h's build_run_fn (cmd_run.c): a RUN step's container, made and started as `run` makes
 * one (--network o->network, the image's Entrypoint dropped, env with -e), attached, not removed. */
int cli_build_run(const struct build_opts *o, const char *image_id, char *const argv[], char *const env[],
		  char ctr_id[65], err_t *err);

/* Freeze (paused) or thaw container ref, and write it down (cmd_pause.c). */
int cli_set_paused(const char *root, const char *ref, bool paused, err_t *err);

/* `image history` and `image save` (cmd_build.c), with argv[0] the subcommand. */
int cli_image_history(int argc, char **argv, const struct cli_ctx *ctx);
int cli_image_save(int argc, char **argv, const struct cli_ctx *ctx);

/* The commands (each defined in its cmd_*.c file). */
extern const struct command cmd_run, cmd_create, cmd_start, cmd_ps, cmd_inspect, cmd_logs, cmd_exec;
extern const struct command cmd_stop, cmd_kill, cmd_rm, cmd_wait, cmd_restart, cmd_container;
extern const struct command cmd_image, cmd_network, cmd_port, cmd_system;
extern const struct command cmd_images, cmd_rmi, cmd_tag, cmd_load, cmd_rename, cmd_top, cmd_cp;
extern const struct command cmd_pause, cmd_unpause, cmd_update, cmd_stats, cmd_volume;
extern const struct command cmd_build, cmd_commit, cmd_history, cmd_save;
extern const struct command cmd_pull, cmd_push, cmd_login, cmd_logout, cmd_daemon;

#endif
