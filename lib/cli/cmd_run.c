/*
 * cmd_run.c - `minidock create`, `start` and `run` (which is create, then start, then wait).
 *
 * This file turns flags into a container's description (Docker's Config and HostConfig, the
 * container.json that `inspect` shows), hands it to the store (container.h), starts it with
 * lab 4's ctr_start() and, unless -d, stays attached until it ends (attach.h).
 *
 * Before lab 4 is written, ctr_start() answers "not implemented": `run` then does what labs
 * 1 to 3 built, in the foreground only, the container's PID 1 a child of minidock itself.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach.h"
#include "build.h"
#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "fsutil.h"
#include "image.h"
#include "json.h"
#include "lab.h"
#include "lifecycle.h"
#include "log.h"
#include "network.h"
#include "ov_net.h"
#include "process.h"
#include "registry.h"
#include "security.h"
#include "store.h"
#include "volume.h"

/* Long options without a letter. */
#define OPT_IP 1000
#define OPT_ALIAS 1001

static int run_main(int argc, char **argv, const struct cli_ctx *ctx);
static int create_main(int argc, char **argv, const struct cli_ctx *ctx);
static int start_main(int argc, char **argv, const struct cli_ctx *ctx);

#define CREATE_OPTIONS                                                                             \
	"      --rootfs DIR        run in this directory instead of an image's layers\n"             \
	"      --name NAME         name the container (default: a random name)\n"                   \
	"  -h, --hostname NAME     container host name (default: the short container id)\n"        \
	"  -e, --env K=V           set an environment variable (K alone: copy minidock's)\n"       \
	"      --env-file FILE     read K=V lines from FILE (# comments), before the -e ones\n"     \
	"  -l, --label K=V         set a label on the container (Config.Labels)\n"                 \
	"      --entrypoint CMD    run CMD instead of the image's Entrypoint (and drop its Cmd)\n"  \
	"      --restart POLICY    no (default), always, unless-stopped, on-failure[:N]\n"           \
	"  -w, --workdir DIR       working directory inside the container (default /)\n"           \
	"  -u, --user USER[:GROUP] run the command as this user (name or uid)\n"                    \
	"  -i, --interactive       keep stdin open: the container reads minidock's stdin\n"        \
	"  -t, --tty               give the container a terminal (a pty)\n"                          \
	"      --init              run minidock-init as PID 1: it reaps zombies, passes signals\n" \
	"      --read-only         mount the container's root file system read-only\n"            \
	"      --rm                remove the container when it exits\n"                           \
	"      --tmpfs DIR         mount a tmpfs on DIR (absolute) inside the container\n"          \
	"      --network NET       bridge (default), none, host, or a network's name\n"            \
	"      --ip IP             the container's address on its network (a user-defined one)\n"  \
	"      --network-alias NAME  one more name of the container on its network's DNS\n"     \
	"  -p, --publish [IP:]HOST:CTR[/PROTO]  publish a container's port on the host's\n"      \
	"      --cap-add CAP       add a capability (CHOWN or CAP_CHOWN; ALL)\n"                  \
	"      --cap-drop CAP      drop a capability from Docker's default set (ALL: all)\n"       \
	"      --privileged        every capability, no seccomp, no masked paths, every device\n" \
	"      --security-opt OPT  no-new-privileges, seccomp=unconfined, seccomp=PROFILE.json\n" \
	"  -v, --volume V          NAME:/path[:ro] a volume (made when missing), /path an anonymous\n" \
	"                          one, /host/path:/path[:ro] a bind mount\n"                   \
	"      --mount M           type=volume|bind|tmpfs,source=S,target=T[,readonly]\n"        \
	"                          [,volume-nocopy][,tmpfs-size=N][,tmpfs-mode=M][,bind-propagation=P]\n" \
	"      --volumes-from C[:ro]  the volumes and bind mounts of container C\n"              \
	"      --userns-remap U    container root is U's range of /etc/subuid and /etc/subgid\n"  \
	"                          (default: dockremap's; U or U:GROUP), not the host's root\n"   \
	CLI_LIMIT_HELP

const struct command cmd_run = {
	.name = "run",
	.usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]\n        minidock run [OPTIONS] --rootfs DIR [--] COMMAND [ARG...]",
	.summary = "Create and run a new container",
	.help = "Options:\n" CREATE_OPTIONS "  -d, --detach            run in the background and print the container's id\n"
		"      --help              print this help\n",
	.run = run_main,
};

const struct command cmd_create = {
	.name = "create",
	.usage = "[OPTIONS] IMAGE [COMMAND] [ARG...]\n        minidock create [OPTIONS] --rootfs DIR [--] COMMAND [ARG...]",
	.summary = "Create a new container (start it with 'minidock start')",
	.help = "Options:\n" CREATE_OPTIONS "      --help              print this help\n",
	.run = create_main,
};

