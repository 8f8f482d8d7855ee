/*
 * cmd_registry.c - `minidock pull`, `push`, `login` and `logout`: images to and from a registry
 * (lab 12). The protocol is lib/engine/registry.c and labs/12-registry.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "fsutil.h"
#include "registry.h"

static int pull_main(int argc, char **argv, const struct cli_ctx *ctx);
static int push_main(int argc, char **argv, const struct cli_ctx *ctx);
static int login_main(int argc, char **argv, const struct cli_ctx *ctx);
static int logout_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_pull = {
	.name = "pull",
	.usage = "[OPTIONS] NAME[:TAG|@DIGEST]",
	.summary = "Download an image from a registry",
	.help = "Options:\n"
		"  -q, --quiet   print only the image's name\n"
		"A name with a registry (localhost:5000/team/app) is pulled from it; plain HTTP is used for\n"
		"localhost, 127.0.0.0/8 and the \"insecure-registries\" of ROOT/daemon.json, HTTPS otherwise.\n",
	.run = pull_main,
};

const struct command cmd_push = {
	.name = "push",
	.usage = "[OPTIONS] NAME[:TAG]",
	.summary = "Upload an image to a registry",
	.help = "Options:\n"
		"  -q, --quiet   print nothing but errors\n",
	.run = push_main,
};

const struct command cmd_login = {
	.name = "login",
	.usage = "[OPTIONS] [SERVER]",
	.summary = "Log in to a registry",
	.help = "Options:\n"
		"  -u, --username USER    the user (asked on a terminal when not given)\n"
		"  -p, --password PASS    the password (visible to every user of `ps`: prefer the next)\n"
		"      --password-stdin   read the password from stdin\n"
		"The credentials are kept in $HOME/.minidock/config.json (mode 0600), as Docker's.\n",
	.run = login_main,
};

const struct command cmd_logout = {
	.name = "logout",
	.usage = "[SERVER]",
	.summary = "Log out from a registry",
	.help = "",
	.run = logout_main,
};

/* -q or --quiet alone, then one argument: its index, or a usage error's status (negative). */
static int quiet_and_one(const struct command *cmd, int argc, char **argv, bool *quiet)
{
	static const struct option options[] = {
		{ "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'H' }, { 0 },
	};
	int opt;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+q", options, NULL)) != -1) {
		if (opt == 'q')
			*quiet = true;
		else if (opt == 'H')
			return -cli_help(cmd) - 1000;
		else
			return -cli_usage_error(cmd, "unknown flag");
	}
	if (argc - optind != 1)
		return -cli_args_error(cmd, "\"%s\" requires exactly 1 argument.", cmd->name);
	return optind;
}

static int pull_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	bool quiet = false;
	int at = quiet_and_one(&cmd_pull, argc, argv, &quiet);
	if (at < 0)
		return at <= -1000 ? 0 : -at;
	char root[PATH_MAX], id[DIGEST_LEN + 1];
	err_t err;
	if (cli_state_dir(ctx, root, &err) < 0 || img_pull(root, argv[at], stdout, quiet, id, &err) < 0)
		return cli_fail(&err);
	if (quiet)
		printf("%s\n", argv[at]);
	return 0;
}

static int push_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	bool quiet = false;
	int at = quiet_and_one(&cmd_push, argc, argv, &quiet);
	if (at < 0)
		return at <= -1000 ? 0 : -at;
	char root[PATH_MAX];
	err_t err;
	if (cli_state_dir(ctx, root, &err) < 0 || img_push(root, argv[at], stdout, quiet, &err) < 0)
		return cli_fail(&err);
	return 0;
}

/* A line from stdin, its end cut; echo off on a terminal when secret. */
static int read_line(const char *prompt, bool secret, char *out, size_t size)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO);
	if (prompt && tty)
		fprintf(stderr, "%s", prompt);
	if (secret && tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	char *got = fgets(out, (int)size, stdin);
	if (secret && tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fprintf(stderr, "\n");
	}
	if (!got)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static int login_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "username", required_argument, NULL, 'u' }, { "password", required_argument, NULL, 'p' },
		{ "password-stdin", no_argument, NULL, 'S' }, { "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	char user[256] = "", password[512] = "", root[PATH_MAX];
	bool from_stdin = false, given = false;
	int opt;
	err_t err;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+u:p:", options, NULL)) != -1) {
		switch (opt) {
		case 'u': snprintf(user, sizeof(user), "%s", optarg); break;
		case 'p':
			snprintf(password, sizeof(password), "%s", optarg);
			given = true;
			break;
		case 'S': from_stdin = true; break;
		case 'H': return cli_help(&cmd_login);
		default: return cli_usage_error(&cmd_login, "unknown flag");
		}
	}
	if (argc - optind > 1)
		return cli_args_error(&cmd_login, "\"login\" requires at most 1 argument.");
	const char *host = argc - optind == 1 ? argv[optind] : "docker.io";
	if (strncmp(host, "http://", 7) == 0 || strncmp(host, "https://", 8) == 0)
		host = strstr(host, "://") + 3; /* a URL names its host */
	if (given && from_stdin)
		return cli_usage_error(&cmd_login, "--password and --password-stdin are mutually exclusive");
	if (given)
		fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
	if (from_stdin && !*user)
		return cli_usage_error(&cmd_login, "Must provide --username with --password-stdin");
	if (!*user && read_line("Username: ", false, user, sizeof(user)) < 0)
		return cli_usage_error(&cmd_login, "no user name given");
	if (!given && read_line(from_stdin ? NULL : "Password: ", true, password, sizeof(password)) < 0)
		return cli_usage_error(&cmd_login, "no password given");
	int rc = cli_state_dir(ctx, root, &err) < 0 || reg_login(root, host, user, password, &err) < 0 ? -1 : 0;
	explicit_bzero(password, sizeof(password));
	if (rc < 0)
		return cli_fail(&err);
	printf("Login Succeeded\n");
	return 0;
}

static int logout_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	if (argc > 2)
		return cli_args_error(&cmd_logout, "\"logout\" requires at most 1 argument.");
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return cli_help(&cmd_logout);
	const char *host = argc == 2 ? argv[1] : "docker.io";
	err_t err;
	if (reg_logout(host, &err) < 0) {
		if (err.code != ENOENT)
			return cli_fail(&err);
		printf("Not logged in to %s\n", host); /* as Docker: not an error */
		return 0;
	}
	printf("Removing login credentials for %s\n", host);
	return 0;
}
