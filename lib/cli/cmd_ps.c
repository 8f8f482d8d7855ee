/*
 * cmd_ps.c - `minidock ps` and `minidock inspect`: the containers, as a table or as JSON.
 *
 * Both only read the store (container.h), which makes each container's state true as it
 * loads it: a container whose monitor died shows as exited, never as "Up".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "json.h"
#include "network.h"
#include "store.h"
#include "template.h"
#include "timefmt.h"

static int ps_main(int argc, char **argv, const struct cli_ctx *ctx);
static int inspect_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_ps = {
	.name = "ps",
	.usage = "[OPTIONS]",
	.summary = "List containers",
	.help = "Options:\n"
		"  -a, --all        show all containers (default: only running ones)\n"
		"  -q, --quiet      print only the ids\n"
		"      --no-trunc   print whole ids and commands\n"
		"      --format T   print each through the Go template T ({{.ID}} {{.Names}} {{.Status}}\n"
		"                   {{.Image}} {{.Command}} {{.Ports}} {{.Labels}} {{.State}}...);\n"
		"                   \"table T\" for columns with a header\n"
		"  -f, --filter K=V only those that match: id=, name=, status=, exited=, label=K[=V]\n"
		"      --help       print this help\n",
	.run = ps_main,
};

const struct command cmd_inspect = {
	.name = "inspect",
	.usage = "[OPTIONS] NAME|ID [NAME|ID...]",
	.summary = "Show containers, images or networks as JSON",
	.help = "Options:\n"
		"  -f, --format TEMPLATE   print each through the Go template TEMPLATE: {{.State.Status}},\n"
		"                          {{json .Config}}, {{range .Config.Env}}{{println .}}{{end}}, ...\n"
		"      --type TYPE         only a container, image or network (default: the first found)\n"
		"      --help              print this help\n",
	.run = inspect_main,
};

/* Seconds since the RFC 3339 time text, or -1 when text is not one. */
static double seconds_since(const char *text)
{
	struct timespec then, now;

	if (!text || !time_parse_rfc3339(text, &then))
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	return (double)(now.tv_sec - then.tv_sec) + (double)(now.tv_nsec - then.tv_nsec) / 1e9;
}

/* Docker's STATUS column: "Up 5 seconds", "Exited (0) 2 minutes ago", "Created". */
static void status_text(const json_t *state, char *out, size_t size)
{
	const char *status = json_str(state, "Status");
	char since[64];

	if (status && strcmp(status, "running") == 0) {
		time_human_duration(seconds_since(json_str(state, "StartedAt")), since, sizeof(since));
		snprintf(out, size, "Up %s%s", since, json_is_true(json_object_get(state, "Paused")) ? " (Paused)" : "");
	} else if (status && strcmp(status, "exited") == 0 && json_is_true(json_object_get(state, "Restarting"))) {
		time_human_duration(seconds_since(json_str(state, "FinishedAt")), since, sizeof(since));
		snprintf(out, size, "Restarting (%d) %s ago", (int)json_integer_value(json_object_get(state, "ExitCode")),
			 since);
	} else if (status && strcmp(status, "exited") == 0) {
		time_human_duration(seconds_since(json_str(state, "FinishedAt")), since, sizeof(since));
		snprintf(out, size, "Exited (%d) %s ago", (int)json_integer_value(json_object_get(state, "ExitCode")),
			 since);
	} else if (status && strcmp(status, "created") == 0) {
		snprintf(out, size, "Created");
	} else {
		snprintf(out, size, "Dead");
	}
}

/* Append arg to line (n bytes used of size) as a shell would need it: in single quotes when it
 * is empty or holds a space or a quote, as Docker's COMMAND column shows `sh -c 'exit 2'`. */
static size_t append_arg(char *line, size_t n, size_t size, const char *arg)
{
	bool quote = !*arg || strpbrk(arg, " \t\n'\"\\$`") != NULL;

	if (n < size && quote)
		n += (size_t)snprintf(line + n, size - n, "'");
	for (const char *c = arg; *c && n < size; c++)
		n += (size_t)snprintf(line + n, size - n, quote && *c == '\'' ? "'\\''" : "%c", *c);
	if (n < size && quote)
		n += (size_t)snprintf(line + n, size - n, "'");
	return n;
}