const struct command cmd_start = {
	.name = "start",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.summary = "Start one or more created or stopped containers",
	.help = "Options:\n"
		"  -a, --attach   attach stdout and stderr and wait for the container's end\n"
		"  -i, --interactive  attach stdin too\n"
		"      --help     print this help\n",
	.run = start_main,
};

/* What `create` and `run` were asked. */
struct create_opts {
	const char *rootfs, *hostname, *workdir, *user, *name;
	char **env, **tmpfs, **ports; /* the -e, --tmpfs and -p values, NULL-terminated */
	char **labels, **env_files;   /* the -l and --env-file values */
	char **aliases;               /* --network-alias: more names on its network's DNS */
	const char *network, *ip, *entrypoint, *restart;
	long restart_max;
	bool readonly, rm, detach, interactive, tty, init;
	char **cap_add, **cap_drop, **security_opts; /* lab 5 */
	char **volumes, **mounts, **volumes_from;    /* lab 10: -v, --mount, --volumes-from */
	bool privileged;
	const char *userns_remap;
	struct userns_map remap; /* its ranges, looked up at create */
	struct cg_limits limits;
	char **cmd; /* IMAGE [COMMAND...] or, with --rootfs, COMMAND... */
};

/* Room in o for each flag that may be repeated (each at most argc times, NULL-terminated): one
 * allocation, returned for the caller to free, or NULL when out of memory. */
static char **opts_lists(struct create_opts *o, int argc)
{
	char ***lists[] = { &o->env, &o->tmpfs, &o->ports, &o->labels, &o->env_files, &o->aliases,
			    &o->cap_add, &o->cap_drop, &o->security_opts, &o->volumes, &o->mounts, &o->volumes_from };
	size_t count = sizeof(lists) / sizeof(lists[0]), n = (size_t)argc + 1;
	char **room = calloc(count * n, sizeof(char *));

	for (size_t i = 0; room && i < count; i++)
		*lists[i] = room + i * n;
	return room;
}

/* RFC 1123 host name: labels of letters, digits and '-', split by '.', at most 63 bytes. */
static bool valid_hostname(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 63 || name[0] == '-' || name[0] == '.' || name[len - 1] == '.')
		return false;
	for (const char *p = name; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    *p != '-' && *p != '.')
			return false;
	return true;
}

static json_t *json_strv(char *const *v);

/* The capability names and --security-opt values, checked now rather than at start, by the
 * same decoder the start uses (sec_from_config()). A profile file is read here and kept in its
 * place: Docker keeps the profile, not its path. */
static int check_security(const struct command *cmd, struct create_opts *o)
{
	err_t err;

	for (size_t i = 0; o->security_opts[i]; i++) {
		const char *opt = o->security_opts[i];
		if ((strncmp(opt, "seccomp=", 8) != 0 && strncmp(opt, "seccomp:", 8) != 0) || strcmp(opt + 8, "unconfined") == 0)
			continue;
		_cleanup_free_ char *text = NULL;
		if (fs_read_file(opt + 8, 1 << 20, &text, NULL, &err) < 0)
			return cli_usage_error(cmd, "opening seccomp profile (%s) failed: %s", opt + 8, err.msg);
		/* "seccomp=" and the profile, compacted (kept until minidock exits). */
		json_error_t jerr;
		_cleanup_json_ json_t *doc = json_loads(text, 0, &jerr);
		_cleanup_free_ char *compact = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
		if (!doc)
			return cli_usage_error(cmd, "%s: seccomp profile: line %d: %s", opt + 8, jerr.line, jerr.text);
		if (!compact || asprintf(&o->security_opts[i], "seccomp=%s", compact) < 0)
			return cli_usage_error(cmd, "seccomp profile: out of memory");
	}
	_cleanup_json_ json_t *host = json_pack("{s:o, s:o, s:o, s:b}", "CapAdd", json_strv(o->cap_add), "CapDrop",
						json_strv(o->cap_drop), "SecurityOpt", json_strv(o->security_opts),
						"Privileged", o->privileged);
	struct ctr_security security;
	if (!host)
		return cli_usage_error(cmd, "out of memory");
	if (sec_from_config(host, &security, &err) < 0)
		return cli_usage_error(cmd, "%s", err.msg);
	sec_release(&security);
	return 0;
}

/* Parse `create`/`run` flags into *o (arrays sized by argc, freed by the caller). Returns 0, or
 * the exit status of a usage error. */
