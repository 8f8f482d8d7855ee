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
#include "fsutil.h"
#include "image.h"
#include "json.h"
#include "log.h"
#include "process.h"

static int run_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_run = {
	.name = "run",
	.usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]\n        minidock run [OPTIONS] --rootfs DIR [--] COMMAND [ARG...]",
	.summary = "Run a command in a new container",
	.help = "Options:\n"
		"      --rootfs DIR        run in this directory instead of an image's layers\n"
		"  -h, --hostname NAME     container host name (default: a random id)\n"
		"  -e, --env K=V           set an environment variable (K alone: copy minidock's)\n"
		"  -w, --workdir DIR       working directory inside the container (default /)\n"
		"  -u, --user USER[:GROUP] run the command as this user (name or uid)\n"
		"      --read-only         mount the container's root file system read-only\n"
		"      --rm                remove the container when it exits (until lab 4, always so)\n"
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

/* The absolute path of a --rootfs directory, which must exist. */
static int rootfs_dir(const char *rootfs, char *out, err_t *err)
{
	struct stat st;

	if (!realpath(rootfs, out) || stat(out, &st) < 0)
		return err_sys(err, "rootfs \"%s\"", rootfs);
	if (!S_ISDIR(st.st_mode))
		return err_set(err, ENOTDIR, "rootfs \"%s\"", rootfs);
	return 0;
}

/* Find image ref in the store under state_dir: its absolute root, id and config. */
static int image_config(const char *state_dir, const char *ref, char *out_root, char *out_id, json_t **out_config,
			err_t *err)
{
	_cleanup_json_ json_t *store = NULL;

	if (fs_mkdir_p(state_dir, 0711, err) < 0 || !realpath(state_dir, out_root))
		return err_sys(err, "state directory %s", state_dir);
	if (store_read(out_root, &store, err) < 0 || img_resolve(store, ref, out_id, err) < 0 ||
	    img_read_config(out_root, out_id, out_config, err) < 0)
		return -1;
	return 0;
}

/* ROOT/containers/ID/{upper,work,merged} for a container of image id; ID is random. */
static int container_make(const char *root, const char *image_id, char *out_dir, err_t *err)
{
	unsigned char bytes[32];
	char id[65], path[PATH_MAX + 16];

	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
		return err_sys(err, "getrandom");
	for (size_t i = 0; i < sizeof(bytes); i++)
		sprintf(id + 2 * i, "%02x", bytes[i]);
	snprintf(out_dir, PATH_MAX, "%s/containers/%s", root, id);
	/* upper/ becomes the container's "/": 0755, or only root could walk its tree. */
	static const struct {
		const char *name;
		mode_t mode;
	} subdirs[] = { { "upper", 0755 }, { "work", 0700 }, { "merged", 0755 } };
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", out_dir, subdirs[i].name);
		if (fs_mkdir_p(path, 0700, err) < 0)
			goto fail;
		if (chmod(path, subdirs[i].mode) < 0) {
			err_sys(err, "chmod %s", path);
			goto fail;
		}
	}
	/* `image rm` reads this to know the image is in use. No need for fs_write_atomic()'s
	 * fsync: after a crash the whole directory is garbage anyway. */
	snprintf(path, sizeof(path), "%s/image", out_dir);
	FILE *f = fopen(path, "we");
	if (!f || fputs(image_id, f) < 0 || fclose(f) != 0) {
		err_sys(err, "write %s", path);
		goto fail;
	}
	return 0;
fail:;
	err_t ignored;
	fs_remove_tree(out_dir, &ignored);
	out_dir[0] = '\0';
	return -1;
}