/* Docker's COMMAND column: the command line in quotes, cut to 20 characters with "…". */
static void command_text(const json_t *doc, bool no_trunc, char *out, size_t size)
{
	char line[512] = "";
	size_t n = append_arg(line, 0, sizeof(line), json_str(doc, "Path") ? json_str(doc, "Path") : "");
	size_t i;
	json_t *arg;

	json_array_foreach(json_object_get(doc, "Args"), i, arg) {
		if (n < sizeof(line))
			n += (size_t)snprintf(line + n, sizeof(line) - n, " ");
		n = append_arg(line, n, sizeof(line), json_string_value(arg) ? json_string_value(arg) : "");
	}
	if (!no_trunc && strlen(line) > 20)
		snprintf(out, size, "\"%.19s…\"", line);
	else
		snprintf(out, size, "\"%s\"", line);
}

/* Docker's PORTS column: "0.0.0.0:8080->80/tcp, 127.0.0.1:9000->90/udp". */
static void ports_text(const json_t *doc, char *out, size_t size)
{
	const json_t *ports = json_object_get(json_object_get(doc, "NetworkSettings"), "Ports");
	size_t n = 0;
	const char *key;
	json_t *list;

	out[0] = '\0';
	json_object_foreach((json_t *)ports, key, list) {
		size_t i;
		json_t *binding;
		json_array_foreach(list, i, binding) {
			const char *ip = json_str(binding, "HostIp"), *port = json_str(binding, "HostPort");
			if (ip && port && n < size)
				n += (size_t)snprintf(out + n, size - n, "%s%s:%s->%s", n ? ", " : "", ip, port, key);
		}
	}
}

/* A container as one row of `ps`: the fields Docker's `ps --format` templates know. */
static json_t *ps_row(const struct container *c, bool no_trunc)
{
	const json_t *doc = c->doc;
	const char *image = json_str(json_object_get(doc, "Config"), "Image");
	char id[CTR_ID_LEN + 1], command[512], ago[64], created[80], status[160], ports[160];
	const char *name = json_str(doc, "Name");

	snprintf(id, sizeof(id), "%.*s", no_trunc ? CTR_ID_LEN : 12, c->id);
	command_text(doc, no_trunc, command, sizeof(command));
	double age = seconds_since(json_str(doc, "Created"));
	time_human_duration(age, ago, sizeof(ago));
	snprintf(created, sizeof(created), "%s%s", age < 0 ? "" : ago, age < 0 ? "" : " ago");
	status_text(json_object_get(doc, "State"), status, sizeof(status));
	if (ctr_damaged(c))
		snprintf(status, sizeof(status), "Dead (damaged state)");
	ports_text(doc, ports, sizeof(ports));
	/* Labels as Docker's column: k=v,k=v. */
	json_t *labels = json_object_get(json_object_get(doc, "Config"), "Labels");
	char label_text[512] = "";
	size_t n = 0;
	const char *key;
	json_t *value;
	json_object_foreach(labels, key, value)
		if (n < sizeof(label_text))
			n += (size_t)snprintf(label_text + n, sizeof(label_text) - n, "%s%s=%s", n ? "," : "", key,
					      json_string_value(value) ? json_string_value(value) : "");
	char networks[256] = "";
	n = 0;
	json_object_foreach(json_object_get(json_object_get(doc, "NetworkSettings"), "Networks"), key, value)
		if (n < sizeof(networks))
			n += (size_t)snprintf(networks + n, sizeof(networks) - n, "%s%s", n ? "," : "", key);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "Image",
			 image && *image ? image : json_str(doc, "Rootfs") ? json_str(doc, "Rootfs") : "", "Command",
			 command, "CreatedAt", json_str(doc, "Created") ? json_str(doc, "Created") : "", "RunningFor",
			 created, "Ports", ports, "Status", status, "Names", name && *name ? name + 1 : "", "Labels",
			 label_text, "State", ctr_status(c), "Networks", networks, "Mounts", "");
}