static int parse_create(const struct command *cmd, int argc, char **argv, struct create_opts *o)
{
	static const struct option options[] = {
		{ "rootfs", required_argument, NULL, 'R' }, { "hostname", required_argument, NULL, 'h' },
		{ "env", required_argument, NULL, 'e' },    { "workdir", required_argument, NULL, 'w' },
		{ "read-only", no_argument, NULL, 'O' },    { "rm", no_argument, NULL, 'X' },
		{ "user", required_argument, NULL, 'u' },   { "tmpfs", required_argument, NULL, 'T' },
		{ "name", required_argument, NULL, 'N' },   { "detach", no_argument, NULL, 'd' },
		{ "interactive", no_argument, NULL, 'i' },  { "tty", no_argument, NULL, 't' },
		{ "init", no_argument, NULL, 'I' },         { "help", no_argument, NULL, 'H' },
		{ "network", required_argument, NULL, 'n' }, { "net", required_argument, NULL, 'n' },
		{ "ip", required_argument, NULL, OPT_IP }, { "network-alias", required_argument, NULL, OPT_ALIAS },
		{ "publish", required_argument, NULL, 'p' }, { "label", required_argument, NULL, 'l' },
		{ "env-file", required_argument, NULL, 'E' }, { "entrypoint", required_argument, NULL, 'P' },
		{ "restart", required_argument, NULL, 'r' },
		{ "cap-add", required_argument, NULL, 'A' }, { "cap-drop", required_argument, NULL, 'D' },
		{ "privileged", no_argument, NULL, 'V' },   { "security-opt", required_argument, NULL, 'S' },
		{ "userns-remap", required_argument, NULL, 'Y' },
		{ "volume", required_argument, NULL, 'v' },  { "mount", required_argument, NULL, 'k' },
		{ "volumes-from", required_argument, NULL, 'f' },
		CLI_LIMIT_OPTIONS,
		{ 0 },
	};
	size_t n_env = 0, n_tmpfs = 0, n_ports = 0, n_labels = 0, n_env_files = 0, n_aliases = 0;
	size_t n_cap_add = 0, n_cap_drop = 0, n_security_opts = 0, n_volumes = 0, n_mounts = 0, n_from = 0;
	int opt;
	bool is_run = cmd == &cmd_run;

	/* "+": the first word that is not an option is the image; the rest is the command's. */
	while ((opt = getopt_long(argc, argv, is_run ? "+:h:e:w:u:ditp:l:m:c:v:" : "+:h:e:w:u:itp:l:m:c:v:", options, NULL)) != -1) {
		switch (opt) {
		case 'R': o->rootfs = optarg; break;
		case 'h': o->hostname = optarg; break;
		case 'e': o->env[n_env++] = optarg; break;
		case 'w': o->workdir = optarg; break;
		case 'O': o->readonly = true; break;
		case 'u': o->user = optarg; break;
		case 'X': o->rm = true; break;
		case 'N': o->name = optarg; break;
		case 'i': o->interactive = true; break;
		case 't': o->tty = true; break;
		case 'I': o->init = true; break;
		case 'n': o->network = optarg; break;
		case OPT_IP: o->ip = optarg; break;
		case OPT_ALIAS:
			if (!valid_hostname(optarg))
				return cli_usage_error(cmd, "invalid network alias \"%s\"", optarg);
			o->aliases[n_aliases++] = optarg;
			break;
		case 'E': o->env_files[n_env_files++] = optarg; break;
		case 'P': o->entrypoint = optarg; break;
		case 'r':
			if (cli_parse_restart(cmd, optarg, &o->restart, &o->restart_max) != 0)
				return EXIT_MINIDOCK_ERROR;
			break;
		case 'l':
			if (optarg[0] == '=' || !optarg[0])
				return cli_usage_error(cmd, "invalid label \"%s\": the key is empty", optarg);
			o->labels[n_labels++] = optarg;
			break;
		case 'p': {
			struct port_map port;
			err_t err;
			if (port_parse(optarg, &port, &err) < 0)
				return cli_usage_error(cmd, "invalid publish \"%s\": %s", optarg, err.msg);
			o->ports[n_ports++] = optarg;
			break;
		}
		case 'd':
			if (!is_run)
				return cli_usage_error(cmd, "unknown flag: --detach");
			o->detach = true;
			break;
		case 'T':
			if (optarg[0] != '/')
				return cli_usage_error(cmd, "--tmpfs %s: the path must be absolute", optarg);
			if (optarg[strspn(optarg, "/")] == '\0')
				return cli_usage_error(cmd, "--tmpfs %s: cannot mount a tmpfs on the container's root", optarg);
			o->tmpfs[n_tmpfs++] = optarg;
			break;
		case 'A': o->cap_add[n_cap_add++] = optarg; break;
		case 'D': o->cap_drop[n_cap_drop++] = optarg; break;
		case 'V': o->privileged = true; break;
		case 'Y': o->userns_remap = optarg; break;
		case 'v': o->volumes[n_volumes++] = optarg; break;
		case 'k': o->mounts[n_mounts++] = optarg; break;
		case 'f': o->volumes_from[n_from++] = optarg; break;
		case 'S': o->security_opts[n_security_opts++] = optarg; break;
		case 'm': case 'W': case 'M': case 'C': case 'c': case 'U': case 'L': case 'B':
			if (cli_parse_limit(cmd, opt, optarg, &o->limits) != 0)
				return EXIT_MINIDOCK_ERROR;
			break;
		case 'H':
			cli_help(cmd);
			return -1;
		case ':':
			return cli_usage_error(cmd, "flag needs an argument: %s", argv[optind - 1]);
		default:
			return cli_usage_error(cmd, "unknown flag: %s", argv[optind - 1]);
		}
	}
	o->cmd = argv + optind;
	if (!o->rootfs && optind == argc)
		return cli_args_error(cmd, "requires an image (or --rootfs DIR) and a command");
	if (o->rootfs && optind == argc)
		return cli_usage_error(cmd, "requires a command to run");
	if (o->rm && o->restart && strcmp(o->restart, "no") != 0)
		return cli_usage_error(cmd, "Conflicting options: --restart and --rm");
	err_t err;
	if (cg_limits_check(&o->limits, &err) < 0)
		return cli_usage_error(cmd, "%s", err.msg);
	if (check_security(cmd, o) != 0)
		return EXIT_MINIDOCK_ERROR;
	if (o->userns_remap) {
		/* As Docker: the host's network or every power are the host's root's, not a range's. */
		if (o->privileged)
			return cli_usage_error(cmd, "--privileged and --userns-remap cannot be used together");
		if (o->network && strcmp(o->network, "host") == 0)
			return cli_usage_error(cmd, "--network host and --userns-remap cannot be used together");
		if (o->rootfs)
			return cli_usage_error(cmd, "--userns-remap needs an image: a --rootfs directory is not shifted");
		if (userns_lookup(o->userns_remap, &o->remap, &err) < 0)
			return cli_usage_error(cmd, "%s", err.msg);
	}
	if (o->hostname && !valid_hostname(o->hostname))
		return cli_usage_error(cmd, "invalid hostname \"%s\"", o->hostname);
	if (o->workdir && o->workdir[0] != '/')
		return cli_usage_error(cmd, "the working directory \"%s\" is invalid, it needs to be an absolute path",
				       o->workdir);
	struct in_addr ip;
	if (o->ip && inet_pton(AF_INET, o->ip, &ip) != 1)
		return cli_usage_error(cmd, "invalid IPv4 address: %s", o->ip);
	if (o->ip && (!o->network || strcmp(o->network, "bridge") == 0 || strcmp(o->network, "default") == 0 ||
		      strcmp(o->network, "host") == 0 || strcmp(o->network, "none") == 0))
		return cli_usage_error(cmd, "user specified IP address is supported on user defined networks only");
	if (o->aliases[0] && (!o->network || strcmp(o->network, "bridge") == 0 || strcmp(o->network, "default") == 0 ||
			      strcmp(o->network, "host") == 0 || strcmp(o->network, "none") == 0))
		return cli_usage_error(cmd, "network-scoped alias is supported only for containers in user defined networks");
	if (o->ports[0] && o->network && (strcmp(o->network, "host") == 0 || strcmp(o->network, "none") == 0)) {
		/* Docker's words; the ports are dropped, not an error. */
		if (strcmp(o->network, "host") == 0)
			fprintf(stderr, "WARNING: Published ports are discarded when using host network mode\n");
		o->ports[0] = NULL;
	}
	return 0;
}

