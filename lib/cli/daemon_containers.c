/*
 * daemon_containers.c - the API's containers and execs (daemon.h): what `docker run`, `ps`,
 * `inspect`, `logs`, `exec`, `stop`, `rm` ask for.
 *
 * `docker run busybox echo hi` is five requests: create; attach (the connection hijacked, to
 * carry the output); wait?condition=next-exit (answered with its headers at once, its body when
 * the container ends); start; and, after the output ended, the wait's body tells the exit
 * status. The order matters: attach and wait come before start, so that nothing the container
 * writes or does is missed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "engine.h"
#include "events.h"
#include "json.h"
#include "log.h"
#include "timefmt.h"

#define POLL_MS 50

/* A container's status in Docker's words: minidock keeps a paused one "running" with
 * State.Paused; Docker says "paused". */
static const char *docker_status(const struct container *c)
{
	const char *status = ctr_status(c);
	if (strcmp(status, "running") == 0 && json_is_true(json_object_get(json_object_get(c->doc, "State"), "Paused")))
		return "paused";
	return status;
}

/* --- reading ------------------------------------------------------------------------------------- */

/* Does a filter list of the API's filters={"key": [values]} (or {"key": {"value": true}}) hold
 * one value matching match()? No list for key: true. */
static bool filter_ok(const json_t *filters, const char *key,
		      bool (*match)(const char *want, const void *arg), const void *arg)
{
	const json_t *f = json_object_get(filters, key);
	if (!f)
		return true;
	size_t i;
	const char *k;
	json_t *v;
	json_array_foreach(f, i, v)
		if (json_is_string(v) && match(json_string_value(v), arg))
			return true;
	json_object_foreach((json_t *)f, k, v)
		if (json_is_true(v) && match(k, arg))
			return true;
	return false;
}

static bool match_prefix(const char *want, const void *arg)
{
	return strncmp(arg, want, strlen(want)) == 0;
}

static bool match_substring(const char *want, const void *arg)
{
	return strstr(arg, want) != NULL;
}

static bool match_exact(const char *want, const void *arg)
{
	return strcmp(arg, want) == 0;
}

/* "key" (the label is there) or "key=value" against an object of labels. */
static bool match_label(const char *want, const void *arg)
{
	const char *eq = strchr(want, '=');
	char key[256];
	snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - want) : (int)strlen(want), want);
	const char *have = json_str(arg, key);
	return have && (!eq || strcmp(have, eq + 1) == 0);
}

json_t *api_filters(struct MHD_Connection *conn)
{
	const char *text = api_query(conn, "filters");
	if (!text || !*text)
		return json_object();
	json_t *f = json_loads(text, 0, NULL);
	if (!json_is_object(f)) {
		json_decref(f);
		return NULL;
	}
	return f;
}

bool api_labels_match(const json_t *filters, const json_t *labels)
{
	const json_t *f = json_object_get(filters, "label");
	size_t i;
	const char *k;
	json_t *v;
	json_array_foreach(f, i, v)
		if (!json_is_string(v) || !match_label(json_string_value(v), labels))
			return false;
	json_object_foreach((json_t *)f, k, v)
		if (!match_label(k, labels))
			return false;
	return true;
}

/* A container of the list as `docker ps` reads it. */
static json_t *summary(const struct container *c)
{
	const json_t *doc = c->doc, *config = json_object_get(doc, "Config"),
		     *state = json_object_get(doc, "State");
	const char *status = docker_status(c);
	struct timespec t = { 0 }, when = { 0 };
	if (json_str(doc, "Created"))
		time_parse_rfc3339(json_str(doc, "Created"), &t);
	/* the command and its arguments, and the status as docker ps words it */
	char command[512], shown[128], ago[64] = "";
	snprintf(command, sizeof(command), "%s", json_str(doc, "Path") ? json_str(doc, "Path") : "");
	size_t k;
	json_t *arg;
	json_array_foreach(json_object_get(doc, "Args"), k, arg)
	    snprintf(command + strlen(command), sizeof(command) - strlen(command), " %s",
		     json_string_value(arg) ? json_string_value(arg) : "");
	bool up = strcmp(status, "running") == 0 || strcmp(status, "paused") == 0;
	const char *since = json_str(state, up ? "StartedAt" : "FinishedAt");
	if (since && time_parse_rfc3339(since, &when))
		time_human_duration(difftime(time(NULL), when.tv_sec), ago, sizeof(ago));
	if (up)
		snprintf(shown, sizeof(shown), "Up %s%s", ago,
			 strcmp(status, "paused") == 0 ? " (Paused)" : "");
	else if (strcmp(status, "exited") == 0)
		snprintf(shown, sizeof(shown), "Exited (%lld) %s ago",
			 (long long)json_integer_value(json_object_get(state, "ExitCode")), ago);
	else
		snprintf(shown, sizeof(shown), "%s", strcmp(status, "created") == 0 ? "Created" : status);
	/* ports as docker ps shows them: from -p's bindings */
	json_t *ports = json_array();
	size_t i;
	json_t *b;
	json_array_foreach(json_object_get(json_object_get(doc, "HostConfig"), "PortBindings"), i, b)
	{
		char spec[200], *proto;
		int host_port = 0, ctr_port = 0;
		snprintf(spec, sizeof(spec), "%s", json_string_value(b) ? json_string_value(b) : "");
		proto = strchr(spec, '/');
		if (proto)
			*proto++ = '\0';
		char *last = strrchr(spec, ':');
		if (!last)
			continue;
		ctr_port = atoi(last + 1);
		*last = '\0';
		char *hp = strrchr(spec, ':');
		host_port = atoi(hp ? hp + 1 : spec);
		if (hp)
			*hp = '\0';
		json_array_append_new(ports,
				      json_pack("{s:s, s:i, s:i, s:s}", "IP", hp && *spec ? spec : "0.0.0.0",
						"PrivatePort", ctr_port, "PublicPort", host_port, "Type",
						proto ? proto : "tcp"));
	}
	const char *name = json_str(doc, "Name") ? json_str(doc, "Name") : "";
	const json_t *labels = json_object_get(config, "Labels");
	return json_pack("{s:s, s:[s+], s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:O, s:{}, s:{s:O}}", "Id", c->id,
			 "Names", name[0] == '/' ? "" : "/", name, "Image",
			 json_str(config, "Image") ? json_str(config, "Image") : "", "ImageID",
			 json_str(doc, "Image") ? json_str(doc, "Image") : "", "Command", command, "Created",
			 (json_int_t)t.tv_sec, "State", status, "Status", shown, "Ports", ports, "Labels",
			 labels ? labels : json_object(), "HostConfig", "NetworkSettings", "Networks",
			 json_object_get(json_object_get(doc, "NetworkSettings"), "Networks")
			     ? json_object_get(json_object_get(doc, "NetworkSettings"), "Networks")
			     : json_object());
}

