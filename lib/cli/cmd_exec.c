/*
 * cmd_exec.c - `minidock exec`: one more process in a running container.
 *
 * Lab 4's ctr_exec() starts it inside the container's namespaces; this file builds its
 * environment (the container's, then -e) and waits for it, passing signals on (attach.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "json.h"
#include "lifecycle.h"
#include "security.h"

static int exec_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_exec = {
	.name = "exec",
	.usage = "[OPTIONS] CONTAINER COMMAND [ARG...]",
	.summary = "Run a command in a running container",
	.help = "Options:\n"
		"  -i, --interactive       keep stdin open\n"
		"  -t, --tty               give the command a terminal (a pty)\n"
		"  -e, --env K=V           set an environment variable for this command\n"
		"  -w, --workdir DIR       working directory (default: the container's)\n"
		"  -u, --user USER[:GROUP] run as this user (default: the container's)\n"
		"      --help              print this help\n",
	.run = exec_main,
};

/* env (malloc'd array of strings owned by the container's doc or by argv) with K=V set. */
static int env_set(const char **env, size_t *n, const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t key_len = eq ? (size_t)(eq - entry) : strlen(entry);

	if (key_len == 0)
		return -1;
	if (!eq) { /* -e K: minidock's own value of K, if any */
		char *value = getenv(entry);
		if (!value)
			return 0;
		entry = value - key_len - 1; /* getenv's value sits right after "K=" in environ */
	}
	for (size_t i = 0; i < *n; i++) {
		if (strncmp(env[i], entry, key_len) == 0 && env[i][key_len] == '=') {
			env[i] = entry;
			return 0;
		}
	}
	env[(*n)++] = entry;
	return 0;
}

static int exec_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "interactive", no_argument, NULL, 'i' }, { "tty", no_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' },   { "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },  { "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	_cleanup_free_ const char **user_env = calloc((size_t)argc + 1, sizeof(char *));
	const char *workdir = NULL, *user = NULL;
	bool interactive = false, tty = false;
	size_t n_user_env = 0;
	int opt;

	if (!user_env)
		return EXIT_MINIDOCK_ERROR;
	while ((opt = getopt_long(argc, argv, "+:ite:w:u:", options, NULL)) != -1) {
		switch (opt) {
		case 'i': interactive = true; break;
		case 't': tty = true; break;
		case 'e': user_env[n_user_env++] = optarg; break;
		case 'w': workdir = optarg; break;
		case 'u': user = optarg; break;
		case 'H': return cli_help(&cmd_exec);
		case ':': return cli_usage_error(&cmd_exec, "flag needs an argument: %s", argv[optind - 1]);
		default: return cli_usage_error(&cmd_exec, "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return cli_args_error(&cmd_exec, "requires at least 2 arguments");
	if (workdir && workdir[0] != '/')
		return cli_usage_error(&cmd_exec, "the working directory \"%s\" must be an absolute path", workdir);

	struct container c;
	err_t err;
	if (ctr_load(ctx->root, argv[optind], &c, &err) < 0)
		return cli_fail(&err), EXIT_ARGS_ERROR;
	const json_t *config = json_object_get(c.doc, "Config");
	if (json_is_true(json_object_get(json_object_get(c.doc, "State"), "Paused"))) {
		fprintf(stderr, "minidock: Container %s is paused, unpause the container before exec\n", c.id);
		ctr_release(&c);
		return EXIT_ARGS_ERROR;
	}
	struct ctr_security security = { .cgroup_fd = -1 };
	_cleanup_strv_ char **container_env = NULL;
	size_t n_env = 0, n_container = 0;
	int status = EXIT_MINIDOCK_ERROR;
	if (ctr_environ(&c, &container_env, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	while (container_env[n_container])
		n_container++;
	_cleanup_free_ const char **env = calloc(n_container + n_user_env + 2, sizeof(char *));
	if (!env)
		goto out;
	for (size_t i = 0; i < n_container; i++)
		env[n_env++] = container_env[i];
	/* Docker's exec -t: TERM=xterm, unless the container's environment (or -e) sets it. */
	bool has_term = false;
	for (size_t i = 0; i < n_env; i++)
		has_term = has_term || strncmp(env[i], "TERM=", 5) == 0;
	if (tty && !has_term)
		env[n_env++] = "TERM=xterm";
	for (size_t i = 0; i < n_user_env; i++) {
		if (env_set(env, &n_env, user_env[i]) < 0) {
			status = cli_usage_error(&cmd_exec, "invalid environment variable \"%s\"", user_env[i]);
			goto out;
		}
	}
	if (!user && json_str(config, "User") && *json_str(config, "User"))
		user = json_str(config, "User");
	if (!workdir)
		workdir = json_str(config, "WorkingDir") && *json_str(config, "WorkingDir") ? json_str(config, "WorkingDir")
											 : "/";

	_cleanup_close_ int master = -1;
	_cleanup_close_ int slave = -1;
	/* The container's own pty multiplexer (lab 2 mounts its /dev/pts), or the host's. */
	char ptmx[64];
	snprintf(ptmx, sizeof(ptmx), "/proc/%d/root/dev/pts/ptmx", (int)ctr_pid(&c));
	if (tty && attach_pty(ptmx, &master, &slave, &err) < 0 && attach_pty(NULL, &master, &slave, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	/* The container's limits (lab 5): its capabilities, its seccomp filter, its cgroup. */
	char cgroup[PATH_MAX];
	if (sec_from_config(json_object_get(c.doc, "HostConfig"), &security, &err) < 0 ||
	    sec_filter_prepare(c.root, &security, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	ctr_cgroup_path(c.id, cgroup);
	security.cgroup_fd = open(cgroup, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	struct exec_spec x = { .argv = argv + optind + 1, .env = (char **)env, .workdir = workdir, .user = user,
			       .tty = slave, .security = &security };
	pid_t pid;
	if (!interactive && !tty) { /* Docker gives exec's command no stdin without -i */
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull >= 0 && devnull != STDIN_FILENO) {
			dup2(devnull, STDIN_FILENO);
			close(devnull);
		}
	}
	attach_block_signals();
	if (ctr_exec(&c, &x, &pid, &err) < 0) {
		/* The command's own 126 or 127; a container that does not run is the daemon's 1. */
		status = cli_fail(&err);
		if (!err.status)
			status = EXIT_ARGS_ERROR;
		goto out;
	}
	if (slave >= 0)
		close(take_fd(&slave));
	struct attach a = { .wait_pid = pid, .signal_pid = pid, .master = master,
			    .relay_stdin = tty && interactive, .relay_output = tty };
	if (attach_wait(&a, &status, &err) < 0)
		status = cli_fail(&err);
out:
	sec_release(&security);
	ctr_release(&c);
	return status;
}
