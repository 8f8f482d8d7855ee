/*
 * cmd_network.c - `minidock network create|ls|inspect|rm` and `minidock port`.
 *
 * The bookkeeping is network.c's (ROOT/networks.json); making a network's bridge is lab 7's,
 * done when its first container starts, and undone here by `network rm`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "ctr_net.h"
#include "fsutil.h"
#include "json.h"
#include "macvlan.h"
#include "network.h"
#include "ov_net.h"

/* `network connect [--alias NAME]... NETWORK CONTAINER` and `network disconnect NETWORK
 * CONTAINER`. A container not started yet, on the network it was made for, only gets its
 * aliases written down (docker-compose connects its containers so, before their start). */
static int network_connect(int argc, char **argv, const char *root)
{
	static const struct option options[] = { { "alias", required_argument, NULL, 'a' }, { 0 } };
	bool connect = strcmp(argv[0], "connect") == 0;
	_cleanup_json_ json_t *aliases = json_array();
	err_t err;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+:", options, NULL)) != -1) {
		if (opt != 'a' || !connect)
			return cli_usage_error(&cmd_network, "%s: %s", argv[0],
					       opt == ':' ? "flag needs an argument: --alias" : "unknown flag");
		json_array_append_new(aliases, json_string(optarg));
	}
	if (argc - optind != 2)
		return cli_args_error(&cmd_network, "%s: requires exactly 2 arguments: NETWORK CONTAINER", argv[0]);
	const char *net = argv[optind], *ref = argv[optind + 1];
	size_t i;
	json_t *a;
	json_array_foreach(aliases, i, a) {
		const char *name = json_string_value(a);
		if (!*name || strlen(name) > 63 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != strlen(name))
			return cli_usage_error(&cmd_network, "connect: invalid alias \"%s\"", name);
	}
	struct container c = { .doc = NULL };
	if (ctr_load(root, ref, &c, &err) < 0)
		return cli_fail(&err), 1;
	const char *mode = json_str(json_object_get(c.doc, "HostConfig"), "NetworkMode");
	bool made_for = connect && strcmp(ctr_status(&c), "created") == 0 && mode && strcmp(mode, net) == 0;
	int rc = made_for ? 0 : connect ? ctr_net_connect(&c, net, &err) : ctr_net_disconnect(&c, net, &err);
	if (rc == 0 && json_array_size(aliases))
		rc = ctr_record_aliases(&c, net, aliases, &err);
	ctr_release(&c);
	return rc < 0 ? (cli_fail(&err), 1) : 0;
}

static int network_main(int argc, char **argv, const struct cli_ctx *ctx);
static int port_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_network = {
	.name = "network",
	.usage = "COMMAND",
	.summary = "Manage networks",
	.help = "Commands:\n"
		"  create [-d DRIVER] [--subnet CIDR] [--gateway IP] [--ip-range CIDR] [--internal]\n"
		"         [-o parent=IFACE] [-o macvlan_mode=MODE] [-o ipvlan_mode=MODE] [--attachable]\n"
		"         [--label K=V] NAME\n"
		"                      make a network: DRIVER bridge (the default), macvlan, ipvlan or\n"
		"                      overlay (across the hosts of a cluster: ROOT/daemon.json names its\n"
		"                      store); subnet: the next of Docker's pools\n"
		"  ls [-q]             list networks\n"
		"  inspect NETWORK...  show networks as JSON, with their containers\n"
		"  rm NETWORK...       remove networks no container uses\n"
		"  connect [--alias NAME] NETWORK CONTAINER  plug a running container into one more\n"
		"                      network (--alias: one more name on its DNS)\n"
		"  disconnect NETWORK CONTAINER  take it out again\n",
	.run = network_main,
};

const struct command cmd_port = {
	.name = "port",
	.usage = "CONTAINER",
	.summary = "List a container's published ports",
	.help = "Options:\n      --help   print this help\n",
	.run = port_main,
};