API_HANDLER(api_containers_list)
{
	_cleanup_json_ json_t *filters = api_filters(conn);
	if (!filters)
		return api_fail(conn, 400, "filters: not JSON");
	bool all = api_query_true(conn, "all");
	struct container *list = NULL;
	size_t n = 0;
	err_t err;
	if (ctr_list(api->root, &list, &n, &err) < 0)
		return api_fail_err(conn, &err);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		const char *status = docker_status(&list[i]);
		const char *name = json_str(list[i].doc, "Name") ? json_str(list[i].doc, "Name") : "";
		bool shown_by_default = strcmp(status, "running") == 0 || strcmp(status, "paused") == 0 ||
					strcmp(status, "restarting") == 0;
		if ((!all && !json_object_get(filters, "status") && !shown_by_default) ||
		    !filter_ok(filters, "id", match_prefix, list[i].id) ||
		    !filter_ok(filters, "name", match_substring, name) ||
		    !filter_ok(filters, "status", match_exact, status) ||
		    !api_labels_match(filters,
				      json_object_get(json_object_get(list[i].doc, "Config"), "Labels")))
			continue;
		json_array_append_new(out, summary(&list[i]));
	}
	ctr_free_list(list, n);
	return api_json(conn, 200, out);
}

/* "[IP:]HOST:CTR[/PROTO]" (how create's -p keeps a binding) as Docker's PortMap entry. */
static void add_binding(json_t *map, const char *spec)
{
	char buf[200], *parts[3];
	int n = 0;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *p = buf, *colon; n < 3 && p; p = colon ? colon + 1 : NULL) {
		colon = strchr(p, ':');
		if (colon)
			*colon = '\0';
		parts[n++] = p;
	}
	if (n < 2)
		return;
	const char *ctr = parts[n - 1], *host = parts[n - 2], *ip = n == 3 ? parts[0] : "";
	char key[64];
	snprintf(key, sizeof(key), "%s%s", ctr, strchr(ctr, '/') ? "" : "/tcp");
	json_t *list = json_object_get(map, key);
	if (!list)
		json_object_set_new(map, key, list = json_array());
	json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", ip, "HostPort", host));
}

/* minidock's container.json in the shapes Docker's clients decode: PortBindings a map of
 * "80/tcp" to bindings (minidock keeps -p's words); the objects clients read without checking
 * there even when empty (NetworkSettings.Networks and Ports: docker-compose; HostConfig.LogConfig:
 * docker-py); no MonitorPid (minidock's own). */
static json_t *docker_shape(const struct container *c)
{
	json_t *out = json_deep_copy(c->doc);
	json_object_del(out, "MonitorPid");
	/* the status as Docker words it (a paused container's says "paused") */
	json_t *state = json_object_get(out, "State");
	if (json_is_object(state))
		json_object_set_new(state, "Status", json_string(docker_status(c)));
	json_t *host = json_object_get(out, "HostConfig");
	if (!json_is_object(host))
		json_object_set_new(out, "HostConfig", host = json_object());
	json_t *bindings = json_object_get(host, "PortBindings");
	json_t *map = json_object();
	size_t i;
	json_t *b;
	json_array_foreach(bindings, i, b)
		if (json_is_string(b))
			add_binding(map, json_string_value(b));
	json_object_set_new(host, "PortBindings", map);
	if (!json_is_object(json_object_get(host, "LogConfig")))
		json_object_set_new(host, "LogConfig", json_pack("{s:s, s:{}}", "Type", "json-file", "Config"));
	json_t *settings = json_object_get(out, "NetworkSettings");
	if (!json_is_object(settings))
		json_object_set_new(out, "NetworkSettings", settings = json_object());
	static const char *const objects[] = { "Networks", "Ports" };
	for (size_t k = 0; k < 2; k++)
		if (!json_is_object(json_object_get(settings, objects[k])))
			json_object_set_new(settings, objects[k], json_object());
	return out;
}

API_HANDLER(api_container_inspect)
{
	struct container c;
	err_t err;
	if (ctr_load(api->root, arg, &c, &err) < 0)
		return api_fail_err(conn, &err);
	json_t *doc = docker_shape(&c);
	ctr_release(&c);
	return api_json(conn, 200, doc);
}

/* --- changing ------------------------------------------------------------------------------------ */

static int attach_start(const struct api *api, const char *id);
static int attach_resize(const char *id, unsigned short rows, unsigned short cols);

API_HANDLER(api_container_create)
{
	json_error_t jerr;
	err_t err;
	_cleanup_json_ json_t *body = req->body ? json_loadb(req->body, req->len, 0, &jerr) : NULL;
	if (!body)
		return api_fail(conn, 400, "a create request is JSON: %s", req->body ? jerr.text : "no body");
	const char *image = json_str(body, "Image");
	if (image && *image && !api_word_ok(image))
		return api_fail(conn, 400, "invalid reference format: %s", image);
	_cleanup_json_ json_t *args = json_pack("[s]", "create");
	if (api_create_args(body, api_query(conn, "name"), args, &err) < 0)
		return api_fail_err(conn, &err);
	struct api_run r;
	if (api_run_json(api, args, -1, &r, &err) < 0)
		return api_fail_err(conn, &err);
	enum MHD_Result rc;
	if (r.status != 0) {
		rc = api_fail_run(conn, &r);
	} else {
		r.out[strcspn(r.out, "\n")] = '\0';
		rc = api_json(conn, 201, json_pack("{s:s, s:[]}", "Id", r.out, "Warnings"));
	}
	api_run_free(&r);
	return rc;
}