static int run_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "rootfs", required_argument, NULL, 'R' },
		{ "hostname", required_argument, NULL, 'h' },
		{ "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "read-only", no_argument, NULL, 'O' },
		{ "rm", no_argument, NULL, 'X' },
		{ "user", required_argument, NULL, 'u' },
		{ "tmpfs", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	const char *rootfs = NULL, *hostname = NULL, *workdir = NULL, *user = NULL;
	/* -e and --tmpfs may repeat: there are never more of them than arguments. */
	_cleanup_free_ char **user_env = calloc((size_t)argc + 1, sizeof(char *));
	_cleanup_free_ char **tmpfs = calloc((size_t)argc + 1, sizeof(char *));
	size_t n_env = 0, n_tmpfs = 0;
	bool readonly = false;
	int opt;

	if (!user_env || !tmpfs)
		return EXIT_MINIDOCK_ERROR;
	/* "+": the first word that is not an option is the command; the rest is its own. */
	while ((opt = getopt_long(argc, argv, "+:h:e:w:u:", options, NULL)) != -1) {
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
		case 'u':
			user = optarg;
			break;
		case 'X':
			break; /* every container is removed when it exits until lab 4 keeps them */
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
	if (!rootfs && optind == argc)
		return cli_usage_error(&cmd_run, "requires an image (or --rootfs DIR) and a command");
	if (rootfs && optind == argc)
		return cli_usage_error(&cmd_run, "requires a command to run");
	if (hostname && !valid_hostname(hostname))
		return cli_usage_error(&cmd_run, "invalid hostname \"%s\"", hostname);
	if (workdir && workdir[0] != '/')
		return cli_usage_error(&cmd_run,
				       "the working directory \"%s\" is invalid, it needs to be an absolute path",
				       workdir);

	err_t err;
	struct run_spec spec = { .hostname = hostname, .workdir = workdir, .readonly = readonly, .tmpfs = tmpfs };
	_cleanup_strv_ char **image_argv = NULL;
	_cleanup_strv_ char **image_env = NULL;
	_cleanup_json_ json_t *config = NULL;
	char root[PATH_MAX], id[DIGEST_HEX_LEN + 1], container_dir[PATH_MAX] = "", merged[PATH_MAX + 8];
	char **cmd = argv + optind;
	_cleanup_free_ char **all_env = NULL; /* the image's Env, then -e */

	if (rootfs) {
		if (rootfs_dir(rootfs, root, &err) < 0)
			return cli_fail(&err);
		spec.rootfs = root;
	} else {
		/* An image: its config says what to run, its layers make the root (lab 3). */
		const char *image_user;
		if (image_config(ctx->root, argv[optind], root, id, &config, &err) < 0 ||
		    img_command(json_object_get(config, "config"), argv + optind + 1, &image_argv, &image_env,
				&spec.workdir, &image_user, &err) < 0)
			return cli_fail(&err);
		if (workdir)
			spec.workdir = workdir;
		if (!user && *image_user)
			user = image_user;
		cmd = image_argv;
		/* The image's Env first, so that -e overrides it. */
		size_t n_image_env = 0;
		while (image_env[n_image_env])
			n_image_env++;
		all_env = calloc(n_image_env + n_env + 1, sizeof(char *));
		if (!all_env) {
			err_sys(&err, "environment");
			return cli_fail(&err);
		}
		memcpy(all_env, image_env, n_image_env * sizeof(char *));
		memcpy(all_env + n_image_env, user_env, n_env * sizeof(char *));
		if (container_make(root, id, container_dir, &err) < 0)
			return cli_fail(&err);
		snprintf(merged, sizeof(merged), "%s/merged", container_dir);
		log_debug("image %.12s: container directory %s", id, container_dir);
		spec.rootfs = merged;
		spec.image = id;
		spec.root = root;
		spec.container_dir = container_dir;
	}
	if (!spec.workdir)
		spec.workdir = "/";
	spec.user = user;
	char random_name[13];
	_cleanup_strv_ char **env = NULL;
	pid_t pid;
	int status = 0, failed = 0;

	spec.argv = cmd;
	if (!spec.hostname) {
		failed = random_hostname(random_name, &err) < 0;
		spec.hostname = random_name;
	}
	failed = failed || proc_environ(spec.hostname, all_env ? all_env : user_env, &env, &err) < 0;
	spec.env = env;
	if (!failed)
		log_debug("run %s in %s, host name %s, workdir %s", cmd[0], spec.rootfs, spec.hostname, spec.workdir);
	failed = failed || proc_spawn(&spec, &pid, &err) < 0 || proc_wait(pid, &status, &err) < 0;
	if (!failed)
		log_debug("container exited with status %d", status);
	if (container_dir[0]) {
		err_t ignored;
		fs_remove_tree(container_dir, &ignored); /* its upper layer goes with it */
	}
	return failed ? cli_fail(&err) : status;
}
