/*
 * cmd_run.c - `minidock run`: start a command in a container and wait for it.
 *
 * This file only turns flags into a struct run_spec and the result into an exit status; the
 * work is done by the lab functions of process.h (lab 1).
 */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "cli.h"
#include "process.h"

static int run_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_run = {
	.name = "run",
	.usage = "[OPTIONS] --rootfs DIR [--] COMMAND [ARG...]",
	.summary = "Run a command in a new container",
	.help = "Options:\n"
		"      --rootfs DIR        directory to use as the container's root file system\n"
		"  -h, --hostname NAME     container host name (default: a random id)\n"
		"  -e, --env K=V           set an environment variable (K alone: copy minidock's)\n"
		"  -w, --workdir DIR       working directory inside the container (default /)\n"
		"      --read-only         mount the container's root file system read-only\n"
		"      --tmpfs DIR         mount a tmpfs on DIR (absolute) inside the container\n"
		"      --help              print this help\n",
	.run = run_main,
};

/* A short random id, as Docker's default host name: 12 hex digits. */
static int random_hostname(char out[13], err_t *err)
{
	unsigned char bytes[6];

	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
		return err_sys(err, "getrandom");
	for (size_t i = 0; i < sizeof(bytes); i++)
		sprintf(out + 2 * i, "%02x", bytes[i]);
	return 0;
}

/* RFC 1123 host name: labels of letters, digits and '-', split by '.', at most 63 bytes. */
static int valid_hostname(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 63 || name[0] == '-' || name[0] == '.' || name[len - 1] == '.')
		return 0;
	for (const char *p = name; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    *p != '-' && *p != '.')
			return 0;
	return 1;
}

static int run_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "rootfs", required_argument, NULL, 'R' },
		{ "hostname", required_argument, NULL, 'h' },
		{ "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "read-only", no_argument, NULL, 'O' },
		{ "tmpfs", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	const char *rootfs = NULL, *hostname = NULL, *workdir = "/";
	/* -e and --tmpfs may repeat: there are never more of them than arguments. */
	_cleanup_free_ char **user_env = calloc((size_t)argc + 1, sizeof(char *));
	_cleanup_free_ char **tmpfs = calloc((size_t)argc + 1, sizeof(char *));
	size_t n_env = 0, n_tmpfs = 0;
	bool readonly = false;
	int opt;

	(void)ctx;
	if (!user_env || !tmpfs)
		return EXIT_MINIDOCK_ERROR;
	/* "+": the first word that is not an option is the command; the rest is its own. */
	while ((opt = getopt_long(argc, argv, "+:h:e:w:", options, NULL)) != -1) {
		switch (opt) {
		case 'R':
			rootfs = optarg;
			break;
		case 'h':
			hostname = optarg;
			break;
		case 'e':
			user_env[n_env++] = optarg;
			break;
		case 'w':
			workdir = optarg;
			break;
		case 'O':
			readonly = true;
			break;
		case 'T':
			if (optarg[0] != '/')
				return cli_usage_error(&cmd_run, "--tmpfs %s: the path must be absolute", optarg);
			tmpfs[n_tmpfs++] = optarg;
			break;
		case 'H':
			return cli_help(&cmd_run);
		case ':':
			return cli_usage_error(&cmd_run, "flag needs an argument: %s", argv[optind - 1]);
		default:
			return cli_usage_error(&cmd_run, "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (!rootfs)
		return cli_usage_error(&cmd_run, "--rootfs DIR is required (images come in lab 3)");
	if (optind == argc)
		return cli_usage_error(&cmd_run, "requires a command to run");
	if (hostname && !valid_hostname(hostname))
		return cli_usage_error(&cmd_run, "invalid hostname \"%s\"", hostname);
	if (workdir[0] != '/')
		return cli_usage_error(&cmd_run,
				       "the working directory \"%s\" is invalid, it needs to be an absolute path",
				       workdir);

	err_t err;
	char root[PATH_MAX];
	struct stat st;
	if (!realpath(rootfs, root) || stat(root, &st) < 0) {
		err_sys(&err, "rootfs \"%s\"", rootfs);
		return cli_fail(&err);
	}
	if (!S_ISDIR(st.st_mode)) {
		err_set(&err, ENOTDIR, "rootfs \"%s\"", rootfs);
		return cli_fail(&err);
	}
	char random_name[13];
	if (!hostname) {
		if (random_hostname(random_name, &err) < 0)
			return cli_fail(&err);
		hostname = random_name;
	}

	_cleanup_strv_ char **env = NULL;
	if (proc_environ(hostname, user_env, &env, &err) < 0)
		return cli_fail(&err);
	struct run_spec spec = {
		.rootfs = root,
		.hostname = hostname,
		.argv = argv + optind,
		.env = env,
		.workdir = workdir,
		.readonly = readonly,
		.tmpfs = tmpfs,
	};
	pid_t pid;
	int status;
	if (proc_spawn(&spec, &pid, &err) < 0)
		return cli_fail(&err);
	if (proc_wait(pid, &status, &err) < 0)
		return cli_fail(&err);
	return status;
}