/*
 * Append the variables of an --env-file to env, as Docker reads one: a "K=V" per line, taken
 * as it is (no quotes removed); "K" alone copies minidock's own K; blank lines and lines that
 * start with '#' are skipped.
 */
static int read_env_file(const char *path, json_t *env, err_t *err)
{
	_cleanup_free_ char *text = NULL;
	if (fs_read_file(path, 1 << 20, &text, NULL, err) < 0)
		return err_wrap(err, "--env-file");
	size_t number = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		number++;
		line[strcspn(line, "\r")] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (*line == '=')
			return err_msg(err, EINVAL, "--env-file %s, line %zu: variable without a name", path, number);
		if (strchr(line, '='))
			json_array_append_new(env, json_string(line));
		else if (getenv(line))
			json_array_append_new(env, json_sprintf("%s=%s", line, getenv(line)));
	}
	return 0;
}

static json_t *json_strv(char *const *v)
{
	json_t *array = json_array();
	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(array, json_string(v[i]));
	return array;
}

/* The container's description, from the options and (for IMAGE) the image's config. */
/* The volumes and bind mounts of each --volumes-from CONTAINER[:ro|:rw], in its mode or the one
 * given, into a new array *out. */
static int volumes_from(const char *root, char *const *from, json_t **out, err_t *err)
{
	*out = json_array();
	for (size_t i = 0; from[i]; i++) {
		char ref[256];
		const char *colon = strrchr(from[i], ':');
		const char *mode = colon ? colon + 1 : NULL;
		struct container c = { .doc = NULL };
		size_t j;
		json_t *m;
		if (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
			return err_msg(err, EINVAL, "invalid mode for --volumes-from: %s (ro or rw)", mode);
		snprintf(ref, sizeof(ref), "%.*s", (int)(colon ? (size_t)(colon - from[i]) : strlen(from[i])), from[i]);
		if (ctr_load(root, ref, &c, err) < 0)
			return -1;
		json_array_foreach(json_object_get(c.doc, "Mounts"), j, m) {
			const char *type = json_str(m, "Type");
			if (!type || !json_str(m, "Destination") || strcmp(type, "tmpfs") == 0)
				continue; /* a tmpfs is the container's own (and a damaged entry, nobody's) */
			json_t *copy = json_deep_copy(m);
			if (mode) {
				json_object_set_new(copy, "RW", json_boolean(strcmp(mode, "rw") == 0));
				json_object_set_new(copy, "Mode", json_string(mode));
			}
			json_array_append_new(*out, copy);
		}
		ctr_release(&c);
	}
	return 0;
}

static int describe(const struct create_opts *o, const char *root, json_t **out, err_t *err)
{
	_cleanup_strv_ char **argv = NULL;
	_cleanup_strv_ char **image_env = NULL;
	_cleanup_json_ json_t *image_config = NULL;
	const char *workdir = o->workdir, *user = o->user;
	char image_id[DIGEST_HEX_LEN + 8] = "", rootfs[PATH_MAX] = "";
	json_t *env = json_array();
	_cleanup_json_ json_t *labels = json_object();

	if (o->rootfs) {
		struct stat st;
		if (!realpath(o->rootfs, rootfs) || stat(rootfs, &st) < 0) {
			json_decref(env);
			return err_sys(err, "rootfs \"%s\"", o->rootfs);
		}
		if (!S_ISDIR(st.st_mode)) {
			json_decref(env);
			return err_set(err, ENOTDIR, "rootfs \"%s\"", o->rootfs);
		}
		argv = calloc(1, sizeof(char *)); /* stays empty: the command is o->cmd */
	} else {
		/* An image: its config says what to run (lab 3). */
		_cleanup_json_ json_t *store = NULL;
		char id[DIGEST_HEX_LEN + 1];
		const char *image_workdir, *image_user;
		if (store_read(root, &store, err) < 0 || img_resolve(store, o->cmd[0], id, err) < 0 ||
		    img_read_config(root, id, &image_config, err) < 0) {
			json_decref(env);
			return -1;
		}
		json_t *config = json_object_get(image_config, "config");
		if (!json_is_object(config))
			json_object_set_new(image_config, "config", config = json_object());
		/* --entrypoint CMD replaces the image's Entrypoint and, as Docker, drops its Cmd;
		 * --entrypoint "" only drops the Entrypoint. */
		if (o->entrypoint) {
			json_object_set_new(config, "Entrypoint",
					    *o->entrypoint ? json_pack("[s]", o->entrypoint) : json_null());
			if (*o->entrypoint)
				json_object_del(config, "Cmd");
		}
		if (img_command(config, o->cmd + 1, &argv, &image_env, &image_workdir, &image_user, err) < 0) {
			json_decref(env);
			return -1;
		}
		/* The image's labels, under -l's. */
		json_t *image_labels = json_object_get(config, "Labels");
		if (json_is_object(image_labels))
			json_object_update(labels, image_labels);
		snprintf(image_id, sizeof(image_id), "sha256:%s", id);
		if (!workdir)
			workdir = image_workdir;
		if (!user && *image_user)
			user = image_user;
		/* The image's Env first, so that -e overrides it. */
		for (size_t i = 0; image_env[i]; i++)
			json_array_append_new(env, json_string(image_env[i]));
	}
	for (size_t i = 0; o->env_files[i]; i++) {
		if (read_env_file(o->env_files[i], env, err) < 0) {
			json_decref(env);
			return -1;
		}
	}
	for (size_t i = 0; o->env[i]; i++)
		json_array_append_new(env, json_string(o->env[i]));
	for (size_t i = 0; o->labels[i]; i++) {
		const char *eq = strchr(o->labels[i], '=');
		json_object_setn_new(labels, o->labels[i], eq ? (size_t)(eq - o->labels[i]) : strlen(o->labels[i]),
				     json_string(eq ? eq + 1 : ""));
	}
	/* Docker: a container with a terminal gets TERM=xterm, unless the image or -e set TERM. */
	bool has_term = false;
	size_t at;
	json_t *entry;
	json_array_foreach(env, at, entry)
		has_term = has_term || strncmp(json_string_value(entry), "TERM=", 5) == 0 ||
			   strcmp(json_string_value(entry), "TERM") == 0;
	if (o->tty && !has_term)
		json_array_append_new(env, json_string("TERM=xterm"));
	char *const *cmd = o->rootfs ? o->cmd : argv;
	json_t *tmpfs = json_object();
	for (size_t i = 0; o->tmpfs[i]; i++)
		json_object_set_new(tmpfs, o->tmpfs[i], json_string(""));

	json_t *doc = json_pack("{s:s?, s:s, s:o, s:s, s:s, s:{s:s, s:s, s:o, s:o, s:s, s:s, s:b, s:b, s:b, s:b}, "
				"s:{s:b, s:b, s:b, s:o}}",
				"Name", o->name, "Path", cmd[0], "Args", json_strv((char **)cmd + 1),
				"Image", image_id, "Rootfs", rootfs,
				"Config", "Hostname", o->hostname ? o->hostname : "", "User", user ? user : "",
				"Env", env, "Cmd", json_strv((char **)cmd), "Image",
				o->rootfs ? "" : o->cmd[0], "WorkingDir", workdir ? workdir : "/", "Tty", o->tty,
				"OpenStdin", o->interactive, "AttachStdout", !o->detach, "AttachStderr", !o->detach,
				"HostConfig", "AutoRemove", o->rm, "Init", o->init, "ReadonlyRootfs", o->readonly,
				"Tmpfs", tmpfs);
	if (doc) {
		json_t *host_config = json_object_get(doc, "HostConfig");
		/* Docker writes "default" when --network was not given (the default network, bridge). */
		json_object_set_new(host_config, "NetworkMode", json_string(o->network ? o->network : "default"));
		/* --ip and --network-alias, where Docker keeps them: the endpoint's configuration. */
		if (o->ip || o->aliases[0]) {
			json_t *endpoint = json_object();
			if (o->ip)
				json_object_set_new(endpoint, "IPAMConfig", json_pack("{s:s}", "IPv4Address", o->ip));
			if (o->aliases[0])
				json_object_set_new(endpoint, "Aliases", json_strv(o->aliases));
			json_object_set_new(doc, "NetworkingConfig",
					    json_pack("{s:{s:o}}", "EndpointsConfig", o->network, endpoint));
		}
		json_object_set_new(host_config, "PortBindings", json_strv(o->ports));
		json_object_set(json_object_get(doc, "Config"), "Labels", labels);
		/* Lab 5: Docker's fields, null or 0 when not set. */
		json_object_set_new(host_config, "Privileged", json_boolean(o->privileged));
		json_object_set_new(host_config, "CapAdd", o->cap_add[0] ? json_strv(o->cap_add) : json_null());
		json_object_set_new(host_config, "CapDrop", o->cap_drop[0] ? json_strv(o->cap_drop) : json_null());
		json_object_set_new(host_config, "SecurityOpt", o->security_opts[0] ? json_strv(o->security_opts) : json_null());
		cg_limits_to_config(&o->limits, host_config);
		json_object_set_new(host_config, "UsernsRemap",
				    o->userns_remap ? json_pack("{s:s, s:I, s:I, s:I}", "Name", o->userns_remap, "Uid",
								(json_int_t)o->remap.uid, "Gid", (json_int_t)o->remap.gid,
								"Size", (json_int_t)o->remap.count)
						    : json_null());
		json_object_set_new(host_config, "RestartPolicy",
				    json_pack("{s:s, s:i}", "Name", o->restart ? o->restart : "no", "MaximumRetryCount",
					      (int)o->restart_max));
		/* Lab 10: its mounts; the volumes they need made now, as Docker makes them at create. */
		json_object_set_new(host_config, "Binds", o->volumes[0] ? json_strv(o->volumes) : json_null());
		json_object_set_new(host_config, "VolumesFrom", o->volumes_from[0] ? json_strv(o->volumes_from) : json_null());
		const json_t *image_volumes = json_object_get(json_object_get(image_config, "config"), "Volumes");
		_cleanup_json_ json_t *inherited = NULL;
		json_t *mounts;
		if (volumes_from(root, o->volumes_from, &inherited, err) < 0 ||
		    vol_mounts_make(root, o->volumes, o->mounts, inherited,
				    json_is_object(image_volumes) ? image_volumes : NULL, o->privileged, &mounts, err) < 0) {
			json_decref(doc);
			return -1;
		}
		json_object_set_new(doc, "Mounts", mounts);
	}
	if (!doc)
		return err_msg(err, ENOMEM, "describe the container");
	*out = doc;
	return 0;
}

/*
 * An image that is not in the store is pulled first, as Docker does ("Unable to find image
 * locally"), when its name names a registry (localhost:5000/app): a name of Docker Hub's
 * ("busybox") is not, so that nothing leaves the machine unless a user asks (`minidock pull`).
 */
static int pull_if_missing(const char *root, const char *ref, err_t *err)
{
	_cleanup_json_ json_t *store = NULL;
	char id[DIGEST_HEX_LEN + 1], full[DIGEST_LEN + 1];
	struct reg_ref r;
	if (store_read(root, &store, err) < 0)
		return -1;
	if (img_resolve(store, ref, id, err) == 0 || err->code != ENOENT)
		return 0; /* there, or a fault describe() says */
	if (reg_parse_ref(ref, &r, err) < 0 || strcmp(r.host, "docker.io") == 0)
		return 0; /* describe() says "No such image" */
	fprintf(stderr, "Unable to find image '%s%s%s' locally\n", r.name, r.digest[0] ? "@" : ":",
		r.digest[0] ? r.digest : r.tag);
	return img_pull(root, ref, stderr, false, full, err);
}

/* Parse, describe and create: the common part of `create` and `run`. Returns 0, or an exit
 * status (the error printed). */
static int create_container(const struct command *cmd, int argc, char **argv, const struct cli_ctx *ctx,
			    struct create_opts *o, struct container *out)
{
	char root[PATH_MAX];
	err_t err;

	int usage = parse_create(cmd, argc, argv, o);
	if (usage != 0)
		return usage < 0 ? -1 : usage;
	if (cli_state_dir(ctx, root, &err) < 0)
		return cli_fail(&err);
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_json_ json_t *networks = NULL;
	if (o->network && (net_store_read(root, &networks, &err) < 0 || !net_find(networks, o->network, &err))) {
		/* Not this host's: one of its cluster's overlay networks (lab 9), if it may be joined. */
		_cleanup_json_ json_t *overlay = NULL;
		if (err.code != ENOENT || !ov_configured(root) || ov_find(root, o->network, &overlay, &err) < 0)
			return cli_fail(&err);
		if (!json_is_true(json_object_get(overlay, "Attachable"))) {
			err_msg(&err, EPERM, "Could not attach to network %s: network %s not manually attachable", o->network,
				o->network);
			return cli_fail(&err);
		}
	}
	if (!o->rootfs && pull_if_missing(root, o->cmd[0], &err) < 0)
		return cli_fail(&err);
	if (describe(o, root, &doc, &err) < 0)
		return cli_fail(&err);
	if (ctr_create(root, doc, out, &err) < 0) {
		ctr_volume_release(root, doc); /* the anonymous volumes made for it */
		return cli_fail(&err);
	}
	log_debug("created container %.12s (%s)", out->id, json_str(out->doc, "Name"));
	return 0;
}

/* Before lab 4: run the container in the foreground, as a child of this process. */
static int run_without_monitor(struct container *c, err_t *err)
{
	struct ctr_spec spec;
	pid_t pid;
	int status = EXIT_MINIDOCK_ERROR;

	if (ctr_spec_make(c, &spec, err) < 0)
		return -1;
	int failed = proc_spawn(&spec.run, &pid, err) < 0 || proc_wait(pid, &status, err) < 0;
	ctr_spec_free(&spec);
	return failed ? -1 : status;
}

/*
 * Start c and, when attach, wait for its end: its exit status, or -1 with *err. With
 * io_tty, c gets a new pty. Without attach, returns 0 once c runs.
 */
static int start_container(struct container *c, bool attach, bool interactive, err_t *err)
{
	bool tty = json_is_true(json_object_get(json_object_get(c->doc, "Config"), "Tty"));
	struct ctr_io io = { .attach = attach, .open_stdin = attach && interactive, .tty = tty, .tty_master = -1 };
	pid_t monitor, pid;

	if (attach)
		attach_block_signals();
	if (ctr_start(c, &io, &monitor, &pid, err) < 0)
		return -1;
	/* A network set up only in part (a lab not written yet) says so, as Docker's warnings. */
	err_t ignored;
	if (ctr_reload(c, &ignored) == 0) {
		const char *warning = json_str(json_object_get(c->doc, "NetworkSettings"), "Warning");
		if (warning)
			fprintf(stderr, "WARNING: %s\n", warning);
	}
	/* With -t, the container's terminal (of its own devpts): its master side, for our keys. */
	_cleanup_close_ int master = io.tty_master;
	if (master >= 0)
		attach_winsize(master);
	log_debug("container %.12s: PID 1 is %d, its monitor %d", c->id, (int)pid, (int)monitor);
	if (!attach)
		return 0;
	struct attach a = { .wait_pid = monitor, .signal_pid = pid, .master = master,
			    .relay_stdin = interactive && tty, .relay_output = false };
	int status;
	if (attach_wait(&a, &status, err) < 0)
		return -1;
	log_debug("container %.12s: exited with status %d", c->id, status);
	return status;
}

static int run_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	struct create_opts o = { 0 };
	_cleanup_free_ char **lists = opts_lists(&o, argc);
	struct container c;
	err_t err;

	if (!lists)
		return EXIT_MINIDOCK_ERROR;
	log_debug("run: parsing the options");
	int created = create_container(&cmd_run, argc, argv, ctx, &o, &c);
	if (created != 0)
		return created < 0 ? 0 : created;

	/* MINIDOCK_NO_MONITOR=1 (stage 1's tests): the labs 1-3 way even with lab 4 there, so
	 * that lab 1's proc_wait() is what waits. */
	bool without_monitor = !o.detach && !o.tty && getenv("MINIDOCK_NO_MONITOR");
	int status = without_monitor ? -1 : start_container(&c, !o.detach, o.interactive, &err);
	if (without_monitor || (status < 0 && lab_missing(&err, 4) && !o.detach && !o.tty)) {
		/* Lab 4 not written yet: the labs 1-3 way, and no container is kept. */
		err_t ignored;
		status = run_without_monitor(&c, &err);
		ctr_remove(&c, true, &ignored);
	} else if (status < 0 && o.rm) {
		err_t ignored; /* --rm: a container that could not start goes too */
		ctr_remove(&c, true, &ignored);
	}
	if (status < 0) {
		ctr_release(&c);
		return cli_fail(&err);
	}
	if (o.detach)
		printf("%s\n", c.id);
	ctr_release(&c);
	return status;
}

