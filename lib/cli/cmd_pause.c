/*
 * cmd_pause.c - `minidock pause` and `unpause`: freeze every process of a container, and thaw
 * them, through its cgroup (lab 5's cg_freeze()).
 *
 * A frozen process is not stopped by a signal (SIGSTOP could be seen, caught in a sense, and
 * undone by the container itself): the kernel simply never schedules it again until the cgroup
 * is thawed. State.Paused says so; `exec` into a paused container is refused, as Docker.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "confine.h"
#include "container.h"
#include "json.h"
#include "security.h"

static int pause_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_pause = {
	.name = "pause",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Pause all processes within one or more containers",
	.help = "",
	.run = pause_main,
};

const struct command cmd_unpause = {
	.name = "unpause",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Unpause all processes within one or more containers",
	.help = "",
	.run = pause_main,
};

/* Freeze (or thaw) container ref, and write it down. */
int cli_set_paused(const char *root, const char *ref, bool paused, err_t *err)
{
	struct container c = { .doc = NULL };
	char path[PATH_MAX];

	if (ctr_load(root, ref, &c, err) < 0)
		return -1;
	bool is_paused = json_is_true(json_object_get(json_object_get(c.doc, "State"), "Paused"));
	int rc = -1;
	if (!ctr_monitor_alive(&c) || ctr_pid(&c) <= 0)
		err_msg(err, EINVAL, "Container %s is not running", c.id);
	else if (paused && is_paused)
		err_msg(err, EINVAL, "Container %s is already paused", c.id);
	else if (!paused && !is_paused)
		err_msg(err, EINVAL, "Container %s is not paused", c.id);
	else
		rc = 0;
	if (rc == 0) {
		ctr_cgroup_path(c.id, path);
		_cleanup_close_ int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			rc = err_sys(err, "container %.12s has no cgroup (cgroup v2 is needed to pause)", c.id);
		else if (cg_freeze(fd, paused, err) < 0)
			rc = -1;
		else if (ctr_record_paused(&c, paused, err) < 0) {
			err_t ignored; /* not written down: undone, so that the state tells the truth */
			cg_freeze(fd, !paused, &ignored);
			rc = -1;
		}
	}
	ctr_release(&c);
	return rc;
}

static int pause_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	const struct command *cmd = strcmp(argv[0], "unpause") == 0 ? &cmd_unpause : &cmd_pause;
	int status = 0;

	if (argc > 1 && strcmp(argv[1], "--help") == 0)
		return cli_help(cmd);
	if (argc > 1 && argv[1][0] == '-')
		return cli_usage_error(cmd, "unknown flag: %s", argv[1]);
	if (argc < 2)
		return cli_args_error(cmd, "requires at least 1 argument");
	for (int i = 1; i < argc; i++) {
		err_t err;
		if (cli_set_paused(ctx->root, argv[i], cmd == &cmd_pause, &err) < 0) {
			cli_fail(&err);
			status = EXIT_ARGS_ERROR;
		} else {
			printf("%s\n", argv[i]);
		}
	}
	return status;
}