API_HANDLER(api_container_start)
{
	struct container c;
	err_t err;
	if (ctr_load(api->root, arg, &c, &err) < 0)
		return api_fail_err(conn, &err);
	bool running = strcmp(ctr_status(&c), "running") == 0;
	char id[65];
	snprintf(id, sizeof(id), "%s", c.id);
	ctr_release(&c);
	if (running) /* Docker: 304, not modified */
		return api_answer(conn, 304, "text/plain", strdup(""));
	int attached = attach_start(api, id);
	if (attached == 0)
		return api_no_content(conn);
	if (attached > 0) /* its own words went to the attached client */
		return api_fail(conn, 500, "container %.12s did not start", id);
	return api_run_answer(api, conn, (char *[]){ "start", (char *)arg, NULL });
}

/* ?t=N, checked: -1 when it is not a number of seconds (NULL when absent). */
static int seconds(struct MHD_Connection *conn, char *out, size_t size)
{
	const char *t = api_query(conn, "t");
	if (!t)
		return 0;
	char *end;
	long v = strtol(t, &end, 10);
	if (!*t || *end || v < -1 || v > 86400)
		return -1;
	snprintf(out, size, "%ld", v);
	return 1;
}

static enum MHD_Result stop_or_restart(const struct api *api, struct MHD_Connection *conn, const char *arg,
				       const char *command)
{
	char t[24];
	int given = seconds(conn, t, sizeof(t));
	if (given < 0)
		return api_fail(conn, 400, "t: a number of seconds");
	struct container c;
	err_t err;
	if (ctr_load(api->root, arg, &c, &err) < 0)
		return api_fail_err(conn, &err);
	bool running = strcmp(ctr_status(&c), "running") == 0 || strcmp(ctr_status(&c), "paused") == 0;
	ctr_release(&c);
	if (strcmp(command, "stop") == 0 && !running)
		return api_answer(conn, 304, "text/plain", strdup(""));
	char *args[] = { (char *)command, given ? "-t" : (char *)arg, given ? t : NULL,
			given ? (char *)arg : NULL, NULL };
	return api_run_answer(api, conn, args);
}

API_HANDLER(api_container_stop)
{
	return stop_or_restart(api, conn, arg, "stop");
}

API_HANDLER(api_container_restart)
{
	return stop_or_restart(api, conn, arg, "restart");
}

API_HANDLER(api_container_kill)
{
	const char *sig = api_query(conn, "signal");
	return api_run_answer(
	    api, conn, (char *[]){ "kill", "-s", (char *)(sig && *sig ? sig : "KILL"), (char *)arg, NULL });
}

API_HANDLER(api_container_pause)
{
	return api_run_answer(api, conn, (char *[]){ "pause", (char *)arg, NULL });
}

API_HANDLER(api_container_unpause)
{
	return api_run_answer(api, conn, (char *[]){ "unpause", (char *)arg, NULL });
}

API_HANDLER(api_container_rename)
{
	const char *name = api_query(conn, "name");
	if (!api_word_ok(name))
		return api_fail(conn, 400, "rename: ?name=NEW is needed");
	return api_run_answer(api, conn, (char *[]){ "rename", (char *)arg, (char *)name, NULL });
}

API_HANDLER(api_container_delete)
{
	bool force = api_query_true(conn, "force"), volumes = api_query_true(conn, "v");
	char *args[5] = { "rm" };
	int n = 1;
	if (force)
		args[n++] = "-f";
	if (volumes)
		args[n++] = "-v";
	args[n++] = (char *)arg;
	return api_run_answer(api, conn, args);
}

API_HANDLER(api_containers_prune)
{
	struct api_run r;
	enum MHD_Result answered;
	if (!api_run_ok(api, conn, (char *[]){ "container", "prune", "-f", NULL }, &r, &answered))
		return answered;
	/* "Deleted Containers:\nID\n...\n\nTotal reclaimed space: ..." */
	json_t *deleted = json_array();
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
		if (strspn(line, "0123456789abcdef") == 64 && !line[64])
			json_array_append_new(deleted, json_string(line));
	api_run_free(&r);
	return api_json(conn, 200,
			json_pack("{s:o, s:i}", "ContainersDeleted", deleted, "SpaceReclaimed", 0));
}

API_HANDLER(api_container_top)
{
	const char *ps_args = api_query(conn, "ps_args");
	char *args[] = { "top", (char *)arg, (char *)ps_args, NULL };
	struct api_run r;
	enum MHD_Result answered;
	if (!api_run_ok(api, conn, args, &r, &answered))
		return answered;
	/* ps's columns: the titles' words, then each line in as many fields (the last takes the rest) */
	json_t *titles = json_array(), *procs = json_array();
	char *save = NULL;
	for (char *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (json_array_size(titles) == 0) {
			for (char *w = strtok(line, " \t"); w; w = strtok(NULL, " \t"))
				json_array_append_new(titles, json_string(w));
			continue;
		}
		json_t *row = json_array();
		char *p = line;
		for (size_t i = 0; i < json_array_size(titles); i++) {
			p += strspn(p, " \t");
			size_t len = i + 1 == json_array_size(titles) ? strlen(p) : strcspn(p, " \t");
			json_array_append_new(row, json_stringn(p, len));
			p += len;
		}
		json_array_append_new(procs, row);
	}
	api_run_free(&r);
	return api_json(conn, 200, json_pack("{s:o, s:o}", "Titles", titles, "Processes", procs));
}