/* The column titles of Docker's `ps --format "table ..."`, by field. */
static json_t *ps_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "CONTAINER ID", "Image",
			 "IMAGE", "Command", "COMMAND", "CreatedAt", "CREATED AT", "RunningFor", "CREATED", "Ports",
			 "PORTS", "Status", "STATUS", "Names", "NAMES", "Labels", "LABELS", "State", "STATE", "Networks",
			 "NETWORKS", "Mounts", "MOUNTS");
}

/* Does c pass filter "key=value" (Docker's ps -f)? */
static bool passes(const struct container *c, const char *filter)
{
	const char *eq = strchr(filter, '=');
	const char *value = eq + 1;
	size_t key_len = (size_t)(eq - filter);
	const json_t *doc = c->doc;

	if (strncmp(filter, "id", key_len) == 0 && key_len == 2)
		return strncmp(c->id, value, strlen(value)) == 0;
	if (strncmp(filter, "name", key_len) == 0 && key_len == 4)
		return strstr(json_str(doc, "Name") ? json_str(doc, "Name") : "", value) != NULL;
	if (strncmp(filter, "status", key_len) == 0 && key_len == 6)
		return strcmp(ctr_status(c), value) == 0;
	if (strncmp(filter, "exited", key_len) == 0 && key_len == 6)
		return strcmp(ctr_status(c), "exited") == 0 &&
		       json_integer_value(json_object_get(json_object_get(doc, "State"), "ExitCode")) == atoi(value);
	/* label=KEY or label=KEY=VALUE */
	const json_t *labels = json_object_get(json_object_get(doc, "Config"), "Labels");
	const char *label_eq = strchr(value, '=');
	const json_t *label = json_object_getn(labels, value, label_eq ? (size_t)(label_eq - value) : strlen(value));
	return label && (!label_eq || (json_is_string(label) && strcmp(json_string_value(label), label_eq + 1) == 0));
}

/* Does c pass every kind of filter (one of each kind's values: Docker ORs a key's values)? */
static bool passes_all(const struct container *c, char *const *filters)
{
	for (size_t i = 0; filters[i]; i++) {
		size_t key_len = (size_t)(strchr(filters[i], '=') - filters[i]);
		bool any = false;
		for (size_t j = 0; filters[j] && !any; j++)
			if (strncmp(filters[j], filters[i], key_len + 1) == 0)
				any = passes(c, filters[j]);
		if (!any)
			return false;
	}
	return true;
}

#define PS_TABLE "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