static int create_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	struct create_opts o = { 0 };
	_cleanup_free_ char **lists = opts_lists(&o, argc);
	struct container c;

	if (!lists)
		return EXIT_MINIDOCK_ERROR;
	int created = create_container(&cmd_create, argc, argv, ctx, &o, &c);
	if (created != 0)
		return created < 0 ? 0 : created;
	printf("%s\n", c.id);
	ctr_release(&c);
	return 0;
}

static int start_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "attach", no_argument, NULL, 'a' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	bool attach = false, interactive = false;
	int opt, status = 0;

	while ((opt = getopt_long(argc, argv, "+:ai", options, NULL)) != -1) {
		if (opt == 'a')
			attach = true;
		else if (opt == 'i')
			interactive = true;
		else if (opt == 'H')
			return cli_help(&cmd_start);
		else
			return cli_usage_error(&cmd_start, "unknown flag: %s", argv[optind - 1]);
	}
	if (optind == argc)
		return cli_args_error(&cmd_start, "requires at least 1 argument");
	if (attach && argc - optind > 1)
		return cli_usage_error(&cmd_start, "you cannot start and attach multiple containers at once");
	for (int i = optind; i < argc; i++) {
		struct container c = { .doc = NULL };
		err_t err;
		if (ctr_load(ctx->root, argv[i], &c, &err) < 0) {
			cli_fail(&err);
			status = 1;
			continue;
		}
		/* Docker: starting a running container is not an error, and changes nothing. */
		if (ctr_monitor_alive(&c)) {
			if (!attach)
				printf("%s\n", argv[i]);
			ctr_release(&c);
			continue;
		}
		int result = start_container(&c, attach, interactive, &err);
		if (result < 0) {
			status = cli_fail(&err);
			if (!attach)
				status = 1;
		} else if (attach) {
			status = result;
		} else {
			printf("%s\n", argv[i]);
		}
		ctr_release(&c);
	}
	return status;
}