/* A `-o KEY=VALUE` of network create: the parent and the modes of lab 8's drivers. */
static int network_option(struct net_spec *spec, const char *option)
{
	const char *eq = strchr(option, '=');
	size_t key = eq ? (size_t)(eq - option) : 0;
	if (!eq || !eq[1])
		return cli_usage_error(&cmd_network, "create: -o %s: give KEY=VALUE", option);
	if (key == 6 && strncmp(option, "parent", 6) == 0)
		spec->parent = eq + 1;
	else if ((key == 12 && strncmp(option, "macvlan_mode", 12) == 0) || (key == 11 && strncmp(option, "ipvlan_mode", 11) == 0))
		spec->mode = eq + 1;
	else
		return cli_usage_error(&cmd_network, "create: -o %s: the options are parent, macvlan_mode and ipvlan_mode",
				       option);
	return 0;
}

/* A macvlan or ipvlan network's parent, made if need be (lab 8); the network goes if it cannot be. */
static int make_parent(const char *root, const json_t *net, err_t *err)
{
	const char *name = json_str(net, "Name"), *parent = json_str(net, "Parent");
	/* A dummy when the network is internal or was given no parent (its Parent is "dm-..."). */
	bool dummy = json_is_true(json_object_get(net, "Internal")) || !json_str(json_object_get(net, "Options"), "parent");
	bool made = false;
	struct nl nl;
	err_t ignored;

	if (nl_open(&nl, err) < 0)
		goto undo;
	if (mv_parent_make(&nl, parent, dummy, &made, err) == 0 && (!made || net_parent_made(root, name, err) == 0)) {
		nl_close(&nl);
		return 0;
	}
	if (made)
		mv_parent_remove(&nl, parent, &ignored);
	nl_close(&nl);
undo:;
	json_t *gone = NULL;
	net_remove(root, name, &gone, &ignored);
	json_decref(gone);
	return -1;
}

/* network create -d overlay: in the cluster's store, for every host of it (lab 9). */
static int overlay_create(const struct net_spec *spec, bool attachable, const char *root)
{
	_cleanup_json_ json_t *store = NULL;
	struct cluster cl;
	json_t *net;
	err_t err;

	if (spec->internal || spec->ip_range || spec->parent || spec->mode)
		return cli_usage_error(&cmd_network, "create: -d overlay takes --subnet, --gateway and --attachable only");
	if (net_store_read(root, &store, &err) < 0)
		return cli_fail(&err), 1;
	if (json_object_get(store, spec->name)) {
		err_msg(&err, EEXIST, "network with name %s already exists", spec->name);
		return cli_fail(&err), 1;
	}
	if (cluster_open(root, &cl, &err) < 0)
		return cli_fail(&err), 1;
	int rc = ov_net_create(&cl, spec->name, spec->subnet, spec->gateway, attachable, &net, &err);
	cluster_close(&cl);
	if (rc < 0)
		return cli_fail(&err), 1;
	printf("%s\n", json_str(net, "Id"));
	json_decref(net);
	return 0;
}