static int ps_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "all", no_argument, NULL, 'a' },     { "quiet", no_argument, NULL, 'q' },
		{ "no-trunc", no_argument, NULL, 'T' }, { "format", required_argument, NULL, 'F' },
		{ "filter", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	bool all = false, quiet = false, no_trunc = false;
	const char *format = PS_TABLE;
	_cleanup_free_ char **filters = calloc((size_t)argc + 1, sizeof(char *));
	size_t n_filters = 0;
	int opt;

	if (!filters)
		return EXIT_MINIDOCK_ERROR;
	while ((opt = getopt_long(argc, argv, ":aqf:", options, NULL)) != -1) {
		if (opt == 'a') {
			all = true;
		} else if (opt == 'q') {
			quiet = true;
		} else if (opt == 'T') {
			no_trunc = true;
		} else if (opt == 'F') {
			format = optarg;
		} else if (opt == 'f') {
			static const char *const keys[] = { "id=", "name=", "status=", "exited=", "label=" };
			bool known = false;
			for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
				known |= strncmp(optarg, keys[k], strlen(keys[k])) == 0;
			if (!strchr(optarg, '='))
				return cli_usage_error(&cmd_ps, "bad format of filter (expected name=value)");
			if (!known)
				return fprintf(stderr, "minidock: invalid filter '%.*s'\n", (int)strcspn(optarg, "="), optarg),
				       EXIT_ARGS_ERROR;
			/* Asking for a status (or an exit code) asks for stopped containers too. */
			all |= strncmp(optarg, "status=", 7) == 0 || strncmp(optarg, "exited=", 7) == 0;
			filters[n_filters++] = optarg;
		} else if (opt == 'H') {
			return cli_help(&cmd_ps);
		} else if (opt == ':') {
			return cli_usage_error(&cmd_ps, "flag needs an argument: %s", argv[optind - 1]);
		} else {
			return cli_usage_error(&cmd_ps, "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_args_error(&cmd_ps, "accepts no arguments");

	struct container *list;
	size_t n;
	err_t err;
	if (ctr_list(ctx->root, &list, &n, &err) < 0) {
		cli_fail(&err);
		return 1;
	}
	_cleanup_json_ json_t *rows = json_array();
	_cleanup_json_ json_t *header = ps_header();
	int status = 0;
	for (size_t i = 0; rows && i < n; i++) {
		if ((!all && !ctr_monitor_alive(&list[i])) || !passes_all(&list[i], filters))
			continue;
		if (quiet)
			printf("%.*s\n", no_trunc ? CTR_ID_LEN : 12, list[i].id);
		else
			json_array_append_new(rows, ps_row(&list[i], no_trunc));
	}
	if (!rows || !header)
		status = cli_fail((err_msg(&err, ENOMEM, "out of memory"), &err));
	else if (!quiet && cli_print_rows(format, header, rows, &err) < 0)
		status = cli_fail(&err);
	ctr_free_list(list, n);
	return status;
}

/* What ref names, for `inspect` as Docker's: a container first, then an image, then a
 * network (type: "" for any, or the one asked for with --type). A new reference in *out. */
static int inspect_one(const struct cli_ctx *ctx, const char *ref, const char *type, json_t **images,
		       json_t **networks, json_t **out, err_t *err)
{
	char root[PATH_MAX];
	bool any = !*type;

	if (any || strcmp(type, "container") == 0) {
		struct container c = { .doc = NULL };
		if (ctr_load(ctx->root, ref, &c, err) == 0) {
			json_object_del(c.doc, "MonitorPid"); /* minidock's own bookkeeping */
			*out = json_incref(c.doc);
			ctr_release(&c);
			return 0;
		}
		if (err->code != ENOENT || !any)
			return -1;
	}
	if (!realpath(ctx->root, root))
		return err_msg(err, ENOENT, "No such object: %s", ref);
	if (any || strcmp(type, "image") == 0) {
		if (!*images && store_read(root, images, err) < 0)
			return -1;
		if (img_inspect(root, *images, ref, out, err) == 0)
			return 0;
		if (err->code != ENOENT || !any)
			return -1;
	}
	if (!*networks && net_store_read(root, networks, err) < 0)
		return -1;
	json_t *net = net_find(*networks, ref, err);
	if (!net)
		return any ? err_msg(err, ENOENT, "No such object: %s", ref) : -1;
	*out = net_inspect_json(net);
	return 0;
}

static int inspect_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "type", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	const char *format = NULL, *type = "";
	int opt, status = 0;

	while ((opt = getopt_long(argc, argv, ":f:", options, NULL)) != -1) {
		if (opt == 'f')
			format = optarg;
		else if (opt == 't')
			type = optarg;
		else if (opt == 'H')
			return cli_help(&cmd_inspect);
		else if (opt == ':')
			return cli_usage_error(&cmd_inspect, "flag needs an argument: %s", argv[optind - 1]);
		else
			return cli_usage_error(&cmd_inspect, "unknown flag: %s", argv[optind - 1]);
	}
	if (optind == argc)
		return cli_args_error(&cmd_inspect, "requires at least 1 argument");
	if (*type && strcmp(type, "container") != 0 && strcmp(type, "image") != 0 && strcmp(type, "network") != 0)
		return cli_usage_error(&cmd_inspect, "\"%s\" is not a valid value for --type", type);

	_cleanup_json_ json_t *all = json_array();
	_cleanup_json_ json_t *images = NULL;
	_cleanup_json_ json_t *networks = NULL;
	for (int i = optind; i < argc; i++) {
		json_t *shown;
		err_t err;
		if (inspect_one(ctx, argv[i], type, &images, &networks, &shown, &err) < 0) {
			cli_fail(&err);
			status = 1;
			continue;
		}
		json_array_append_new(all, shown);
	}
	err_t err;
	if (format)
		return cli_print_format(format, all, &err) < 0 ? cli_fail(&err) : status;
	_cleanup_free_ char *text = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	puts(text ? text : "[]");
	return status;
}