int cli_build_run(const struct build_opts *bo, const char *image_id, char *const argv[], char *const env[],
		  char ctr_id[65], err_t *err)
{
	size_t n_argv = 0, n_env = 0;
	while (argv[n_argv])
		n_argv++;
	while (env && env[n_env])
		n_env++;
	/* run --network NET --entrypoint "" [-e K=V]... IMAGE ARGV... */
	size_t argc = 0;
	_cleanup_free_ char **args = calloc(6 + 2 * n_env + n_argv + 1, sizeof(char *));
	if (!args)
		return err_msg(err, ENOMEM, "RUN");
	args[argc++] = "run";
	args[argc++] = "--network";
	args[argc++] = (char *)bo->network;
	args[argc++] = "--entrypoint=";
	for (size_t i = 0; i < n_env; i++) {
		args[argc++] = "-e";
		args[argc++] = env[i];
	}
	args[argc++] = (char *)image_id;
	for (size_t i = 0; i < n_argv; i++)
		args[argc++] = argv[i];
	struct create_opts o = { 0 };
	_cleanup_free_ char **lists = opts_lists(&o, (int)argc);
	struct container c;
	if (!lists)
		return err_msg(err, ENOMEM, "RUN");
	optind = 0; /* getopt starts again: the build's own flags were parsed with it */
	int created = create_container(&cmd_run, (int)argc, args, bo->cli, &o, &c);
	if (created != 0) /* the reason is printed */
		return err_msg(err, EINVAL, "RUN: the step's container could not be made");
	snprintf(ctr_id, 65, "%s", c.id);
	fprintf(bo->out, " ---> Running in %.12s\n", c.id);
	fflush(bo->out);
	/* build -q: the steps' output is not shown */
	int saved[2] = { -1, -1 };
	if (bo->quiet) {
		_cleanup_close_ int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		for (int fd = 1; fd <= 2 && null >= 0; fd++) {
			saved[fd - 1] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
			dup2(null, fd);
		}
	}
	int status = start_container(&c, true, false, err);
	for (int fd = 1; fd <= 2; fd++)
		if (saved[fd - 1] >= 0) {
			dup2(saved[fd - 1], fd);
			close(saved[fd - 1]);
		}
	ctr_release(&c);
	return status;
}
