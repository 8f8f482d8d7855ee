/*
 * daemon_objects.c - the API's networks and volumes, and its events (daemon.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "daemon.h"
#include "events.h"
#include "json.h"
#include "volume.h"

/* Run args and answer their stdout parsed as JSON with status (or their failure). */
static enum MHD_Result run_json(const struct api *api, struct MHD_Connection *conn, char *const args[],
				json_t **out)
{
	struct api_run r;
	err_t err;
	*out = NULL;
	if (api_run(api, args, -1, &r, &err) < 0)
		return api_fail_err(conn, &err);
	enum MHD_Result rc = MHD_YES;
	if (r.status != 0)
		rc = api_fail_run(conn, &r);
	else if (!(*out = json_loads(r.out, 0, NULL)))
		rc = api_fail(conn, 500, "%s: its output is not JSON", args[0]);
	api_run_free(&r);
	return rc;
}

/* --- networks -------------------------------------------------------------------------------------- */

/* Every network as `network inspect` shows them (NULL with the answer sent on failure). */
static json_t *all_networks(const struct api *api, struct MHD_Connection *conn, enum MHD_Result *rc)
{
	struct api_run r;
	err_t err;
	if (api_run(api, (char *[]){ "network", "ls", "-q", NULL }, -1, &r, &err) < 0) {
		*rc = api_fail_err(conn, &err);
		return NULL;
	}
	if (r.status != 0) {
		*rc = api_fail_run(conn, &r);
		api_run_free(&r);
		return NULL;
	}
	_cleanup_json_ json_t *args = json_pack("[s, s]", "network", "inspect");
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
		json_array_append_new(args, json_string(line));
	api_run_free(&r);
	if (json_array_size(args) == 2)
		return json_array();
	if (api_run_json(api, args, -1, &r, &err) < 0) {
		*rc = api_fail_err(conn, &err);
		return NULL;
	}
	json_t *list = r.status == 0 ? json_loads(r.out, 0, NULL) : NULL;
	*rc = r.status != 0 ? api_fail_run(conn, &r)
	      : !list	    ? api_fail(conn, 500, "network inspect: not JSON")
			    : MHD_YES;
	api_run_free(&r);
	return list;
}

static bool listed(const json_t *filters, const char *key, const char *value, bool prefix)
{
	const json_t *f = json_object_get(filters, key);
	if (!f || !value)
		return !f;
	size_t i;
	const char *k;
	json_t *v;
	json_array_foreach(
	    f, i, v) if (json_is_string(v) &&
			 (prefix ? strncmp(value, json_string_value(v), strlen(json_string_value(v))) == 0
				 : strstr(value, json_string_value(v)) != NULL)) return true;
	json_object_foreach((json_t *)f, k, v) if (prefix ? strncmp(value, k, strlen(k)) == 0
							  : strstr(value, k) != NULL) return true;
	return false;
}

API_HANDLER(api_networks_list)
{
	_cleanup_json_ json_t *filters = api_filters(conn);
	if (!filters)
		return api_fail(conn, 400, "filters: not JSON");
	enum MHD_Result rc;
	json_t *list = all_networks(api, conn, &rc);
	if (!list)
		return rc;
	json_t *out = json_array();
	size_t i;
	json_t *net;
	json_array_foreach(list, i, net)
	{
		if (listed(filters, "name", json_str(net, "Name"), false) &&
		    listed(filters, "id", json_str(net, "Id"), true) &&
		    listed(filters, "driver", json_str(net, "Driver"), false) &&
		    api_labels_match(filters, json_object_get(net, "Labels")))
			json_array_append(out, net);
	}
	json_decref(list);
	return api_json(conn, 200, out);
}

API_HANDLER(api_network_inspect)
{
	json_t *list;
	enum MHD_Result rc = run_json(api, conn, (char *[]){ "network", "inspect", (char *)arg, NULL }, &list);
	if (!list)
		return rc;
	json_t *net = json_incref(json_array_get(list, 0));
	json_decref(list);
	return net ? api_json(conn, 200, net) : api_fail(conn, 404, "network %s not found", arg);
}

/* POST /networks/create: {"Name", "Driver", "Internal", "Attachable", "Options", "Labels",
 * "IPAM": {"Config": [{"Subnet", "Gateway", "IPRange"}]}} as network create's flags. */