API_HANDLER(api_container_resize)
{
	struct container c;
	err_t err;
	long h = api_query(conn, "h") ? atol(api_query(conn, "h")) : 0, w = api_query(conn, "w") ? atol(api_query(conn, "w")) : 0;
	if (h <= 0 || w <= 0 || h > 10000 || w > 10000)
		return api_fail(conn, 400, "h and w: a terminal's rows and columns");
	if (ctr_load(api->root, arg, &c, &err) < 0)
		return api_fail_err(conn, &err);
	char id[65];
	snprintf(id, sizeof(id), "%s", c.id);
	ctr_release(&c);
	/* the terminal of an interactive attach (docker run -it); a detached container's is its own */
	attach_resize(id, (unsigned short)h, (unsigned short)w);
	return api_answer(conn, 200, "text/plain", strdup(""));
}

/* --- wait ---------------------------------------------------------------------------------------- */

struct waiter {
	struct ev_reader events;
	char id[65];
	char condition[16];
	json_int_t code; /* the status the container's state had when the wait began */
};

/* The journal's events for w->id until the condition holds: "not-running" and "next-exit" its
 * "die", "removed" its "destroy" (after its die). The body then: {"StatusCode": N, "Error": null}. */
static void wait_worker(int fd, void *arg)
{
	struct waiter *w = arg;
	json_int_t code = w->code;
	bool done = false;
	while (!done && !api_peer_gone(fd)) {
		json_t *ev;
		if (ev_next(&w->events, &ev) < 0)
			break;
		if (!ev) {
			usleep(POLL_MS * 1000);
			continue;
		}
		const json_t *actor = json_object_get(ev, "Actor");
		if (strcmp(json_str(ev, "Type") ? json_str(ev, "Type") : "", "container") == 0 &&
		    strcmp(json_str(actor, "ID") ? json_str(actor, "ID") : "", w->id) == 0) {
			const char *action = json_str(ev, "Action") ? json_str(ev, "Action") : "";
			if (strcmp(action, "die") == 0) {
				const char *c = json_str(json_object_get(actor, "Attributes"), "exitCode");
				code = c ? atoll(c) : code;
				done = strcmp(w->condition, "removed") != 0;
			}
			done = done || strcmp(action, "destroy") == 0;
		}
		json_decref(ev);
	}
	if (done) {
		char body[96];
		int n =
		    snprintf(body, sizeof(body), "{\"Error\":null,\"StatusCode\":%lld}\n", (long long)code);
		api_write_all(fd, body, (size_t)n);
	}
	ev_close(&w->events);
	free(w);
}

API_HANDLER(api_container_wait)
{
	const char *condition = api_query(conn, "condition");
	if (!condition || !*condition)
		condition = "not-running";
	if (strcmp(condition, "not-running") != 0 && strcmp(condition, "next-exit") != 0 &&
	    strcmp(condition, "removed") != 0)
		return api_fail(conn, 400, "invalid condition: \"%s\"", condition);
	struct waiter *w = calloc(1, sizeof(*w));
	struct container c;
	err_t err;
	/* the journal first, then the state: an end between the two is not missed */
	if (!w || ev_open(&w->events, api->root, 0) < 0) {
		free(w);
		return api_fail(conn, 500, "the events' journal: %s", strerror(errno));
	}
	if (ctr_load(api->root, arg, &c, &err) < 0) {
		ev_close(&w->events);
		free(w);
		return api_fail_err(conn, &err);
	}
	const char *status = ctr_status(&c);
	bool running = strcmp(status, "running") == 0 || strcmp(status, "paused") == 0 ||
		       strcmp(status, "restarting") == 0;
	snprintf(w->id, sizeof(w->id), "%s", c.id);
	snprintf(w->condition, sizeof(w->condition), "%s", condition);
	w->code = json_integer_value(json_object_get(json_object_get(c.doc, "State"), "ExitCode"));
	ctr_release(&c);
	if (strcmp(condition, "not-running") == 0 && !running) {
		ev_close(&w->events);
		json_int_t code = w->code;
		free(w);
		return api_json(conn, 200, json_pack("{s:n, s:I}", "Error", "StatusCode", code));
	}
	return api_stream(conn, "application/json", wait_worker, w);
}

/* --- logs and attach ----------------------------------------------------------------------------- */

struct follower {
	char root[PATH_MAX];
	char id[65];
	char log[PATH_MAX + 100];
	bool tty, out, errs, stamps, follow, from_start;
	long tail;		/* the last N lines only; -1: all */
	long long since, until; /* seconds; 0: no bound */
};

/* May the container still write to its log: not started yet, or its monitor (which copies its
 * output into the log, to the last byte, before it goes) still there? False once removed. */
static bool still_running(const struct follower *f, bool *started)
{
	struct container c;
	err_t err;
	if (ctr_load(f->root, f->id, &c, &err) < 0)
		return false;
	bool monitor = ctr_monitor_alive(&c);
	*started = *started || monitor || strcmp(ctr_status(&c), "created") != 0;
	ctr_release(&c);
	return monitor || !*started;
}

/* One line of the log as the client sees it: false when the client is gone. */
static bool send_line(int fd, const struct follower *f, const char *line)
{
	_cleanup_json_ json_t *entry = json_loads(line, 0, NULL);
	const char *text = json_str(entry, "log"), *stream = json_str(entry, "stream"),
		   *when = json_str(entry, "time");
	if (!text || !stream)
		return true;
	int which = strcmp(stream, "stderr") == 0 ? 2 : 1;
	if ((which == 1 && !f->out) || (which == 2 && !f->errs))
		return true;
	if (f->since || f->until) {
		struct timespec t = { 0 };
		if (when && time_parse_rfc3339(when, &t) &&
		    ((f->since && t.tv_sec < f->since) || (f->until && t.tv_sec > f->until)))
			return true;
	}
	_cleanup_free_ char *shown = NULL;
	if (asprintf(&shown, "%s%s%s", f->stamps && when ? when : "", f->stamps && when ? " " : "", text) < 0)
		return false;
	/* a container with a terminal has one stream: its bytes as they are */
	return f->tty ? api_write_all(fd, shown, strlen(shown))
		      : api_frame(fd, which, shown, strlen(shown)) == 0;
}

