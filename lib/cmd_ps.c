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
#include "image.h"
#include "network.h"
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
		snprintf(out, size, "Up %s", since);
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

static int ps_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-trunc", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	bool all = false, quiet = false, no_trunc = false;
	int opt;

	while ((opt = getopt_long(argc, argv, ":aq", options, NULL)) != -1) {
		if (opt == 'a')
			all = true;
		else if (opt == 'q')
			quiet = true;
		else if (opt == 'T')
			no_trunc = true;
		else if (opt == 'H')
			return cli_help(&cmd_ps);
		else
			return cli_usage_error(&cmd_ps, "unknown flag: %s", argv[optind - 1]);
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
	/* The rows first, to size the columns (Docker's tabwriter: 3 spaces between columns). */
	enum { ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES, N_COLUMNS };
	static const char *const header[N_COLUMNS] = { "CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
							"STATUS",       "PORTS", "NAMES" };
	char(*rows)[N_COLUMNS][160] = calloc(n + 1, sizeof(*rows));
	size_t width[N_COLUMNS], n_rows = 0;
	if (!rows) {
		ctr_free_list(list, n);
		return 1;
	}
	for (int col = 0; col < N_COLUMNS; col++) {
		snprintf(rows[0][col], sizeof(rows[0][col]), "%s", header[col]);
		width[col] = strlen(header[col]);
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *doc = list[i].doc;
		if (!all && !ctr_monitor_alive(&list[i]))
			continue;
		if (quiet) {
			printf("%.*s\n", no_trunc ? CTR_ID_LEN : 12, list[i].id);
			continue;
		}
		char(*row)[160] = rows[++n_rows];
		char ago[64];
		const char *image = json_str(json_object_get(doc, "Config"), "Image");
		snprintf(row[ID], 160, "%.*s", no_trunc ? CTR_ID_LEN : 12, list[i].id);
		snprintf(row[IMAGE], 160, "%s", image && *image ? image : json_str(doc, "Rootfs"));
		command_text(doc, no_trunc, row[COMMAND], 160);
		double age = seconds_since(json_str(doc, "Created"));
		time_human_duration(age, ago, sizeof(ago));
		snprintf(row[CREATED], 160, "%s%s", age < 0 ? "" : ago, age < 0 ? "" : " ago");
		status_text(json_object_get(doc, "State"), row[STATUS], 160);
		if (ctr_damaged(&list[i]))
			snprintf(row[STATUS], 160, "Dead (damaged state)");
		ports_text(doc, row[PORTS], 160);
		snprintf(row[NAMES], 160, "%s", json_str(doc, "Name") + 1);
		for (int col = 0; col < N_COLUMNS; col++) {
			/* "…" is 3 bytes but one column wide. */
			size_t w = strlen(row[col]) - (strstr(row[col], "…") ? 2 : 0);
			if (w > width[col])
				width[col] = w;
		}
	}
	for (size_t r = 0; !quiet && r <= n_rows; r++) {
		for (int col = 0; col < N_COLUMNS; col++) {
			const char *cell = rows[r][col];
			size_t w = strlen(cell) - (strstr(cell, "…") ? 2 : 0);
			if (col == N_COLUMNS - 1)
				printf("%s\n", cell);
			else
				printf("%s%*s", cell, (int)(width[col] - w + 3), "");
		}
	}
	free(rows);
	ctr_free_list(list, n);
	return 0;
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