API_HANDLER(api_network_create)
{
	_cleanup_json_ json_t *body = req->body ? json_loadb(req->body, req->len, 0, NULL) : NULL;
	const char *name = json_str(body, "Name");
	if (!json_is_object(body) || !api_word_ok(name))
		return api_fail(conn, 400, "a network is a JSON object with a Name");
	_cleanup_json_ json_t *args = json_pack("[s, s]", "network", "create");
	const char *driver = json_str(body, "Driver");
	if (driver && *driver)
		json_array_append_new(args, json_string("-d")),
		    json_array_append_new(args, json_string(driver));
	if (json_is_true(json_object_get(body, "Internal")))
		json_array_append_new(args, json_string("--internal"));
	if (json_is_true(json_object_get(body, "Attachable")))
		json_array_append_new(args, json_string("--attachable"));
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(body, "Options"), k, v)
	{
		if (!json_is_string(v))
			return api_fail(conn, 400, "Options: %s: a string", k);
		json_array_append_new(args, json_string("-o"));
		json_array_append_new(args, json_sprintf("%s=%s", k, json_string_value(v)));
	}
	json_object_foreach(json_object_get(body, "Labels"), k, v)
	{
		if (!json_is_string(v))
			return api_fail(conn, 400, "Labels: %s: a string", k);
		json_array_append_new(args, json_string("--label"));
		json_array_append_new(args, json_sprintf("%s=%s", k, json_string_value(v)));
	}
	const json_t *config = json_array_get(json_object_get(json_object_get(body, "IPAM"), "Config"), 0);
	static const char *const ipam[][2] = {
	    {"Subnet", "--subnet"}, { "Gateway", "--gateway" }, { "IPRange", "--ip-range" }};
	for (size_t i = 0; i < 3; i++) {
		const char *value = json_str(config, ipam[i][0]);
		if (value && *value)
			json_array_append_new(args, json_string(ipam[i][1])),
			    json_array_append_new(args, json_string(value));
	}
	json_array_append_new(args, json_string(name));
	struct api_run r;
	err_t err;
	if (api_run_json(api, args, -1, &r, &err) < 0)
		return api_fail_err(conn, &err);
	enum MHD_Result rc;
	if (r.status != 0) {
		rc = api_fail_run(conn, &r);
	} else {
		r.out[strcspn(r.out, "\n")] = '\0';
		rc = api_json(conn, 201, json_pack("{s:s, s:s}", "Id", r.out, "Warning", ""));
	}
	api_run_free(&r);
	return rc;
}

API_HANDLER(api_network_delete)
{
	return api_run_answer(api, conn, (char *[]){ "network", "rm", (char *)arg, NULL });
}

static enum MHD_Result connect_or_not(const struct api *api, struct MHD_Connection *conn, const char *net,
				      const struct request *req, const char *verb)
{
	_cleanup_json_ json_t *body = req->body ? json_loadb(req->body, req->len, 0, NULL) : NULL;
	const char *container = json_str(body, "Container");
	if (!api_word_ok(container))
		return api_fail(conn, 400, "a JSON object with the Container is needed");
	/* connect's aliases (docker-compose gives each container its service's name) */
	_cleanup_json_ json_t *args = json_pack("[s, s]", "network", verb);
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(json_object_get(body, "EndpointConfig"), "Aliases"), i, a) {
		if (!json_is_string(a))
			return api_fail(conn, 400, "EndpointConfig.Aliases: a list of strings");
		json_array_append_new(args, json_string("--alias"));
		json_array_append(args, a);
	}
	json_array_append_new(args, json_string(net));
	json_array_append_new(args, json_string(container));
	struct api_run r;
	err_t err;
	if (api_run_json(api, args, -1, &r, &err) < 0)
		return api_fail_err(conn, &err);
	enum MHD_Result rc = r.status == 0 ? api_answer(conn, 200, "text/plain", strdup("")) : api_fail_run(conn, &r);
	api_run_free(&r);
	return rc;
}

API_HANDLER(api_network_connect)
{
	return connect_or_not(api, conn, arg, req, "connect");
}