/* The log's lines (the last f->tail of them), then, when following, what comes until the
 * container is no longer running (read twice more after: the monitor's last lines). */
static void follow_log(int fd, struct follower *f)
{
	FILE *log = fopen(f->log, "re");
	char *line = NULL;
	size_t cap = 0;
	if (log && f->tail >= 0) { /* where the last tail lines begin */
		long lines = 0;
		while (getline(&line, &cap, log) > 0)
			lines++;
		rewind(log);
		for (long skip = lines - f->tail; skip > 0 && getline(&line, &cap, log) > 0; skip--)
			;
	} else if (log && !f->from_start) {
		fseeko(log, 0, SEEK_END);
	}
	bool started = false;
	for (int after = -1;;) { /* after: reads left once the container ended (-1: it runs) */
		if (!log)
			log = fopen(f->log, "re");
		off_t at = log ? ftello(log) : 0;
		ssize_t n;
		while (log && (n = getline(&line, &cap, log)) > 0) {
			if (line[n - 1] != '\n') { /* half a line: the rest next time */
				fseeko(log, at, SEEK_SET);
				break;
			}
			if (!send_line(fd, f, line))
				goto out; /* the client went */
			at = ftello(log);
		}
		if (log)
			clearerr(log);
		if (!f->follow || after == 0 || api_peer_gone(fd))
			break;
		if (after > 0)
			after--;
		else if (!still_running(f, &started))
			after = 2; /* the monitor's last lines */
		usleep(POLL_MS * 1000);
	}
out:
	free(line);
	if (log)
		fclose(log);
}

static void logs_worker(int fd, void *arg)
{
	follow_log(fd, arg);
	free(arg);
}

static int follower_init(const struct api *api, struct MHD_Connection *conn, const char *ref,
			 struct follower *f, err_t *err)
{
	struct container c;
	if (ctr_load(api->root, ref, &c, err) < 0)
		return -1;
	snprintf(f->root, sizeof(f->root), "%s", api->root);
	snprintf(f->id, sizeof(f->id), "%s", c.id);
	snprintf(f->log, sizeof(f->log), "%s/%s-json.log", c.dir, c.id);
	f->tty = json_is_true(json_object_get(json_object_get(c.doc, "Config"), "Tty"));
	ctr_release(&c);
	f->out = api_query_true(conn, "stdout");
	f->errs = api_query_true(conn, "stderr");
	f->stamps = api_query_true(conn, "timestamps");
	f->follow = api_query_true(conn, "follow");
	f->from_start = true;
	f->tail = -1;
	const char *tail = api_query(conn, "tail"), *since = api_query(conn, "since"),
		   *until = api_query(conn, "until");
	if (tail && *tail && strcmp(tail, "all") != 0) {
		char *end;
		f->tail = strtol(tail, &end, 10);
		if (*end || f->tail < 0)
			return err_msg(err, EINVAL, "tail: a number of lines or \"all\"");
	}
	f->since = since ? atoll(since) : 0; /* the CLI sends seconds ("1700000000.000000000") */
	f->until = until ? atoll(until) : 0;
	return 0;
}

API_HANDLER(api_container_logs)
{
	struct follower *f = calloc(1, sizeof(*f));
	err_t err;
	if (!f)
		return MHD_NO;
	if (follower_init(api, conn, arg, f, &err) < 0) {
		free(f);
		return api_fail_err(conn, &err);
	}
	if (!f->out && !f->errs) {
		free(f);
		return api_fail(conn, 400, "Bad parameters: you must choose at least one stream");
	}
	return api_stream(
	    conn, f->tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream",
	    logs_worker, f);
}

static void attach_run(int sock, const char *early, size_t early_len, void *arg)
{
	follow_log(sock, arg);
	free(arg);
}

static bool attach_interactive(struct MHD_Connection *conn, const struct api *api, const struct container *c,
			       enum MHD_Result *answered);

/* POST /containers/ID/attach?stream=1&stdout=1&stderr=1[&logs=1][&stdin=1]: the connection
 * hijacked, the container's output on it from now (logs=1: from its start) until it ends. With
 * stdin=1, before the start of a container made with OpenStdin (docker run -i, -it): the
 * connection is the container's stdin and output both ways, through `minidock start -a -i`. */
API_HANDLER(api_container_attach)
{
	struct follower *f = calloc(1, sizeof(*f));
	err_t err;
	if (!f)
		return MHD_NO;
	if (follower_init(api, conn, arg, f, &err) < 0) {
		free(f);
		return api_fail_err(conn, &err);
	}
	f->follow = api_query_true(conn, "stream");
	struct container c;
	if (ctr_load(api->root, arg, &c, &err) == 0) {
		/* its stdin too (docker run -i): the start will be `minidock start -a -i` on this
		 * connection */
		enum MHD_Result answered;
		if (attach_interactive(conn, api, &c, &answered)) {
			ctr_release(&c);
			free(f);
			return answered;
		}
		/* attached before it starts (docker run): all it will write; else from now */
		f->from_start = api_query_true(conn, "logs") || strcmp(ctr_status(&c), "created") == 0;
		ctr_release(&c);
	}
	return api_hijack(
	    conn, f->tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream",
	    attach_run, f);
}

/* --- exec ------------------------------------------------------------------------------------------ */

/* An exec made by POST /containers/ID/exec, started by POST /exec/ID/start: the daemon runs
 * `minidock exec` for it, through a terminal of its own (Tty) or pipes. */
