/*
 * cmd_volume.c - `minidock volume create|ls|inspect|rm|prune`, as `docker volume`.
 *
 * The store is volume.c's (ROOT/volumes); mounting a volume in a container is lab 10's.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "fsutil.h"
#include "json.h"
#include "volume.h"

static int volume_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_volume = {
	.name = "volume",
	.usage = "COMMAND",
	.summary = "Manage volumes",
	.help = "Commands:\n"
		"  create [--name] [NAME] [-d local] [-o type=tmpfs|none,device=DIR,o=bind] [--label K=V]\n"
		"                      make a volume (no name: a random one)\n"
		"  ls [-q] [-f dangling=true|name=N|label=K[=V]|driver=local] [--format T]\n"
		"                      list volumes\n"
		"  inspect [-f T] VOLUME...    show volumes as JSON\n"
		"  rm [-f] VOLUME...   remove volumes no container uses (-f: a missing one is no error)\n"
		"  prune [-f]          remove every volume no container uses\n",
	.run = volume_main,
};

/* "K=V" into object obj (a bare K is K=""). */
static int add_pair(json_t *obj, const char *pair, const char *what)
{
	const char *eq = strchr(pair, '=');
	if (pair[0] == '=' || !pair[0])
		return cli_usage_error(&cmd_volume, "invalid %s \"%s\": the key is empty", what, pair);
	json_object_setn_new(obj, pair, eq ? (size_t)(eq - pair) : strlen(pair), json_string(eq ? eq + 1 : ""));
	return 0;
}

static int volume_create(int argc, char **argv, const char *root)
{
	static const struct option options[] = {
		{ "name", required_argument, NULL, 'n' }, { "driver", required_argument, NULL, 'd' },
		{ "opt", required_argument, NULL, 'o' },  { "label", required_argument, NULL, 'l' },
		{ 0 },
	};
	_cleanup_json_ json_t *opts = json_object(), *labels = json_object();
	const char *name = NULL;
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "+:d:o:", options, NULL)) != -1) {
		if (opt == 'n')
			name = optarg;
		else if (opt == 'd' && strcmp(optarg, "local") != 0)
			return cli_usage_error(&cmd_volume, "create: driver \"%s\": minidock has the local driver only", optarg);
		else if (opt == 'o' && add_pair(opts, optarg, "option") != 0)
			return EXIT_MINIDOCK_ERROR;
		else if (opt == 'l' && add_pair(labels, optarg, "label") != 0)
			return EXIT_MINIDOCK_ERROR;
		else if (opt == ':' || opt == '?')
			return cli_usage_error(&cmd_volume, "create: %s: %s", opt == ':' ? "flag needs an argument" : "unknown flag",
					       argv[optind - 1]);
	}
	if (argc - optind > 1 || (name && optind < argc && strcmp(name, argv[optind]) != 0))
		return cli_args_error(&cmd_volume, "create: at most 1 name (--name or an argument)");
	if (optind < argc)
		name = argv[optind];
	char made_name[VOL_NAME_MAX];
	bool made;
	err_t err;
	if (vol_create(root, name, json_object_size(opts) ? opts : NULL, labels, false, made_name, &made, &err) < 0)
		return cli_fail(&err);
	printf("%s\n", made_name);
	return 0;
}

/* Does volume v (with its users) pass filter "key=value" (Docker's volume ls -f)? */
static bool passes(const json_t *v, const char *filter, const char *root)
{
	const char *value = strchr(filter, '=') + 1;
	size_t key_len = (size_t)(value - 1 - filter);

	if (key_len == 4 && strncmp(filter, "name", 4) == 0)
		return strstr(json_str(v, "Name"), value) != NULL;
	if (key_len == 6 && strncmp(filter, "driver", 6) == 0)
		return strcmp(json_str(v, "Driver"), value) == 0;
	if (key_len == 8 && strncmp(filter, "dangling", 8) == 0) {
		_cleanup_json_ json_t *users = NULL;
		err_t err;
		bool dangling = ctr_volume_users(root, json_str(v, "Name"), &users, &err) == 0 && json_array_size(users) == 0;
		return dangling == (strcmp(value, "true") == 0 || strcmp(value, "1") == 0);
	}
	/* label=KEY or label=KEY=VALUE */
	const json_t *labels = json_object_get(v, "Labels");
	const char *eq = strchr(value, '=');
	const json_t *label = json_object_getn(labels, value, eq ? (size_t)(eq - value) : strlen(value));
	return label && (!eq || strcmp(json_string_value(label), eq + 1) == 0);
}