API_HANDLER(api_network_disconnect)
{
	return connect_or_not(api, conn, arg, req, "disconnect");
}

/* POST /networks/prune: every network of the user's that no container uses. */
API_HANDLER(api_networks_prune)
{
	enum MHD_Result rc;
	json_t *list = all_networks(api, conn, &rc);
	if (!list)
		return rc;
	json_t *deleted = json_array();
	size_t i;
	json_t *net;
	json_array_foreach(list, i, net)
	{
		const char *name = json_str(net, "Name");
		if (!name || strcmp(name, "bridge") == 0 || strcmp(name, "host") == 0 ||
		    strcmp(name, "none") == 0 || json_object_size(json_object_get(net, "Containers")) > 0)
			continue;
		struct api_run r;
		err_t err;
		if (api_run(api, (char *[]){ "network", "rm", (char *)name, NULL }, -1, &r, &err) == 0 &&
		    r.status == 0)
			json_array_append_new(deleted, json_string(name));
		api_run_free(&r);
	}
	json_decref(list);
	return api_json(conn, 200, json_pack("{s:o}", "NetworksDeleted", deleted));
}

/* --- volumes ------------------------------------------------------------------------------------- */

API_HANDLER(api_volumes_list)
{
	_cleanup_json_ json_t *filters = api_filters(conn), *list = NULL;
	err_t err;
	if (!filters)
		return api_fail(conn, 400, "filters: not JSON");
	if (vol_list(api->root, &list, &err) < 0)
		return api_fail_err(conn, &err);
	json_t *out = json_array();
	size_t i;
	json_t *vol;
	json_array_foreach(list, i, vol)
		if (listed(filters, "name", json_str(vol, "Name"), false) &&
		    listed(filters, "driver", json_str(vol, "Driver"), false) &&
		    api_labels_match(filters, json_object_get(vol, "Labels")))
			json_array_append(out, vol);
	return api_json(conn, 200, json_pack("{s:o, s:[]}", "Volumes", out, "Warnings"));
}

API_HANDLER(api_volume_inspect)
{
	json_t *vol;
	err_t err;
	if (!vol_name_valid(arg))
		return api_fail(conn, 404, "get %s: no such volume", arg);
	if (vol_load(api->root, arg, &vol, &err) < 0)
		return api_fail_err(conn, &err);
	return api_json(conn, 200, vol);
}

/* POST /volumes/create: {"Name", "Driver", "DriverOpts", "Labels"}. */
API_HANDLER(api_volume_create)
{
	_cleanup_json_ json_t *body =
	    req->body && req->len ? json_loadb(req->body, req->len, 0, NULL) : json_object();
	if (!json_is_object(body))
		return api_fail(conn, 400, "a volume is a JSON object");
	_cleanup_json_ json_t *args = json_pack("[s, s]", "volume", "create");
	const char *driver = json_str(body, "Driver"), *name = json_str(body, "Name");
	if (driver && *driver)
		json_array_append_new(args, json_string("-d")),
		    json_array_append_new(args, json_string(driver));
	static const char *const maps[][2] = { { "DriverOpts", "-o" }, { "Labels", "--label" } };
	for (size_t i = 0; i < 2; i++) {
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(body, maps[i][0]), k, v)
		{
			if (!json_is_string(v))
				return api_fail(conn, 400, "%s: %s: a string", maps[i][0], k);
			json_array_append_new(args, json_string(maps[i][1]));
			json_array_append_new(args, json_sprintf("%s=%s", k, json_string_value(v)));
		}
	}
	if (name && *name && !api_word_ok(name))
		return api_fail(conn, 400, "invalid volume name \"%s\"", name);
	if (name && *name)
		json_array_append_new(args, json_string(name));
	struct api_run r;
	err_t err;
	if (api_run_json(api, args, -1, &r, &err) < 0)
		return api_fail_err(conn, &err);
	if (r.status != 0) {
		enum MHD_Result rc = api_fail_run(conn, &r);
		api_run_free(&r);
		return rc;
	}
	r.out[strcspn(r.out, "\n")] = '\0';
	json_t *vol;
	int loaded = vol_load(api->root, r.out, &vol, &err);
	api_run_free(&r);
	return loaded < 0 ? api_fail_err(conn, &err) : api_json(conn, 201, vol);
}