struct exec {
	char id[65];
	json_t *args; /* `minidock exec`'s arguments */
	char container[65];
	bool tty, in, out, errs, running, started;
	bool attach, start_asked; /* an interactive attach, waiting for its container's start */
	int exit_code;
	pid_t pid;
	int master; /* the terminal's side the daemon holds, or -1 */
	unsigned short rows, cols; /* its size, once a resize said it (it may come first) */
	json_t *config;
};

#define EXECS_MAX 256
static struct exec execs[EXECS_MAX];
static size_t n_execs;
static pthread_mutex_t execs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t execs_changed = PTHREAD_COND_INITIALIZER; /* an entry started or ended */

/* The exec of id (attach: the interactive attach of container id) under execs_lock, or NULL. */
static struct exec *find_entry(const char *id, bool attach)
{
	for (size_t i = 0; i < n_execs; i++)
		if (execs[i].attach == attach && strcmp(execs[i].id, id) == 0 && !(attach && execs[i].started && !execs[i].running))
			return &execs[i];
	return NULL;
}

static struct exec *find_exec(const char *id)
{
	return find_entry(id, false);
}

API_HANDLER(api_exec_create)
{
	json_error_t jerr;
	_cleanup_json_ json_t *body = req->body ? json_loadb(req->body, req->len, 0, &jerr) : NULL;
	const json_t *cmd = json_object_get(body, "Cmd");
	if (!json_is_object(body) || !json_is_array(cmd) || json_array_size(cmd) == 0)
		return api_fail(conn, 400, "an exec is a JSON object with a Cmd (a list of strings)");
	struct container c;
	err_t err;
	if (ctr_load(api->root, arg, &c, &err) < 0)
		return api_fail_err(conn, &err);
	bool running = strcmp(ctr_status(&c), "running") == 0;
	struct exec e = { .master = -1 };
	snprintf(e.container, sizeof(e.container), "%s", c.id);
	ctr_release(&c);
	if (!running)
		return api_fail(conn, 409, "Container %s is not running", e.container);
	unsigned char raw[32];
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return api_fail(conn, 500, "getrandom: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(raw); i++)
		sprintf(e.id + 2 * i, "%02x", raw[i]);
	e.tty = json_is_true(json_object_get(body, "Tty"));
	e.in = json_is_true(json_object_get(body, "AttachStdin"));
	e.out = json_is_true(json_object_get(body, "AttachStdout"));
	e.errs = json_is_true(json_object_get(body, "AttachStderr"));
	e.args = json_pack("[s]", "exec");
	if (e.in)
		json_array_append_new(e.args, json_string("-i"));
	if (e.tty)
		json_array_append_new(e.args, json_string("-t"));
	static const char *const fields[][2] = { { "User", "-u" }, { "WorkingDir", "-w" } };
	for (size_t i = 0; i < 2; i++) {
		const char *v = json_str(body, fields[i][0]);
		if (v && *v)
			json_array_append_new(e.args, json_string(fields[i][1])),
			    json_array_append_new(e.args, json_string(v));
	}
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(body, "Env"), i, v)
	{
		if (!json_is_string(v)) {
			json_decref(e.args);
			return api_fail(conn, 400, "Env: a list of strings");
		}
		json_array_append_new(e.args, json_string("-e"));
		json_array_append_new(e.args, json_copy(v));
	}
	json_array_append_new(e.args, json_string(e.container));
	json_array_foreach(cmd, i, v)
	{
		if (!json_is_string(v)) {
			json_decref(e.args);
			return api_fail(conn, 400, "Cmd: a list of strings");
		}
		json_array_append_new(e.args, json_copy(v));
	}
	e.config = json_deep_copy(body);
	pthread_mutex_lock(&execs_lock);
	if (n_execs == EXECS_MAX) { /* the oldest that ended makes room */
		size_t k = 0;
		while (k < n_execs && (execs[k].running || !execs[k].started))
			k++;
		if (k == n_execs) {
			pthread_mutex_unlock(&execs_lock);
			json_decref(e.args);
			json_decref(e.config);
			return api_fail(conn, 503, "too many execs at once");
		}
		json_decref(execs[k].args);
		json_decref(execs[k].config);
		memmove(&execs[k], &execs[k + 1], (n_execs - k - 1) * sizeof(execs[0]));
		n_execs--;
	}
	execs[n_execs++] = e;
	pthread_mutex_unlock(&execs_lock);
	return api_json(conn, 201, json_pack("{s:s}", "Id", e.id));
}

API_HANDLER(api_exec_inspect)
{
	pthread_mutex_lock(&execs_lock);
	struct exec *e = find_exec(arg);
	json_t *out = e ? json_pack("{s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:O, s:I, s:n}", "ID", e->id,
				    "ContainerID", e->container, "Running", e->running, "OpenStdin", e->in,
				    "OpenStdout", e->out, "OpenStderr", e->errs, "Tty", e->tty,
				    "ProcessConfig", e->config, "Pid", (json_int_t)e->pid, "ExitCode")
			: NULL;
	if (e && e->started && !e->running)
		json_object_set_new(out, "ExitCode", json_integer(e->exit_code));
	pthread_mutex_unlock(&execs_lock);
	if (!out)
		return api_fail(conn, 404, "No such exec instance: %s", arg);
	return api_json(conn, 200, out);
}

/* An exec's or attach's terminal to the size asked (under execs_lock). The kernel tells the
 * terminal's foreground process group; what runs on it (`minidock exec -t`, `start -a`) is told
 * too, whatever group has the terminal now: it passes the size on to the container's. */
static void set_size(const struct exec *e)
{
	if (e->master < 0 || !e->rows)
		return;
	ioctl(e->master, TIOCSWINSZ, &(struct winsize){ .ws_row = e->rows, .ws_col = e->cols });
	if (e->pid > 0 && e->running)
		kill(e->pid, SIGWINCH);
}