static int network_create(int argc, char **argv, const char *root)
{
	static const struct option options[] = {
		{ "driver", required_argument, NULL, 'd' },   { "subnet", required_argument, NULL, 's' },
		{ "gateway", required_argument, NULL, 'g' },  { "internal", no_argument, NULL, 'i' },
		{ "ip-range", required_argument, NULL, 'r' }, { "opt", required_argument, NULL, 'o' },
		{ "attachable", no_argument, NULL, 'a' },     { "label", required_argument, NULL, 'l' },
		{ 0 },
	};
	bool attachable = false;
	_cleanup_json_ json_t *labels = json_object();
	struct net_spec spec = { .driver = "bridge", .labels = labels };
	int opt;
	err_t err;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "+:d:o:", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (strcmp(optarg, "bridge") != 0 && strcmp(optarg, "macvlan") != 0 && strcmp(optarg, "ipvlan") != 0 &&
			    strcmp(optarg, "overlay") != 0)
				return cli_usage_error(&cmd_network, "create: driver \"%s\": bridge, macvlan, ipvlan or overlay",
						       optarg);
			spec.driver = optarg;
			break;
		case 's': spec.subnet = optarg; break;
		case 'g': spec.gateway = optarg; break;
		case 'r': spec.ip_range = optarg; break;
		case 'i': spec.internal = true; break;
		case 'a': attachable = true; break;
		case 'l': {
			const char *eq = strchr(optarg, '=');
			if (eq == optarg)
				return cli_usage_error(&cmd_network, "create: --label %s: give K=V", optarg);
			json_object_setn_new(labels, optarg, eq ? (size_t)(eq - optarg) : strlen(optarg), json_string(eq ? eq + 1 : ""));
			break;
		}
		case 'o':
			if (network_option(&spec, optarg) != 0)
				return 125;
			break;
		case ':': return cli_usage_error(&cmd_network, "flag needs an argument: %s", argv[optind - 1]);
		default: return cli_usage_error(&cmd_network, "create: unknown flag: %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_args_error(&cmd_network, "create: requires exactly 1 argument (the name)");
	spec.name = argv[optind];
	if (strlen(spec.name) > 60 || !*spec.name || strchr(spec.name, '/') || strchr(spec.name, ':') || spec.name[0] == '.')
		return cli_usage_error(&cmd_network, "create: invalid network name \"%s\"", spec.name);
	if ((spec.gateway || spec.ip_range) && !spec.subnet)
		return cli_usage_error(&cmd_network, "create: %s needs --subnet", spec.gateway ? "--gateway" : "--ip-range");
	if (strcmp(spec.driver, "overlay") == 0)
		return overlay_create(&spec, attachable, root);
	/* A name its cluster's overlay networks have is taken too. */
	json_t *net;
	if (ov_configured(root) && ov_find(root, spec.name, &net, &err) == 0) {
		json_decref(net);
		err_msg(&err, EEXIST, "network with name %s already exists", spec.name);
		return cli_fail(&err), 1;
	}
	if (net_create(root, &spec, &net, &err) < 0)
		return cli_fail(&err), 1;
	if (strcmp(spec.driver, "bridge") != 0 && make_parent(root, net, &err) < 0) {
		json_decref(net);
		return cli_fail(&err), 1;
	}
	printf("%s\n", json_str(net, "Id"));
	json_decref(net);
	return 0;
}

static int network_ls(int argc, char **argv, const char *root)
{
	bool quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
	_cleanup_json_ json_t *store = NULL;
	err_t err;
	const char *name;
	json_t *net;

	if (argc > (quiet ? 2 : 1))
		return cli_usage_error(&cmd_network, "ls: usage: minidock network ls [-q]");
	if (net_store_read(root, &store, &err) < 0)
		return cli_fail(&err), 1;
	if (!quiet)
		printf("%-14s %-20s %-8s %s\n", "NETWORK ID", "NAME", "DRIVER", "SCOPE");
	json_object_foreach(store, name, net) {
		if (quiet)
			printf("%.12s\n", json_str(net, "Id"));
		else
			printf("%-14.12s %-20s %-8s %s\n", json_str(net, "Id"), name, json_str(net, "Driver"), "local");
	}
	/* And the overlay networks of its cluster, when it has one (lab 9). */
	if (!ov_configured(root))
		return 0;
	_cleanup_json_ json_t *overlays = NULL;
	struct cluster cl;
	if (cluster_open(root, &cl, &err) < 0)
		return cli_fail(&err), 1;
	int rc = ov_net_list(&cl, &overlays, &err);
	cluster_close(&cl);
	if (rc < 0)
		return cli_fail(&err), 1;
	json_object_foreach(overlays, name, net) {
		if (quiet)
			printf("%.12s\n", json_str(net, "Id"));
		else
			printf("%-14.12s %-20s %-8s %s\n", json_str(net, "Id"), name, "overlay", "global");
	}
	return 0;
}

static int network_inspect(int argc, char **argv, const char *root)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ 0 },
	};
	_cleanup_json_ json_t *store = NULL;
	_cleanup_json_ json_t *out = json_array();
	const char *format = NULL;
	err_t err;
	int status = 0, opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "+:f:", options, NULL)) != -1) {
		if (opt == 'f')
			format = optarg;
		else
			return cli_usage_error(&cmd_network, "inspect: %s", opt == ':' ? "flag needs an argument: -f" : "unknown flag");
	}
	if (optind >= argc)
		return cli_args_error(&cmd_network, "inspect: requires at least 1 argument");
	if (net_store_read(root, &store, &err) < 0)
		return cli_fail(&err), 1;
	for (int i = optind; i < argc; i++) {
		json_t *net = net_find(store, argv[i], &err);
		if (net) {
			json_array_append_new(out, net_inspect_json(net));
			continue;
		}
		/* Not this host's: one of its cluster's overlay networks (lab 9)? */
		struct cluster cl;
		if (err.code == ENOENT && ov_configured(root) && ov_find(root, argv[i], &net, &err) == 0) {
			if (cluster_open(root, &cl, &err) == 0) {
				json_array_append_new(out, ov_inspect_json(&cl, net));
				cluster_close(&cl);
				json_decref(net);
				continue;
			}
			json_decref(net);
		}
		cli_fail(&err);
		status = 1;
	}
	if (format)
		return cli_print_format(format, out, &err) < 0 ? cli_fail(&err) : status;
	_cleanup_free_ char *text = json_dumps(out, JSON_INDENT(4) | JSON_SORT_KEYS);
	puts(text ? text : "[]");
	return status;
}