API_HANDLER(api_volume_delete)
{
	bool force = api_query_true(conn, "force");
	return api_run_answer(
	    api, conn,
	    (char *[]){ "volume", "rm", force ? "-f" : (char *)arg, force ? (char *)arg : NULL, NULL });
}

API_HANDLER(api_volumes_prune)
{
	struct api_run r;
	enum MHD_Result answered;
	if (!api_run_ok(api, conn, (char *[]){ "volume", "prune", "-f", NULL }, &r, &answered))
		return answered;
	/* "Deleted Volumes:\nNAME\n...\n\nTotal reclaimed space: ..." */
	json_t *deleted = json_array();
	bool in_list = false;
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "Total reclaimed", 15) == 0)
			break;
		if (in_list && vol_name_valid(line))
			json_array_append_new(deleted, json_string(line));
		in_list = in_list || strcmp(line, "Deleted Volumes:") == 0;
	}
	api_run_free(&r);
	return api_json(conn, 200, json_pack("{s:o, s:i}", "VolumesDeleted", deleted, "SpaceReclaimed", 0));
}

/* --- events --------------------------------------------------------------------------------------- */

struct watcher {
	struct ev_reader r;
	json_t *filters;
	long long since, until; /* seconds; 0: none */
};

/* Does ev pass the filters docker events sends (type, event, container, image, volume, network,
 * label)? */
static bool wanted(const json_t *f, const json_t *ev)
{
	const json_t *actor = json_object_get(ev, "Actor"), *attrs = json_object_get(actor, "Attributes");
	const char *type = json_str(ev, "Type"), *id = json_str(actor, "ID");
	if (!listed(f, "type", type, false) || !listed(f, "event", json_str(ev, "Action"), false) ||
	    !api_labels_match(f, attrs))
		return false;
	static const char *const by_object[] = { "container", "image", "volume", "network" };
	for (size_t i = 0; i < 4; i++) {
		if (!json_object_get(f, by_object[i]))
			continue;
		bool mine = type && strcmp(type, by_object[i]) == 0;
		bool by_image =
		    strcmp(by_object[i], "image") == 0 && listed(f, "image", json_str(attrs, "image"), false);
		if (!by_image && (!mine || (!listed(f, by_object[i], id, true) &&
					    !listed(f, by_object[i], json_str(attrs, "name"), false))))
			return false;
	}
	return true;
}

static void events_worker(int fd, void *arg)
{
	struct watcher *w = arg;
	for (;;) {
		json_t *ev;
		if (ev_next(&w->r, &ev) < 0)
			break;
		if (!ev) {
			if ((w->until && time(NULL) > w->until) || api_peer_gone(fd))
				break;
			usleep(100 * 1000);
			continue;
		}
		long long t = (long long)json_integer_value(json_object_get(ev, "time"));
		bool send =
		    (!w->since || t >= w->since) && (!w->until || t <= w->until) && wanted(w->filters, ev);
		if (!send) {
			json_decref(ev);
			continue;
		}
		if (!api_write_line(fd, ev))
			break;
	}
	ev_close(&w->r);
	json_decref(w->filters);
	free(w);
}

/* GET /events?since=T&until=T&filters=...: the journal's events as they happen (since: from
 * the journal's start, the older ones skipped; until: the stream ends then). */
API_HANDLER(api_events)
{
	struct watcher *w = calloc(1, sizeof(*w));
	if (!w)
		return MHD_NO;
	const char *since = api_query(conn, "since"), *until = api_query(conn, "until");
	w->filters = api_filters(conn);
	w->since = since ? atoll(since) : 0;
	w->until = until ? atoll(until) : 0;
	if (!w->filters || (since && (w->since < 0 || !*since)) || (until && w->until <= 0)) {
		json_decref(w->filters);
		free(w);
		return api_fail(conn, 400, "since, until: seconds since 1970; filters: JSON");
	}
	if (ev_open(&w->r, api->root, since != NULL) < 0) { /* since=0: from the journal's start */
		json_decref(w->filters);
		free(w);
		return api_fail(conn, 500, "the events' journal: %s", strerror(errno));
	}
	return api_stream(conn, "application/json", events_worker, w);
}