API_HANDLER(api_exec_resize)
{
	long h = api_query(conn, "h") ? atol(api_query(conn, "h")) : 0, w = api_query(conn, "w") ? atol(api_query(conn, "w")) : 0;
	if (h <= 0 || w <= 0 || h > 10000 || w > 10000)
		return api_fail(conn, 400, "h and w: a terminal's rows and columns");
	pthread_mutex_lock(&execs_lock);
	struct exec *e = find_exec(arg);
	if (e) {
		/* kept for a terminal not made yet (the client asks as soon as it starts the exec) */
		e->rows = (unsigned short)h;
		e->cols = (unsigned short)w;
		set_size(e);
	}
	pthread_mutex_unlock(&execs_lock);
	if (!e)
		return api_fail(conn, 404, "No such exec instance: %s", arg);
	return api_answer(conn, 201, "text/plain", strdup(""));
}

struct exec_run {
	const struct api *api;
	char id[65];
	json_t *args;
	bool tty, in, out, errs, attach;
};

/* Copy what is readable on from to sock (framed as stream when not tty): false at its end. */
static bool pass_out(int from, int sock, int stream, bool tty)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0)
		return false;
	if (tty)
		return api_write_all(sock, buf, (size_t)n);
	return api_frame(sock, stream, buf, (size_t)n) == 0;
}

/* Run `minidock exec` for the hijacked connection sock: with a terminal, its bytes both ways as
 * they are; without, its stdout and stderr in Docker's frames, and its stdin from sock. */
static void exec_run(int sock, const char *early, size_t early_len, void *arg)
{
	struct exec_run *x = arg;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errs[2] = { -1, -1 }, master = -1, slave = -1;
	bool ok = true;
	if (x->tty) {
		/* the daemon's own ends: not to be inherited by what runs (nor by the container) */
		ok = openpty(&master, &slave, NULL, NULL, NULL) == 0 && fcntl(master, F_SETFD, FD_CLOEXEC) == 0 &&
		     fcntl(slave, F_SETFD, FD_CLOEXEC) == 0;
		pthread_mutex_lock(&execs_lock);
		struct exec *e = find_entry(x->id, x->attach);
		if (e && ok) {
			e->master = master;
			if (e->rows)
				ioctl(master, TIOCSWINSZ, &(struct winsize){ .ws_row = e->rows, .ws_col = e->cols });
		}
		pthread_mutex_unlock(&execs_lock);
	} else {
		ok = pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 && pipe2(errs, O_CLOEXEC) == 0;
	}
	size_t n = json_array_size(x->args);
	char **argv = calloc(n + 4, sizeof(char *));
	pid_t pid = -1;
	if (ok && argv) {
		argv[0] = "minidock";
		argv[1] = "--root";
		argv[2] = (char *)x->api->root;
		for (size_t i = 0; i < n; i++)
			argv[3 + i] = (char *)json_string_value(json_array_get(x->args, i));
		pid = fork();
		if (pid == 0) {
			if (x->tty) {
				setsid();
				ioctl(slave, TIOCSCTTY, 0);
				dup2(slave, 0), dup2(slave, 1), dup2(slave, 2);
			} else {
				dup2(in[0], 0), dup2(out[1], 1), dup2(errs[1], 2);
			}
			execv(x->api->self, argv);
			_exit(127);
		}
	}
	free(argv);
	if (slave >= 0)
		close(slave);
	if (in[0] >= 0)
		close(in[0]), close(out[1]), close(errs[1]);
	pthread_mutex_lock(&execs_lock);
	struct exec *e = find_entry(x->id, x->attach);
	if (e) {
		e->pid = pid > 0 ? pid : 0;
		e->running = pid > 0;
	}
	pthread_cond_broadcast(&execs_changed);
	pthread_mutex_unlock(&execs_lock);
	int to_child = x->tty ? master : in[1];
	if (pid > 0 && early_len && x->in)
		api_write_all(to_child, early, early_len);
	if (!x->in && in[1] >= 0) /* nothing comes in: its stdin ends */
		close(in[1]), in[1] = -1, to_child = -1;
	/* both ways until the process's output ends */
	struct pollfd fds[3] = { { .fd = x->tty ? master : out[0], .events = POLLIN },
				{.fd = x->tty ? -1 : errs[0], .events = POLLIN},
				{.fd = x->in && pid > 0 ? sock : -1, .events = POLLIN} };
	while (pid > 0 && (fds[0].fd >= 0 || fds[1].fd >= 0)) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++)
			if (fds[i].fd >= 0 && fds[i].revents && !pass_out(fds[i].fd, sock, i + 1, x->tty))
				fds[i].fd = -1;
		if (fds[2].fd >= 0 && fds[2].revents) {
			char buf[16384];
			ssize_t got = read(sock, buf, sizeof(buf));
			if (got <= 0 || !api_write_all(to_child, buf, (size_t)got)) {
				fds[2].fd = -1; /* the client closed its side: the process's stdin ends */
				if (!x->tty && in[1] >= 0)
					close(in[1]), in[1] = -1;
			}
		}
	}
	int status = 0;
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	int code = pid <= 0 ? 126 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	pthread_mutex_lock(&execs_lock);
	if ((e = find_entry(x->id, x->attach))) {
		e->running = false;
		e->exit_code = code;
		e->master = -1;
	}
	pthread_cond_broadcast(&execs_changed);
	pthread_mutex_unlock(&execs_lock);
	for (int *fd = (int[]){ master, in[1], out[0], errs[0], -2 }; *fd != -2; fd++)
		if (*fd >= 0)
			close(*fd);
	json_decref(x->args);
	free(x);
}

/* Detach: the exec runs on its own, its output dropped. */
static void *exec_detached(void *arg)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	exec_run(null, NULL, 0, arg);
	if (null >= 0)
		close(null);
	return NULL;
}

