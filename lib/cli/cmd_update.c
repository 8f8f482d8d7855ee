/*
 * cmd_update.c - `minidock update`: change the limits (and restart policy) of containers, running
 * or not, as `docker update`.
 *
 * The new limits are the old ones (HostConfig) with the flags given put over them. A running
 * container gets them at once, written into its cgroup by lab 5's cg_set_limits(): the kernel
 * applies a lower memory.max or pids.max to processes that already run (reclaiming memory, or
 * refusing new processes). A stopped one gets them at its next start. HostConfig is written
 * last, once the cgroup took them, so that `inspect` never shows a limit that is not in force.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

static int update_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_update = {
	.name = "update",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Update the resource limits of one or more containers",
	.help = "Options:\n" CLI_LIMIT_HELP
		"      --restart POLICY    no, always, unless-stopped, on-failure[:N]\n"
		"      --help              print this help\n",
	.run = update_main,
};

/* What was asked: the limits given (0: not given) and the restart policy (NULL: not given). */
struct update_opts {
	struct cg_limits limits;
	const char *restart;
	long restart_max;
};

/* The old limits with those given put over them. */
static void merge(struct cg_limits *l, const struct cg_limits *given)
{
	int64_t *to[] = { &l->memory, &l->memory_swap, &l->memory_reservation, &l->nano_cpus,
			  &l->cpu_shares, &l->pids_limit, &l->blkio_weight };
	const int64_t from[] = { given->memory, given->memory_swap, given->memory_reservation, given->nano_cpus,
				 given->cpu_shares, given->pids_limit, given->blkio_weight };

	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++)
		if (from[i])
			*to[i] = from[i];
	if (given->cpuset_cpus[0])
		memcpy(l->cpuset_cpus, given->cpuset_cpus, sizeof(l->cpuset_cpus));
}

/* Put back the limits a failed update had written (best effort: a limit that was not set goes
 * back to "max" for memory and processes, the kernel's default). */
static void undo(int fd, const struct cg_limits *old)
{
	struct cg_limits back = *old;
	err_t ignored;

	back.memory = back.memory ? back.memory : -1;
	back.pids_limit = back.pids_limit ? back.pids_limit : -1;
	cg_set_limits(fd, &back, &ignored);
}

/* Update container ref as o says. */
static int update_one(const char *root, const char *ref, const struct update_opts *o, err_t *err)
{
	struct container c = { .doc = NULL };
	struct cg_limits old, now;
	_cleanup_close_ int fd = -1;
	_cleanup_json_ json_t *fields = json_object();
	int rc = -1;

	if (!fields)
		return err_msg(err, ENOMEM, "out of memory");
	if (ctr_load(root, ref, &c, err) < 0)
		return -1;
	const json_t *host = json_object_get(c.doc, "HostConfig");
	if (cg_limits_from_config(host, &old, err) < 0)
		goto out;
	now = old;
	merge(&now, &o->limits);
	if (o->limits.memory && !o->limits.memory_swap && old.memory_swap > 0 && now.memory > old.memory_swap) {
		err_msg(err, EINVAL, "Cannot update container %.12s: Memory limit should be smaller than already "
			"set memoryswap limit, update the memoryswap at the same time", c.id);
		goto out;
	}
	if (cg_limits_check(&now, err) < 0) {
		err_wrap(err, "Cannot update container %.12s", c.id);
		goto out;
	}
	if (o->restart && strcmp(o->restart, "no") != 0 && json_is_true(json_object_get(host, "AutoRemove"))) {
		err_msg(err, EINVAL, "Cannot update container %.12s: Restart policy cannot be updated because "
			"AutoRemove is enabled for the container", c.id);
		goto out;
	}
	if (ctr_monitor_alive(&c) && ctr_pid(&c) > 0 && cg_limits_any(&now)) {
		char path[PATH_MAX];
		ctr_cgroup_path(c.id, path);
		fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			err_sys(err, "Cannot update container %.12s: it has no cgroup (cgroup v2 is needed)", c.id);
			goto out;
		}
		if (cg_set_limits(fd, &now, err) < 0) {
			undo(fd, &old);
			err_wrap(err, "Cannot update container %.12s", c.id);
			goto out;
		}
	}
	if (cg_limits_to_config(&now, fields) < 0 ||
	    (o->restart && json_object_set_new(fields, "RestartPolicy",
					       json_pack("{s:s, s:i}", "Name", o->restart, "MaximumRetryCount",
							 (int)o->restart_max)) < 0))
		err_msg(err, ENOMEM, "out of memory");
	else
		rc = ctr_record_host_config(&c, fields, err);
	if (rc < 0 && fd >= 0)
		undo(fd, &old); /* not written down: the cgroup goes back to what the state says */
out:
	ctr_release(&c);
	return rc;
}

static int update_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		CLI_LIMIT_OPTIONS,
		{ "restart", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	struct update_opts o = { .restart = NULL };
	bool any = false;
	int opt, status = 0;

	while ((opt = getopt_long(argc, argv, "+:m:c:", options, NULL)) != -1) {
		switch (opt) {
		case 'r':
			if (cli_parse_restart(&cmd_update, optarg, &o.restart, &o.restart_max) != 0)
				return EXIT_MINIDOCK_ERROR;
			break;
		case 'H':
			return cli_help(&cmd_update);
		case ':':
			return cli_usage_error(&cmd_update, "flag needs an argument: %s", argv[optind - 1]);
		case '?':
			return cli_usage_error(&cmd_update, "unknown flag: %s", argv[optind - 1]);
		default:
			if (cli_parse_limit(&cmd_update, opt, optarg, &o.limits) != 0)
				return EXIT_MINIDOCK_ERROR;
		}
		any = true;
	}
	if (optind == argc)
		return cli_args_error(&cmd_update, "requires at least 1 argument");
	if (!any)
		return cli_usage_error(&cmd_update, "you must provide one or more flags when using this command");
	for (int i = optind; i < argc; i++) {
		err_t err;
		if (update_one(ctx->root, argv[i], &o, &err) < 0) {
			cli_fail(&err);
			status = EXIT_ARGS_ERROR;
		} else {
			printf("%s\n", argv[i]);
		}
	}
	return status;
}
