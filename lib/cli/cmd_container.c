/*
 * cmd_container.c - `minidock stop`, `kill`, `rm`, `wait`, `restart` and `container ...`.
 *
 * Each takes one or more containers, does its work on each (going on after one fails, as
 * Docker does), prints each name as it was given, and exits 1 when any failed.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "fsutil.h"
#include "json.h"
#include "volume.h"
#include "lifecycle.h"
#include "lock.h"
#include "network.h"
#include "ov_net.h"

static int stop_main(int argc, char **argv, const struct cli_ctx *ctx);
static int kill_main(int argc, char **argv, const struct cli_ctx *ctx);
static int rm_main(int argc, char **argv, const struct cli_ctx *ctx);
static int wait_main(int argc, char **argv, const struct cli_ctx *ctx);
static int restart_main(int argc, char **argv, const struct cli_ctx *ctx);
static int container_main(int argc, char **argv, const struct cli_ctx *ctx);
static int rename_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_stop = {
	.name = "stop",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Stop running containers (SIGTERM, then SIGKILL after a grace period)",
	.help = "Options:\n"
		"  -t, --time N      seconds to wait before SIGKILL (default 10; -1: forever)\n"
		"  -s, --signal SIG  signal to send first (default SIGTERM)\n"
		"      --help        print this help\n",
	.run = stop_main,
};

const struct command cmd_kill = {
	.name = "kill",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Send a signal to running containers",
	.help = "Options:\n"
		"  -s, --signal SIG  the signal, by name (HUP, SIGHUP) or number (default KILL)\n"
		"      --help        print this help\n",
	.run = kill_main,
};

const struct command cmd_rm = {
	.name = "rm",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Remove containers",
	.help = "Options:\n"
		"  -f, --force   remove running containers too (killed first)\n"
		"      --help    print this help\n",
	.run = rm_main,
};

const struct command cmd_wait = {
	.name = "wait",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Wait for containers to stop, then print their exit codes",
	.help = "Options:\n      --help   print this help\n",
	.run = wait_main,
};

const struct command cmd_restart = {
	.name = "restart",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Stop, then start containers again",
	.help = "Options:\n"
		"  -t, --time N   seconds to wait for the stop before SIGKILL (default 10)\n"
		"      --help     print this help\n",
	.run = restart_main,
};

const struct command cmd_rename = {
	.name = "rename",
	.usage = "CONTAINER NEW_NAME",
	.summary = "Rename a container",
	.help = "",
	.run = rename_main,
};

const struct command cmd_container = {
	.name = "container",
	.usage = "COMMAND",
	.summary = "Manage containers",
	.help = "Commands:\n"
		"  ls [-a] [-q]        list containers (as 'minidock ps')\n"
		"  prune [-f]          remove all stopped containers\n"
		"  (and `minidock system prune [-f]`: stopped containers and unused networks)\n"
		"  create, start, run, stop, kill, rm, wait, restart, logs, exec, inspect, rename, top,\n"
		"  cp, pause, unpause, update, stats: as the top-level commands\n",
	.run = container_main,
};

/* A signal by name ("HUP", "SIGHUP") or number; 0 when it is neither. */
static int parse_signal(const char *text)
{
	static const struct {
		const char *name;
		int number;
	} names[] = {
		{ "HUP", SIGHUP },   { "INT", SIGINT },     { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },   { "TERM", SIGTERM }, { "CONT", SIGCONT },
		{ "STOP", SIGSTOP }, { "WINCH", SIGWINCH }, { "ALRM", SIGALRM }, { "PIPE", SIGPIPE },
	};
	char *end;
	long number = strtol(text, &end, 10);

	if (*text && !*end)
		return number > 0 && number < NSIG ? (int)number : 0;
	if (strncasecmp(text, "SIG", 3) == 0)
		text += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(text, names[i].name) == 0)
			return names[i].number;
	return 0;
}