API_HANDLER(api_exec_start)
{
	_cleanup_json_ json_t *body = req->body ? json_loadb(req->body, req->len, 0, NULL) : json_object();
	struct exec_run *x = calloc(1, sizeof(*x));
	if (!x)
		return MHD_NO;
	pthread_mutex_lock(&execs_lock);
	struct exec *e = find_exec(arg);
	bool twice = e && e->started;
	if (e && !twice) {
		e->started = e->running = true;
		*x = (struct exec_run){ .api = api,
				       .args = json_incref(e->args),
				       .tty = e->tty,
				       .in = e->in,
				       .out = e->out,
				       .errs = e->errs };
		snprintf(x->id, sizeof(x->id), "%s", e->id);
	}
	pthread_mutex_unlock(&execs_lock);
	if (!e || twice) {
		free(x);
		return e ? api_fail(conn, 409, "exec %s has already started", arg)
			 : api_fail(conn, 404, "No such exec instance: %s", arg);
	}
	if (json_is_true(json_object_get(body, "Detach"))) {
		pthread_t t;
		x->in = false;
		if (pthread_create(&t, NULL, exec_detached, x) != 0) {
			json_decref(x->args);
			free(x);
			return api_fail(conn, 500, "no thread for the exec");
		}
		pthread_detach(t);
		return api_answer(conn, 200, "application/json", strdup(""));
	}
	return api_hijack(
	    conn, x->tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream",
	    exec_run, x);
}

/* --- an interactive attach: `minidock start -a -i` on a hijacked connection ------------------- */

/* The hijacked connection waits for the container's start (asked by POST .../start), then runs
 * `minidock start -a -i ID` on it as an exec runs (exec_run()). */
static void attach_interactive_run(int sock, const char *early, size_t early_len, void *arg)
{
	struct exec_run *x = arg;
	bool go = false;
	pthread_mutex_lock(&execs_lock);
	for (;;) {
		struct exec *e = find_entry(x->id, true);
		if (!e)
			break;
		if (e->start_asked) {
			e->started = e->running = go = true;
			break;
		}
		if (api_peer_gone(sock)) {
			e->started = true; /* the client went first: the entry can go */
			e->running = false;
			break;
		}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000)
			until.tv_sec++, until.tv_nsec -= 1000000000;
		pthread_cond_timedwait(&execs_changed, &execs_lock, &until);
	}
	pthread_mutex_unlock(&execs_lock);
	if (go) {
		exec_run(sock, early, early_len, x);
		return;
	}
	json_decref(x->args);
	free(x);
}

static bool attach_interactive(struct MHD_Connection *conn, const struct api *api, const struct container *c,
			       enum MHD_Result *answered)
{
	const json_t *config = json_object_get(c->doc, "Config");
	if (!api_query_true(conn, "stdin") || !json_is_true(json_object_get(config, "OpenStdin")) ||
	    strcmp(ctr_status(c), "created") != 0)
		return false;
	struct exec e = { .master = -1, .attach = true, .in = true, .tty = json_is_true(json_object_get(config, "Tty")),
			  .out = api_query_true(conn, "stdout"), .errs = api_query_true(conn, "stderr") };
	snprintf(e.id, sizeof(e.id), "%s", c->id);
	snprintf(e.container, sizeof(e.container), "%s", c->id);
	e.args = json_pack("[s, s, s, s]", "start", "-a", "-i", c->id);
	struct exec_run *x = calloc(1, sizeof(*x));
	pthread_mutex_lock(&execs_lock);
	bool taken = find_entry(c->id, true) != NULL;
	bool full = n_execs == EXECS_MAX;
	if (!taken && !full && x)
		execs[n_execs++] = e;
	pthread_mutex_unlock(&execs_lock);
	if (taken || full || !x) {
		json_decref(e.args);
		free(x);
		*answered = api_fail(conn, taken ? 409 : 503, taken ? "container %s already has its stdin attached" : "too many attaches at once", c->id);
		return true;
	}
	*x = (struct exec_run){ .api = api, .args = json_incref(e.args), .tty = e.tty, .in = true, .out = e.out,
				.errs = e.errs, .attach = true };
	snprintf(x->id, sizeof(x->id), "%s", c->id);
	*answered = api_hijack(conn, e.tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream",
			       attach_interactive_run, x);
	return true;
}

/* The start of a container an interactive attach waits for: the attach's thread starts it; here,
 * wait until it runs (or could not). 0, -1 when there is no such attach, 1 when it did not start. */
static int attach_start(const struct api *api, const char *id)
{
	pthread_mutex_lock(&execs_lock);
	struct exec *e = find_entry(id, true);
	if (!e || e->start_asked) {
		pthread_mutex_unlock(&execs_lock);
		return -1;
	}
	e->start_asked = true;
	pthread_cond_broadcast(&execs_changed);
	pthread_mutex_unlock(&execs_lock);
	/* until its monitor runs it (or ran it: --rm may have removed it already), or the attached
	 * start ended with the container never started */
	for (int i = 0; i < 600; i++) {
		pthread_mutex_lock(&execs_lock);
		bool spawned = false, ended = true;
		for (size_t k = 0; k < n_execs; k++) {
			if (execs[k].attach && strcmp(execs[k].id, id) == 0 && execs[k].start_asked) {
				spawned = spawned || execs[k].pid > 0;
				ended = ended && execs[k].started && !execs[k].running;
			}
		}
		pthread_mutex_unlock(&execs_lock);
		struct container c;
		err_t err;
		bool created = false, gone = ctr_load(api->root, id, &c, &err) < 0;
		if (!gone) {
			created = strcmp(ctr_status(&c), "created") == 0;
			ctr_release(&c);
		}
		if (spawned && (gone || !created))
			return 0;
		if (ended)
			return 1;
		usleep(POLL_MS * 1000);
	}
	return 1;
}

/* A resize of an interactive attach's terminal: 0, or -1 when there is none. */
static int attach_resize(const char *id, unsigned short rows, unsigned short cols)
{
	pthread_mutex_lock(&execs_lock);
	struct exec *e = find_entry(id, true);
	if (e) {
		e->rows = rows;
		e->cols = cols;
		set_size(e);
	}
	pthread_mutex_unlock(&execs_lock);
	return e ? 0 : -1;
}
