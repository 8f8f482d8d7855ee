/*
 * main.c - main(): global options, the table of commands, `minidock help`.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

#define MINIDOCK_VERSION "0.1.0"
#define DEFAULT_ROOT "/var/lib/minidock"

static const struct command *const commands[] = {
	&cmd_run,   &cmd_create, &cmd_start, &cmd_ps,   &cmd_logs,    &cmd_exec,      &cmd_stop,
	&cmd_kill,  &cmd_rm,     &cmd_wait,  &cmd_restart, &cmd_inspect, &cmd_container, &cmd_image, &cmd_network, &cmd_port, &cmd_system,
	&cmd_images, &cmd_rmi,   &cmd_tag,   &cmd_load, &cmd_rename, &cmd_top, &cmd_cp, &cmd_pause, &cmd_unpause, &cmd_build, &cmd_commit, &cmd_history, &cmd_save, &cmd_pull, &cmd_push, &cmd_login, &cmd_logout, &cmd_daemon,
	&cmd_update, &cmd_stats, &cmd_volume,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_main_help(FILE *out)
{
	fprintf(out, "Usage:  minidock [OPTIONS] COMMAND\n\n"
		     "A small container runtime, built lab by lab (see course.md).\n\n"
		     "Options:\n"
		     "      --root DIR   state directory (default $MINIDOCK_ROOT, else %s)\n"
		     "  -D, --debug      trace what minidock does on stderr\n"
		     "  -h, --help       print this help\n"
		     "  -v, --version    print the version\n\n"
		     "Commands:\n",
		DEFAULT_ROOT);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "  %-10s %s\n  %-10s %s\n\nRun 'minidock COMMAND --help' for more on a command.\n",
		"help", "Print this help, or a command's", "version", "Print the version");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option global_options[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "debug", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ 0 },
	};
	struct cli_ctx ctx = { .root = getenv("MINIDOCK_ROOT") };
	int opt;

	/* An ignored SIGCHLD is inherited across execve (a server that reaps its children that
	 * way, busybox's nc -e, passes it on): the kernel would then reap our children itself and
	 * never say they ended, and `exec`, `run` and the monitor would wait for ever. */
	signal(SIGCHLD, SIG_DFL);
	if (getenv("MINIDOCK_DEBUG") && strcmp(getenv("MINIDOCK_DEBUG"), "0") != 0)
		log_debug_enabled = true;
	opterr = 0;
	/* minidockd (a link to minidock): the engine's daemon, its options all its own. */
	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (strcmp(self, "minidockd") == 0) {
		ctx.root = ctx.root && *ctx.root ? ctx.root : DEFAULT_ROOT;
		return cmd_daemon.run(argc, argv, &ctx);
	}
	/* "+": stop at the command name; its own options are the command's to parse. */
	while ((opt = getopt_long(argc, argv, "+Dhv", global_options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			if (!*optarg) {
				fprintf(stderr, "minidock: --root: the state directory cannot be empty\n");
				return EXIT_MINIDOCK_ERROR;
			}
			ctx.root = optarg;
			break;
		case 'D':
			log_debug_enabled = true;
			break;
		case 'h':
			print_main_help(stdout);
			return 0;
		case 'v':
			printf("minidock version %s\n", MINIDOCK_VERSION);
			return 0;
		default:
			fprintf(stderr, "minidock: unknown flag: %s\nSee 'minidock --help'.\n",
				argv[optind - 1]);
			return EXIT_MINIDOCK_ERROR;
		}
	}
	if (!ctx.root || !*ctx.root)
		ctx.root = DEFAULT_ROOT;
	if (optind == argc) {
		print_main_help(stdout);
		return 0;
	}

	const char *name = argv[optind];
	if (strcmp(name, "version") == 0) {
		printf("minidock version %s\n", MINIDOCK_VERSION);
		return 0;
	}
	if (strcmp(name, "help") == 0) {
		if (optind + 1 == argc) {
			print_main_help(stdout);
			return 0;
		}
		const struct command *cmd = find_command(argv[optind + 1]);
		if (!cmd) {
			fprintf(stderr, "minidock: '%s' is not a minidock command.\nSee 'minidock --help'.\n",
				argv[optind + 1]);
			return 1;
		}
		return cli_help(cmd);
	}
	const struct command *cmd = find_command(name);
	if (!cmd) {
		fprintf(stderr, "minidock: '%s' is not a minidock command.\nSee 'minidock --help'.\n", name);
		return 1;
	}
	/* `minidock CMD --help` for every command, whatever its own parsing does. */
	if (optind + 1 < argc && (strcmp(argv[optind + 1], "--help") == 0 || strcmp(argv[optind + 1], "-h") == 0) &&
	    cmd != &cmd_image && cmd != &cmd_network && cmd != &cmd_container && cmd != &cmd_system)
		return cli_help(cmd);
	/* The handler sees argv[0] = the command name, as a program of its own would, and
	 * parses its options with a fresh getopt (optind = 0 resets glibc's getopt fully). */
	int first = optind;
	optind = 0;
	opterr = 0;
	return cmd->run(argc - first, argv + first, &ctx);
}