static int network_rm(int argc, char **argv, const char *root)
{
	int status = 0;

	if (argc < 2)
		return cli_args_error(&cmd_network, "rm: requires at least 1 argument");
	for (int i = 1; i < argc; i++) {
		json_t *net = NULL;
		err_t err;
		int rc = net_remove(root, argv[i], &net, &err) < 0 ? -1 : net_remove_devices(net, &err);
		if (rc < 0 && err.code == ENOENT && ov_configured(root)) /* an overlay network (lab 9) */
			rc = ov_remove_network(root, argv[i], &err);
		if (rc < 0) {
			cli_fail(&err);
			status = 1;
		} else {
			printf("%s\n", argv[i]);
		}
		json_decref(net);
	}
	return status;
}

static int network_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	char root[4096];
	err_t err;

	if (argc < 2 || strcmp(argv[1], "--help") == 0)
		return cli_help(&cmd_network);
	if (cli_state_dir(ctx, root, &err) < 0)
		return cli_fail(&err);
	/* Containers whose monitor died still hold addresses until they are loaded once: load
	 * them all first, so that `network rm` and `inspect` see the truth. */
	struct container *list;
	size_t n;
	if (ctr_list(root, &list, &n, &err) == 0)
		ctr_free_list(list, n);
	if (strcmp(argv[1], "create") == 0)
		return network_create(argc - 1, argv + 1, root);
	if (strcmp(argv[1], "ls") == 0 || strcmp(argv[1], "list") == 0)
		return network_ls(argc - 1, argv + 1, root);
	if (strcmp(argv[1], "inspect") == 0)
		return network_inspect(argc - 1, argv + 1, root);
	if (strcmp(argv[1], "rm") == 0 || strcmp(argv[1], "remove") == 0)
		return network_rm(argc - 1, argv + 1, root);
	if (strcmp(argv[1], "connect") == 0 || strcmp(argv[1], "disconnect") == 0)
		return network_connect(argc - 1, argv + 1, root);
	return cli_usage_error(&cmd_network, "unknown command \"%s\"", argv[1]);
}

static int port_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	struct container c = { .doc = NULL };
	err_t err;
	const char *key;
	json_t *list;

	if (argc > 1 && strcmp(argv[1], "--help") == 0)
		return cli_help(&cmd_port);
	if (argc > 1 && argv[1][0] == '-')
		return cli_usage_error(&cmd_port, "unknown flag: %s", argv[1]);
	if (argc != 2)
		return cli_args_error(&cmd_port, "requires exactly 1 argument");
	if (ctr_load(ctx->root, argv[1], &c, &err) < 0)
		return cli_fail(&err), 1;
	/* "80/tcp -> 0.0.0.0:8080", one line per binding. */
	json_object_foreach(json_object_get(json_object_get(c.doc, "NetworkSettings"), "Ports"), key, list) {
		size_t i;
		json_t *binding;
		json_array_foreach(list, i, binding)
			printf("%s -> %s:%s\n", key, json_str(binding, "HostIp"), json_str(binding, "HostPort"));
	}
	ctr_release(&c);
	return 0;
}