static int volume_ls(int argc, char **argv, const char *root)
{
	static const struct option options[] = {
		{ "quiet", no_argument, NULL, 'q' }, { "filter", required_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' }, { 0 },
	};
	static const char *const keys[] = { "name=", "driver=", "dangling=", "label=" };
	_cleanup_free_ char **filters = calloc((size_t)argc + 1, sizeof(char *));
	const char *format = "table {{.Driver}}\t{{.Name}}";
	bool quiet = false;
	size_t n_filters = 0;
	int opt;

	if (!filters)
		return EXIT_MINIDOCK_ERROR;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+:qf:", options, NULL)) != -1) {
		bool known = false;
		if (opt == 'q') {
			quiet = true;
		} else if (opt == 'F') {
			format = optarg;
		} else if (opt == 'f') {
			for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
				known |= strncmp(optarg, keys[k], strlen(keys[k])) == 0;
			if (!known)
				return cli_usage_error(&cmd_volume, "ls: invalid filter '%s' (name, driver, dangling, label)", optarg);
			filters[n_filters++] = optarg;
		} else {
			return cli_usage_error(&cmd_volume, "ls: %s: %s", opt == ':' ? "flag needs an argument" : "unknown flag",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_args_error(&cmd_volume, "ls: accepts no arguments");
	_cleanup_json_ json_t *all = NULL, *rows = json_array();
	err_t err;
	if (vol_list(root, &all, &err) < 0)
		return cli_fail(&err);
	size_t i;
	json_t *v;
	json_array_foreach(all, i, v) {
		bool keep = true;
		for (size_t f = 0; keep && f < n_filters; f++)
			keep = passes(v, filters[f], root);
		if (!keep)
			continue;
		if (quiet)
			printf("%s\n", json_str(v, "Name"));
		else
			json_array_append(rows, v);
	}
	_cleanup_json_ json_t *header = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Driver", "DRIVER", "Name",
						  "VOLUME NAME", "Mountpoint", "MOUNTPOINT", "Scope", "SCOPE", "CreatedAt",
						  "CREATED", "Labels", "LABELS");
	if (!quiet && cli_print_rows(format, header, rows, &err) < 0)
		return cli_fail(&err);
	return 0;
}

static int volume_inspect(int argc, char **argv, const char *root)
{
	static const struct option options[] = { { "format", required_argument, NULL, 'f' }, { 0 } };
	_cleanup_json_ json_t *out = json_array();
	const char *format = NULL;
	int status = 0, opt;
	err_t err;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "+:f:", options, NULL)) != -1) {
		if (opt != 'f')
			return cli_usage_error(&cmd_volume, "inspect: %s", opt == ':' ? "flag needs an argument: -f" : "unknown flag");
		format = optarg;
	}
	if (optind >= argc)
		return cli_args_error(&cmd_volume, "inspect: requires at least 1 argument");
	for (int i = optind; i < argc; i++) {
		json_t *v;
		if (vol_load(root, argv[i], &v, &err) < 0) {
			cli_fail(&err);
			status = 1;
			continue;
		}
		json_array_append_new(out, v);
	}
	if (format)
		return cli_print_format(format, out, &err) < 0 ? cli_fail(&err) : status;
	_cleanup_free_ char *text = json_dumps(out, JSON_INDENT(4) | JSON_SORT_KEYS);
	puts(text ? text : "[]");
	return status;
}

static int volume_rm(int argc, char **argv, const char *root)
{
	bool force = argc > 1 && (strcmp(argv[1], "-f") == 0 || strcmp(argv[1], "--force") == 0);
	int first = force ? 2 : 1, status = 0;

	if (first >= argc)
		return cli_args_error(&cmd_volume, "rm: requires at least 1 argument");
	for (int i = first; i < argc; i++) {
		err_t err;
		if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error(&cmd_volume, "rm: unknown flag: %s", argv[i]);
		if (ctr_volume_remove(root, argv[i], force, &err) < 0) {
			cli_fail(&err);
			status = 1;
		} else {
			printf("%s\n", argv[i]);
		}
	}
	return status;
}

static int volume_prune(int argc, char **argv, const char *root)
{
	bool force = argc > 1 && (strcmp(argv[1], "-f") == 0 || strcmp(argv[1], "--force") == 0);
	_cleanup_json_ json_t *all = NULL;
	err_t err;

	if (argc > (force ? 2 : 1))
		return cli_usage_error(&cmd_volume, "prune: usage: minidock volume prune [-f]");
	if (!force && !cli_confirm("This will remove all local volumes not used by at least one container."))
		return 0;
	if (vol_list(root, &all, &err) < 0)
		return cli_fail(&err);
	printf("Deleted Volumes:\n");
	size_t i;
	json_t *v;
	json_array_foreach(all, i, v) {
		/* In use: EBUSY, kept. */
		if (ctr_volume_remove(root, json_str(v, "Name"), false, &err) == 0)
			printf("%s\n", json_str(v, "Name"));
	}
	printf("\nTotal reclaimed space: 0B\n");
	return 0;
}

static int volume_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv, const char *root);
	} subcommands[] = {
		{ "create", volume_create }, { "ls", volume_ls },   { "list", volume_ls }, { "inspect", volume_inspect },
		{ "rm", volume_rm },         { "remove", volume_rm }, { "prune", volume_prune },
	};
	char root[PATH_MAX];
	err_t err;

	if (argc < 2 || strcmp(argv[1], "--help") == 0)
		return cli_help(&cmd_volume);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (strcmp(argv[1], subcommands[i].name) != 0)
			continue;
		if (cli_state_dir(ctx, root, &err) < 0)
			return cli_fail(&err);
		return subcommands[i].fn(argc - 1, argv + 1, root);
	}
	return cli_usage_error(&cmd_volume, "unknown command: volume %s", argv[1]);
}