/* The grace period of -t: a whole number of seconds, -1 for forever. */
static int parse_timeout(const struct command *cmd, const char *text, int *out)
{
	char *end;
	long value = strtol(text, &end, 10);

	if (!*text || *end || value < -1 || value > 86400 * 365)
		return cli_usage_error(cmd, "invalid value \"%s\" for -t: seconds, or -1", text);
	*out = (int)value;
	return 0;
}

static int stop_or_restart(int argc, char **argv, const struct cli_ctx *ctx, bool restart)
{
	static const struct option options[] = {
		{ "time", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 't' },
		{ "signal", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	const struct command *cmd = restart ? &cmd_restart : &cmd_stop;
	int timeout = CTR_STOP_TIMEOUT, sig = SIGTERM, opt, status = 0;

	while ((opt = getopt_long(argc, argv, restart ? ":t:" : ":t:s:", options, NULL)) != -1) {
		if (opt == 't') {
			if (parse_timeout(cmd, optarg, &timeout) != 0)
				return EXIT_MINIDOCK_ERROR;
		} else if (opt == 's') {
			/* Docker's daemon refuses it, not the CLI's flag parser: exit 1. */
			if (!(sig = parse_signal(optarg)))
				return fprintf(stderr, "minidock: invalid signal: %s\n", optarg), EXIT_ARGS_ERROR;
		} else if (opt == 'H') {
			return cli_help(cmd);
		} else if (opt == ':') {
			return cli_usage_error(cmd, "flag needs an argument: %s", argv[optind - 1]);
		} else {
			return cli_usage_error(cmd, "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_args_error(cmd, "requires at least 1 argument");
	for (int i = optind; i < argc; i++) {
		struct container c = { .doc = NULL };
		err_t err;
		pid_t monitor, pid;
		struct ctr_io io = { .tty = false, .tty_master = -1 };
		if (ctr_load(ctx->root, argv[i], &c, &err) < 0 || ctr_mark_stopped(&c, &err) < 0 ||
		    ctr_stop(&c, sig, timeout, &err) < 0 ||
		    (restart && (ctr_reload(&c, &err) < 0 || ctr_start(&c, &io, &monitor, &pid, &err) < 0))) {
			cli_fail(&err);
			status = 1;
		} else {
			printf("%s\n", argv[i]);
		}
		if (c.doc)
			ctr_release(&c);
	}
	return status;
}

static int stop_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	return stop_or_restart(argc, argv, ctx, false);
}

static int restart_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	return stop_or_restart(argc, argv, ctx, true);
}

static int kill_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "signal", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	int sig = SIGKILL, opt, status = 0;

	while ((opt = getopt_long(argc, argv, ":s:", options, NULL)) != -1) {
		if (opt == 's') {
			if (!(sig = parse_signal(optarg)))
				return fprintf(stderr, "minidock: invalid signal: %s\n", optarg), EXIT_ARGS_ERROR;
		} else if (opt == 'H') {
			return cli_help(&cmd_kill);
		} else if (opt == ':') {
			return cli_usage_error(&cmd_kill, "flag needs an argument: %s", argv[optind - 1]);
		} else {
			return cli_usage_error(&cmd_kill, "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_args_error(&cmd_kill, "requires at least 1 argument");
	for (int i = optind; i < argc; i++) {
		struct container c = { .doc = NULL };
		err_t err;
		if (ctr_load(ctx->root, argv[i], &c, &err) < 0) {
			cli_fail(&err);
			status = 1;
			continue;
		}
		/* The state says which PID 1 runs while its monitor, which would write its end, lives. */
		if (!ctr_monitor_alive(&c) || ctr_pid(&c) <= 0) {
			fprintf(stderr, "minidock: cannot kill container %s: container %s is not running\n", argv[i],
				c.id);
			status = 1;
		} else if ((sig == SIGKILL || sig == SIGTERM) && ctr_mark_stopped(&c, &err) < 0) {
			cli_fail(&err); /* as Docker: a container killed by hand is not restarted */
			status = 1;
		} else if (kill(ctr_pid(&c), sig) < 0) {
			err_sys(&err, "cannot kill container %s", argv[i]);
			cli_fail(&err);
			status = 1;
		} else {
			printf("%s\n", argv[i]);
		}
		ctr_release(&c);
	}
	return status;
}

static int rm_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "volumes", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	bool force = false, volumes = false;
	int opt, status = 0;

	while ((opt = getopt_long(argc, argv, ":fv", options, NULL)) != -1) {
		if (opt == 'f')
			force = true;
		else if (opt == 'v')
			volumes = true;
		else if (opt == 'H')
			return cli_help(&cmd_rm);
		else
			return cli_usage_error(&cmd_rm, "unknown flag: %s", argv[optind - 1]);
	}
	if (optind == argc)
		return cli_args_error(&cmd_rm, "requires at least 1 argument");
	for (int i = optind; i < argc; i++) {
		struct container c = { .doc = NULL };
		err_t err;
		if (ctr_load_any(ctx->root, argv[i], &c, &err) < 0 || ctr_remove(&c, force, &err) < 0) {
			cli_fail(&err);
			status = 1;
		} else {
			if (volumes)
				ctr_volume_release(c.root, c.doc); /* its anonymous volumes */
			printf("%s\n", argv[i]);
		}
		if (c.doc)
			ctr_release(&c);
	}
	return status;
}

static int wait_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	int opt, status = 0;

	while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (opt == 'H')
			return cli_help(&cmd_wait);
		return cli_usage_error(&cmd_wait, "unknown flag: %s", argv[optind - 1]);
	}
	if (optind == argc)
		return cli_args_error(&cmd_wait, "requires at least 1 argument");
	for (int i = optind; i < argc; i++) {
		struct container c = { .doc = NULL };
		err_t err;
		if (ctr_load(ctx->root, argv[i], &c, &err) < 0) {
			cli_fail(&err);
			status = 1;
			continue;
		}
		ctr_wait_monitor(&c, -1);
		if (ctr_reload(&c, &err) < 0) { /* removed (--rm) as it ended */
			cli_fail(&err);
			status = 1;
		} else {
			printf("%lld\n", (long long)json_integer_value(
						 json_object_get(json_object_get(c.doc, "State"), "ExitCode")));
		}
		if (c.doc)
			ctr_release(&c);
	}
	return status;
}

/* `container prune`: remove every container that does not run, and the remains of commands
 * killed while they made or removed one (the dot-directories). */
static int prune(int argc, char **argv, const struct cli_ctx *ctx)
{
	bool force = argc > 1 && (strcmp(argv[1], "-f") == 0 || strcmp(argv[1], "--force") == 0);
	struct container *list;
	size_t n;
	err_t err;

	if (argc > (force ? 2 : 1))
		return cli_usage_error(&cmd_container, "prune: usage: minidock container prune [-f]");
	if (!force && !cli_confirm("This will remove all stopped containers."))
		return 0;
	if (ctr_list(ctx->root, &list, &n, &err) < 0)
		return cli_fail(&err);
	printf("Deleted Containers:\n");
	for (size_t i = 0; i < n; i++) {
		if (ctr_monitor_alive(&list[i]))
			continue;
		if (ctr_remove(&list[i], false, &err) == 0)
			printf("%s\n", list[i].id);
	}
	ctr_free_list(list, n);

	char path[PATH_MAX];
	_cleanup_close_ int lock = -1;
	snprintf(path, sizeof(path), "%s/containers", ctx->root);
	if (lock_state(ctx->root, &lock, &err) == 0) {
		/* Under the lock no command is making or removing one: a dot-directory is debris. */
		DIR *dir = opendir(path);
		struct dirent *de;
		while (dir && (de = readdir(dir))) {
			if (strncmp(de->d_name, ".new-", 5) != 0 && strncmp(de->d_name, ".rm-", 4) != 0)
				continue;
			char debris[PATH_MAX + 300];
			snprintf(debris, sizeof(debris), "%s/%s", path, de->d_name);
			fs_remove_tree(debris, &err);
		}
		if (dir)
			closedir(dir);
	}
	printf("\nTotal reclaimed space: 0B\n");
	return 0;
}

static int system_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_system = {
	.name = "system",
	.usage = "prune [-f]",
	.summary = "Remove stopped containers and the networks no container uses",
	.help = "Options:\n  -f, --force   do not ask\n",
	.run = system_main,
};

/* `system prune`: what `container prune` removes, then every user network left unused. */
static int system_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	bool force = argc > 2 && (strcmp(argv[2], "-f") == 0 || strcmp(argv[2], "--force") == 0);

	if (argc > 1 && strcmp(argv[1], "--help") == 0)
		return cli_help(&cmd_system);
	if (argc < 2 || strcmp(argv[1], "prune") != 0 || argc > (force ? 3 : 2))
		return cli_usage_error(&cmd_system, "usage: minidock system prune [-f]");
	if (!force && !cli_confirm("This will remove all stopped containers and all networks not used by "
				   "at least one container."))
		return 0;
	char *prune_argv[] = { "prune", "-f", NULL };
	int status = prune(2, prune_argv, ctx);
	_cleanup_json_ json_t *store = NULL;
	err_t err;
	const char *name;
	json_t *net;
	if (net_store_read(ctx->root, &store, &err) < 0)
		return cli_fail(&err), 1;
	printf("Deleted Networks:\n");
	json_object_foreach(store, name, net) {
		if (strcmp(name, NET_DEFAULT) == 0 || strcmp(name, "host") == 0 || strcmp(name, "none") == 0 ||
		    json_object_size(json_object_get(net, "Containers")) > 0)
			continue;
		json_t *gone = NULL;
		if (net_remove(ctx->root, name, &gone, &err) == 0 && net_remove_devices(gone, &err) == 0)
			printf("%s\n", name);
		json_decref(gone);
	}
	return status;
}

static int container_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct {
		const char *name;
		const struct command *cmd;
	} subcommands[] = {
		{ "ls", &cmd_ps },       { "ps", &cmd_ps },         { "list", &cmd_ps },   { "create", &cmd_create },
		{ "start", &cmd_start }, { "run", &cmd_run },       { "stop", &cmd_stop }, { "kill", &cmd_kill },
		{ "rm", &cmd_rm },       { "remove", &cmd_rm },     { "wait", &cmd_wait }, { "restart", &cmd_restart },
		{ "logs", &cmd_logs },   { "exec", &cmd_exec },     { "inspect", &cmd_inspect }, { "rename", &cmd_rename },
		{ "top", &cmd_top },     { "cp", &cmd_cp },         { "pause", &cmd_pause }, { "unpause", &cmd_unpause },
		{ "update", &cmd_update }, { "stats", &cmd_stats },
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0)
		return cli_help(&cmd_container);
	if (strcmp(argv[1], "prune") == 0)
		return prune(argc - 1, argv + 1, ctx);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (strcmp(argv[1], subcommands[i].name) == 0) {
			optind = 0;
			return subcommands[i].cmd->run(argc - 1, argv + 1, ctx);
		}
	}
	return cli_usage_error(&cmd_container, "unknown command \"%s\"", argv[1]);
}

static int rename_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	struct container c = { .doc = NULL };
	err_t err;

	if (argc > 1 && argv[1][0] == '-')
		return cli_usage_error(&cmd_rename, "unknown flag: %s", argv[1]);
	if (argc != 3)
		return cli_args_error(&cmd_rename, "requires exactly 2 arguments");
	if (ctr_load(ctx->root, argv[1], &c, &err) < 0)
		return cli_fail(&err), EXIT_ARGS_ERROR;
	int status = 0;
	if (ctr_rename(&c, argv[2], &err) < 0 || net_rename(c.root, c.id, argv[2], &err) < 0 ||
	    ov_rename_endpoints(c.root, c.id, argv[2], &err) < 0)
		status = (cli_fail(&err), EXIT_ARGS_ERROR);
	ctr_release(&c);
	return status;
}
