/*
 * cmd_daemon.c - `minidock daemon`: the engine's API, the Docker Engine API (version 1.41) over
 * HTTP on a unix socket, so that Docker's own clients (the docker CLI, docker-compose,
 * docker-py) drive minidock (lab 13; work in progress: the first endpoints).
 *
 * The HTTP is libmicrohttpd's (loaded when the daemon starts: lib/util/mhd.c); the work is the
 * same library the command line uses (lib/engine), under the same locks, so the daemon and the
 * CLI can be used side by side. Docker's errors are JSON: {"message": "..."} with 404 for an
 * object that does not exist, 409 for a conflict, 400 for a bad request, 500 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "json.h"
#include "log.h"
#include "store.h"
#include "timefmt.h"

#define API_VERSION "1.41"
#define MIN_API_VERSION "1.12"
#define DEFAULT_HOST "unix:///run/minidock.sock"

static int daemon_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_daemon = {
	.name = "daemon",
	.usage = "[OPTIONS]",
	.summary = "Serve the Docker Engine API on a unix socket (for docker, docker-compose)",
	.help = "Options:\n"
		"  -H, --host unix://PATH   where to listen (default " DEFAULT_HOST ")\n"
		"The socket is mode 0660, group \"minidock\" when the group exists: whoever can open\n"
		"it can run anything as root through it.\n",
	.run = daemon_main,
};

/* --- answers ------------------------------------------------------------------------------------ */

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *type, char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Api-Version", API_VERSION);
	MHD_add_response_header(r, "Docker-Experimental", "false");
	MHD_add_response_header(r, "Ostype", "linux");
	MHD_add_response_header(r, "Server", "minidock");
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result answer_json(struct MHD_Connection *conn, unsigned status, json_t *value)
{
	char *text = json_dumps(value, JSON_COMPACT);
	json_decref(value);
	if (!text)
		return MHD_NO;
	size_t len = strlen(text);
	char *line = realloc(text, len + 2); /* Docker ends its JSON with a new line */
	if (line) {
		line[len] = '\n';
		line[len + 1] = '\0';
		text = line;
	}
	return answer(conn, status, "application/json", text);
}

/* Docker's error: {"message": MSG} with the status err's code says. */
static enum MHD_Result answer_error(struct MHD_Connection *conn, const err_t *err)
{
	unsigned status = err->code == ENOENT ? 404 : err->code == EEXIST || err->code == EBUSY ? 409
			  : err->code == EINVAL					    ? 400
										    : 500;
	return answer_json(conn, status, json_pack("{s:s}", "message", err->msg));
}

/* --- endpoints ---------------------------------------------------------------------------------- */

struct api {
	char root[PATH_MAX];
	const struct cli_ctx *ctx;
};

/* A request's body, read before its handler runs (at most BODY_MAX bytes: 413 beyond). */
#define BODY_MAX (1 << 20)
struct request {
	char *body;
	size_t len;
	bool too_big;
};

typedef enum MHD_Result (*handler)(const struct api *api, struct MHD_Connection *conn, const char *path,
				   const struct request *req);

static enum MHD_Result ping(const struct api *api, struct MHD_Connection *conn, const char *path,
				 const struct request *req)
{
	return answer(conn, 200, "text/plain; charset=utf-8", strdup("OK"));
}

static enum MHD_Result version(const struct api *api, struct MHD_Connection *conn, const char *path,
				 const struct request *req)
{
	struct utsname u;
	uname(&u);
	json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Version", "20.10.0-minidock",
			      "ApiVersion", API_VERSION, "MinAPIVersion", MIN_API_VERSION, "GitCommit", "minidock",
			      "GoVersion", "none (C)", "Os", "linux", "Arch", "amd64", "KernelVersion", u.release,
			      "BuildTime", __DATE__);
	/* docker version shows the engine's component, its details the same fields */
	json_t *details = json_deep_copy(v);
	json_object_del(details, "Version");
	json_object_set_new(v, "Components",
			    json_pack("[{s:s, s:s, s:o}]", "Name", "Engine", "Version", "20.10.0-minidock", "Details", details));
	return answer_json(conn, 200, v);
}

static enum MHD_Result info(const struct api *api, struct MHD_Connection *conn, const char *path,
				 const struct request *req)
{
	struct container *list = NULL;
	size_t n = 0, running = 0, paused = 0;
	err_t err;
	_cleanup_json_ json_t *store = NULL;
	if (ctr_list(api->root, &list, &n, &err) < 0 || store_read(api->root, &store, &err) < 0) {
		ctr_free_list(list, n);
		return answer_error(conn, &err);
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = ctr_status(&list[i]);
		running += strcmp(s, "running") == 0;
		paused += strcmp(s, "paused") == 0;
	}
	ctr_free_list(list, n);
	struct utsname u;
	uname(&u);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long long mem = (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
	return answer_json(conn, 200,
			   json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s}",
				     "ID", "minidock", "Containers", (json_int_t)n, "ContainersRunning",
				     (json_int_t)running, "ContainersPaused", (json_int_t)paused, "ContainersStopped",
				     (json_int_t)(n - running - paused), "Images",
				     (json_int_t)json_object_size(json_object_get(store, "images")), "Driver", "overlay2",
				     "DockerRootDir", api->root, "OperatingSystem", "minidock", "OSType", "linux",
				     "Architecture", u.machine, "NCPU", (json_int_t)cpus, "MemTotal", (json_int_t)mem, "Name",
				     u.nodename, "ServerVersion", "20.10.0-minidock", "KernelVersion", u.release,
				     "CgroupVersion", access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "2" : "1"));
}

/* GET /images/json: the store's images as `docker images` reads them. */
static enum MHD_Result images(const struct api *api, struct MHD_Connection *conn, const char *path,
				 const struct request *req)
{
	_cleanup_json_ json_t *store = NULL;
	err_t err;
	if (store_read(api->root, &store, &err) < 0)
		return answer_error(conn, &err);
	json_t *out = json_array();
	const char *id;
	json_t *image;
	json_object_foreach(json_object_get(store, "images"), id, image) {
		struct timespec t = { 0 };
		const char *created = json_str(image, "Created");
		if (created)
			time_parse_rfc3339(created, &t);
		json_t *tags = json_object_get(image, "RepoTags");
		json_array_append_new(out, json_pack("{s:s+, s:O, s:O, s:I, s:I, s:I, s:s, s:{}, s:i}", "Id", "sha256:", id,
						     "RepoTags", json_array_size(tags) ? tags : json_pack("[s]", "<none>:<none>"),
						     "RepoDigests", json_object_get(image, "RepoDigests"), "Created",
						     (json_int_t)t.tv_sec, "Size", (json_int_t)0, "SharedSize", (json_int_t)-1,
						     "ParentId", json_str(image, "Parent") ? json_str(image, "Parent") : "",
						     "Labels", "Containers", -1));
	}
	return answer_json(conn, 200, out);
}

/* GET /containers/json[?all=1]: as `docker ps` reads them. */
static enum MHD_Result containers(const struct api *api, struct MHD_Connection *conn, const char *path,
				 const struct request *req)
{
	const char *all = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "all");
	bool every = all && (strcmp(all, "1") == 0 || strcmp(all, "true") == 0);
	struct container *list = NULL;
	size_t n = 0;
	err_t err;
	if (ctr_list(api->root, &list, &n, &err) < 0)
		return answer_error(conn, &err);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		const json_t *doc = list[i].doc;
		const char *status = ctr_status(&list[i]);
		if (!every && strcmp(status, "running") != 0 && strcmp(status, "paused") != 0)
			continue;
		struct timespec t = { 0 };
		if (json_str(doc, "Created"))
			time_parse_rfc3339(json_str(doc, "Created"), &t);
		const json_t *config = json_object_get(doc, "Config");
		/* the command and its arguments, and the status as docker ps words it */
		char command[512] = "", shown[128];
		snprintf(command, sizeof(command), "%s", json_str(doc, "Path") ? json_str(doc, "Path") : "");
		size_t k;
		json_t *arg;
		json_array_foreach(json_object_get(doc, "Args"), k, arg)
			snprintf(command + strlen(command), sizeof(command) - strlen(command), " %s",
				 json_string_value(arg) ? json_string_value(arg) : "");
		const json_t *state = json_object_get(doc, "State");
		struct timespec when = { 0 };
		bool up = strcmp(status, "running") == 0 || strcmp(status, "paused") == 0;
		char ago[64] = "";
		if (time_parse_rfc3339(json_str(state, up ? "StartedAt" : "FinishedAt") ? json_str(state, up ? "StartedAt" : "FinishedAt") : "", &when))
			time_human_duration(difftime(time(NULL), when.tv_sec), ago, sizeof(ago));
		if (up)
			snprintf(shown, sizeof(shown), "Up %s%s", ago, strcmp(status, "paused") == 0 ? " (Paused)" : "");
		else if (strcmp(status, "exited") == 0)
			snprintf(shown, sizeof(shown), "Exited (%lld) %s ago",
				 (long long)json_integer_value(json_object_get(state, "ExitCode")), ago);
		else
			snprintf(shown, sizeof(shown), "%s", strcmp(status, "created") == 0 ? "Created" : status);
		json_array_append_new(out, json_pack("{s:s, s:[s+], s:s, s:s, s:s, s:I, s:s, s:s, s:[], s:O}", "Id",
						     list[i].id, "Names", json_str(doc, "Name") && json_str(doc, "Name")[0] == '/' ? "" : "/",
						     json_str(doc, "Name") ? json_str(doc, "Name") : "",
						     "Image", json_str(config, "Image") ? json_str(config, "Image") : "",
						     "ImageID", json_str(doc, "Image") ? json_str(doc, "Image") : "", "Command",
						     command, "Created", (json_int_t)t.tv_sec, "State", status, "Status", shown,
						     "Ports", "Labels",
						     json_object_get(config, "Labels") ? json_object_get(config, "Labels")
											: json_object()));
	}
	ctr_free_list(list, n);
	return answer_json(conn, 200, out);
}

/* The part of path a route's "*" stands for (an id, or an image's name with its slashes): -1
 * when path is not the pattern's. */
static int route_arg(const char *pattern, const char *path, char *out, size_t size)
{
	const char *star = strchr(pattern, '*');
	size_t pre = (size_t)(star - pattern), post = strlen(star + 1), len = strlen(path);
	if (len <= pre + post || len - pre - post >= size || strncmp(path, pattern, pre) != 0 ||
	    strcmp(path + len - post, star + 1) != 0)
		return -1;
	snprintf(out, size, "%.*s", (int)(len - pre - post), path + pre);
	return 0;
}

/* GET /images/NAME/json: `docker image inspect`. */
static enum MHD_Result image_inspect(const struct api *api, struct MHD_Connection *conn, const char *path,
				 const struct request *req)
{
	char name[600];
	_cleanup_json_ json_t *store = NULL;
	json_t *shown = NULL;
	err_t err;
	if (route_arg("/images/*/json", path, name, sizeof(name)) < 0 || store_read(api->root, &store, &err) < 0 ||
	    img_inspect(api->root, store, name, &shown, &err) < 0)
		return answer_error(conn, &err);
	return answer_json(conn, 200, shown);
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
 * "80/tcp" to bindings (minidock keeps -p's words), no MonitorPid (minidock's own). */
static json_t *docker_shape(const json_t *doc)
{
	json_t *out = json_deep_copy(doc);
	json_object_del(out, "MonitorPid");
	json_t *host = json_object_get(out, "HostConfig");
	json_t *bindings = json_object_get(host, "PortBindings");
	if (json_is_array(bindings)) {
		json_t *map = json_object();
		size_t i;
		json_t *b;
		json_array_foreach(bindings, i, b)
			if (json_is_string(b))
				add_binding(map, json_string_value(b));
		json_object_set_new(host, "PortBindings", map);
	}
	return out;
}

/* GET /containers/ID/json: `docker inspect`. */
static enum MHD_Result container_inspect(const struct api *api, struct MHD_Connection *conn, const char *path,
				 const struct request *req)
{
	char ref[200];
	struct container c;
	err_t err;
	if (route_arg("/containers/*/json", path, ref, sizeof(ref)) < 0) {
		err_msg(&err, EINVAL, "no container named");
		return answer_error(conn, &err);
	}
	if (ctr_load(api->root, ref, &c, &err) < 0)
		return answer_error(conn, &err);
	json_t *doc = docker_shape(c.doc);
	ctr_release(&c);
	return answer_json(conn, 200, doc);
}

/* A command's code run for a request: its exit status; its words into msg (cli_capture()). */
static bool run_ok(int status, const char *msg, struct MHD_Connection *conn, enum MHD_Result *answered)
{
	if (status == 0)
		return true;
	err_t err;
	/* the command's exit status says what kind: 1 no such object (Docker's CLI rule), 125 the rest */
	bool missing = strstr(msg, "No such") != NULL;
	bool conflict = strstr(msg, "already in use") != NULL || strstr(msg, "is running") != NULL;
	err_msg(&err, missing ? ENOENT : conflict ? EEXIST : EINVAL, "%s", *msg ? msg : "failed");
	*answered = answer_error(conn, &err);
	return false;
}

/* Append --flag value for each string of array (or the one string). */
static void add_flags(char ***argv, size_t *argc, const char *flag, const json_t *v)
{
	size_t i;
	json_t *e;
	if (json_is_string(v)) {
		(*argv)[(*argc)++] = (char *)flag;
		(*argv)[(*argc)++] = (char *)json_string_value(v);
		return;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			continue;
		(*argv)[(*argc)++] = (char *)flag;
		(*argv)[(*argc)++] = (char *)json_string_value(e);
	}
}

/* POST /containers/create?name=NAME: Docker's create request as `create`'s flags, so that one
 * validation serves the CLI and the API. */
static enum MHD_Result container_create(const struct api *api, struct MHD_Connection *conn, const char *path,
					const struct request *req)
{
	json_error_t jerr;
	err_t err;
	_cleanup_json_ json_t *body = req->body ? json_loadb(req->body, req->len, 0, &jerr) : NULL;
	if (!json_is_object(body) || !json_is_string(json_object_get(body, "Image"))) {
		err_msg(&err, EINVAL, "a create request is a JSON object with an Image");
		return answer_error(conn, &err);
	}
	const json_t *host = json_object_get(body, "HostConfig");
	json_t *cmd = json_object_get(body, "Cmd"), *entry = json_object_get(body, "Entrypoint");
	size_t cap = 64 + 2 * (json_array_size(json_object_get(body, "Env")) + json_array_size(json_object_get(host, "Binds")) +
				json_object_size(json_object_get(body, "Labels")) + json_object_size(json_object_get(host, "PortBindings")) * 4 +
				json_array_size(json_object_get(host, "CapAdd")) + json_array_size(json_object_get(host, "CapDrop")) +
				json_object_size(json_object_get(body, "Volumes"))) +
		     json_array_size(cmd) + json_array_size(entry);
	_cleanup_free_ char **argv = calloc(cap, sizeof(char *));
	_cleanup_json_ json_t *made = json_array(); /* strings made here, alive as long as argv */
	size_t argc = 0;
	argv[argc++] = "create";
	const char *name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "name");
	if (name && *name)
		add_flags(&argv, &argc, "--name", json_string(name)), json_array_append_new(made, json_string(name));
	add_flags(&argv, &argc, "-e", json_object_get(body, "Env"));
	if (json_str(body, "WorkingDir") && *json_str(body, "WorkingDir"))
		add_flags(&argv, &argc, "-w", json_object_get(body, "WorkingDir"));
	if (json_str(body, "User") && *json_str(body, "User"))
		add_flags(&argv, &argc, "-u", json_object_get(body, "User"));
	if (json_str(body, "Hostname") && *json_str(body, "Hostname"))
		add_flags(&argv, &argc, "-h", json_object_get(body, "Hostname"));
	if (json_is_true(json_object_get(body, "Tty")))
		argv[argc++] = "-t";
	if (json_is_true(json_object_get(body, "OpenStdin")))
		argv[argc++] = "-i";
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(body, "Labels"), key, v) {
		json_t *kv = json_sprintf("%s=%s", key, json_string_value(v) ? json_string_value(v) : "");
		json_array_append_new(made, kv);
		add_flags(&argv, &argc, "-l", kv);
	}
	json_object_foreach(json_object_get(body, "Volumes"), key, v) {
		json_t *p = json_string(key);
		json_array_append_new(made, p);
		add_flags(&argv, &argc, "-v", p);
	}
	if (json_is_true(json_object_get(host, "AutoRemove")))
		argv[argc++] = "--rm";
	if (json_is_true(json_object_get(host, "Init")))
		argv[argc++] = "--init";
	if (json_is_true(json_object_get(host, "Privileged")))
		argv[argc++] = "--privileged";
	if (json_is_true(json_object_get(host, "ReadonlyRootfs")))
		argv[argc++] = "--read-only";
	const char *net = json_str(host, "NetworkMode");
	if (net && *net && strcmp(net, "default") != 0)
		add_flags(&argv, &argc, "--network", json_object_get(host, "NetworkMode"));
	add_flags(&argv, &argc, "-v", json_object_get(host, "Binds"));
	add_flags(&argv, &argc, "--cap-add", json_object_get(host, "CapAdd"));
	add_flags(&argv, &argc, "--cap-drop", json_object_get(host, "CapDrop"));
	add_flags(&argv, &argc, "--security-opt", json_object_get(host, "SecurityOpt"));
	json_object_foreach(json_object_get(host, "PortBindings"), key, v) {
		size_t i;
		json_t *b;
		json_array_foreach(v, i, b) {
			const char *ip = json_str(b, "HostIp"), *port = json_str(b, "HostPort");
			json_t *spec = json_sprintf("%s%s%s:%s", ip && *ip ? ip : "", ip && *ip ? ":" : "", port ? port : "", key);
			json_array_append_new(made, spec);
			add_flags(&argv, &argc, "-p", spec);
		}
	}
	json_t *restart = json_object_get(host, "RestartPolicy");
	if (json_str(restart, "Name") && *json_str(restart, "Name")) {
		json_int_t max = json_integer_value(json_object_get(restart, "MaximumRetryCount"));
		json_t *policy = max > 0 ? json_sprintf("%s:%lld", json_str(restart, "Name"), (long long)max)
					 : json_string(json_str(restart, "Name"));
		json_array_append_new(made, policy);
		add_flags(&argv, &argc, "--restart", policy);
	}
	/* Entrypoint ["a", "b"]: --entrypoint a, and b before Cmd's words */
	if (json_array_size(entry) > 0)
		add_flags(&argv, &argc, "--entrypoint", json_array_get(entry, 0));
	argv[argc++] = (char *)json_str(body, "Image");
	for (size_t i = 1; i < json_array_size(entry); i++)
		argv[argc++] = (char *)json_string_value(json_array_get(entry, i));
	size_t i;
	json_array_foreach(cmd, i, v)
		if (json_is_string(v))
			argv[argc++] = (char *)json_string_value(v);
	char msg[ERR_MSG_MAX], id[65];
	enum MHD_Result answered;
	cli_capture(msg, sizeof(msg));
	int status = cli_create(api->ctx, (int)argc, argv, id);
	cli_capture(NULL, 0);
	if (!run_ok(status, msg, conn, &answered))
		return answered;
	return answer_json(conn, 201, json_pack("{s:s, s:[]}", "Id", id, "Warnings"));
}

/* POST /containers/ID/start */
static enum MHD_Result container_start(const struct api *api, struct MHD_Connection *conn, const char *path,
				       const struct request *req)
{
	char ref[200], msg[ERR_MSG_MAX];
	enum MHD_Result answered;
	if (route_arg("/containers/*/start", path, ref, sizeof(ref)) < 0)
		return MHD_NO;
	cli_capture(msg, sizeof(msg));
	int status = cli_start(api->ctx, ref);
	cli_capture(NULL, 0);
	if (!run_ok(status, msg, conn, &answered))
		return answered;
	return answer(conn, 204, "text/plain", strdup(""));
}

/* POST /containers/ID/wait: when it ends, its exit status. */
static enum MHD_Result container_wait(const struct api *api, struct MHD_Connection *conn, const char *path,
				      const struct request *req)
{
	char ref[200];
	struct container c;
	err_t err;
	if (route_arg("/containers/*/wait", path, ref, sizeof(ref)) < 0 || ctr_load(api->root, ref, &c, &err) < 0)
		return answer_error(conn, &err);
	/* condition=next-exit (docker run asks before it starts the container): its start first */
	const char *condition = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "condition");
	if (condition && strcmp(condition, "next-exit") == 0)
		while (!ctr_monitor_alive(&c) && ctr_reload(&c, &err) == 0 && strcmp(ctr_status(&c), "created") == 0)
			usleep(50 * 1000);
	ctr_wait_monitor(&c, -1);
	json_int_t code = 0;
	if (ctr_reload(&c, &err) == 0)
		code = json_integer_value(json_object_get(json_object_get(c.doc, "State"), "ExitCode"));
	ctr_release(&c);
	return answer_json(conn, 200, json_pack("{s:I, s:n}", "StatusCode", code, "Error"));
}

/* DELETE /containers/ID?force=1&v=1 */
static enum MHD_Result container_delete(const struct api *api, struct MHD_Connection *conn, const char *path,
					const struct request *req)
{
	char ref[200];
	struct container c;
	err_t err;
	const char *force = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "force");
	const char *volumes = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "v");
	if (route_arg("/containers/*", path, ref, sizeof(ref)) < 0 || strchr(ref, '/')) {
		err_msg(&err, ENOENT, "page not found");
		return answer_error(conn, &err);
	}
	if (ctr_load_any(api->root, ref, &c, &err) < 0)
		return answer_error(conn, &err);
	json_t *doc = json_incref(c.doc);
	int rc = ctr_remove(&c, force && (strcmp(force, "1") == 0 || strcmp(force, "true") == 0), &err);
	ctr_release(&c);
	if (rc == 0 && volumes && (strcmp(volumes, "1") == 0 || strcmp(volumes, "true") == 0))
		ctr_volume_release(api->root, doc);
	json_decref(doc);
	if (rc < 0)
		return answer_error(conn, &err);
	return answer(conn, 204, "text/plain", strdup(""));
}

static bool yes(struct MHD_Connection *conn, const char *key)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
	return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

/* One frame of Docker's multiplexed stream: [stream, 0, 0, 0, size as 4 bytes big-endian] and the
 * bytes (stream 1 stdout, 2 stderr). A container with a terminal has one stream: no frames. */
static void put_frame(FILE *out, int stream, const char *data, size_t len, bool tty)
{
	if (!tty) {
		unsigned char h[8] = { (unsigned char)stream, 0, 0, 0, (unsigned char)(len >> 24),
				       (unsigned char)(len >> 16), (unsigned char)(len >> 8), (unsigned char)len };
		fwrite(h, 1, sizeof(h), out);
	}
	fwrite(data, 1, len, out);
}

/* --- attach: the connection becomes the container's output ----------------------------------- */

/* What an attached connection streams. */
struct attached {
	struct container c;
	bool tty, out, errs;
	MHD_socket sock;
	struct MHD_UpgradeResponseHandle *urh;
};

static bool send_all(int sock, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(sock, data, len, MSG_NOSIGNAL);
		if (n <= 0)
			return false;
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/* Follow the container's log from its start, each line a frame on the socket, until the
 * container has run and ended (or was removed) and the log is read to its end. */
static void *stream_attached(void *arg)
{
	struct attached *a = arg;
	char file[PATH_MAX + 200];
	snprintf(file, sizeof(file), "%s/%s-json.log", a->c.dir, a->c.id);
	FILE *log = NULL;
	char *line = NULL;
	size_t cap = 0;
	bool ran = false, alive = true;
	for (int quiet = 0; alive || quiet < 2;) {
		if (!log)
			log = fopen(file, "re");
		bool got = false;
		while (log && getline(&line, &cap, log) > 0) {
			_cleanup_json_ json_t *entry = json_loads(line, 0, NULL);
			const char *text = json_str(entry, "log"), *stream = json_str(entry, "stream");
			int which = stream && strcmp(stream, "stderr") == 0 ? 2 : 1;
			if (!text || (which == 1 && !a->out) || (which == 2 && !a->errs))
				continue;
			char *framed = NULL;
			size_t len = 0;
			FILE *mem = open_memstream(&framed, &len);
			if (mem) {
				put_frame(mem, which, text, strlen(text), a->tty);
				fclose(mem);
				if (!send_all(a->sock, framed, len))
					alive = false, quiet = 2; /* the client went */
			}
			free(framed);
			got = true;
		}
		if (log)
			clearerr(log);
		bool monitor = ctr_monitor_alive(&a->c);
		ran |= monitor;
		err_t err;
		if (!monitor && (ran || ctr_reload(&a->c, &err) < 0 || strcmp(ctr_status(&a->c), "created") != 0))
			alive = false;
		if (!alive && !got)
			quiet++; /* read twice more after the end: the last lines the monitor wrote */
		if (alive || quiet < 2)
			usleep(50 * 1000);
	}
	free(line);
	if (log)
		fclose(log);
	MHD_upgrade_action(a->urh, MHD_UPGRADE_ACTION_CLOSE);
	ctr_release(&a->c);
	free(a);
	return NULL;
}

static void on_upgraded(void *cls, struct MHD_Connection *conn, void *state, const char *extra_in, size_t extra_in_size,
			MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct attached *a = cls;
	pthread_t t;
	a->sock = sock;
	a->urh = urh;
	if (pthread_create(&t, NULL, stream_attached, a) != 0) {
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		ctr_release(&a->c);
		free(a);
		return;
	}
	pthread_detach(t);
}

/* POST /containers/ID/attach?stream=1&stdout=1&stderr=1: "101 UPGRADED", then the output
 * (stdin not yet). */
static enum MHD_Result container_attach(const struct api *api, struct MHD_Connection *conn, const char *path,
					const struct request *req)
{
	char ref[200];
	err_t err;
	struct attached *a = calloc(1, sizeof(*a));
	if (!a)
		return MHD_NO;
	if (route_arg("/containers/*/attach", path, ref, sizeof(ref)) < 0 || ctr_load(api->root, ref, &a->c, &err) < 0) {
		free(a);
		return answer_error(conn, &err);
	}
	a->tty = json_is_true(json_object_get(json_object_get(a->c.doc, "Config"), "Tty"));
	a->out = yes(conn, "stdout");
	a->errs = yes(conn, "stderr");
	struct MHD_Response *r = MHD_create_response_for_upgrade(on_upgraded, a);
	if (!r) {
		ctr_release(&a->c);
		free(a);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", a->tty ? "application/vnd.docker.raw-stream"
							  : "application/vnd.docker.multiplexed-stream");
	MHD_add_response_header(r, "Connection", "Upgrade");
	MHD_add_response_header(r, "Upgrade", "tcp");
	enum MHD_Result rc = MHD_queue_response(conn, 101, r);
	MHD_destroy_response(r);
	return rc;
}

/* GET /containers/ID/logs?stdout=1&stderr=1[&timestamps=1]: the log as it is now (follow: not
 * yet), in Docker's frames. */
static enum MHD_Result container_logs(const struct api *api, struct MHD_Connection *conn, const char *path,
				      const struct request *req)
{
	char ref[200], file[PATH_MAX + 200];
	struct container c;
	err_t err;
	if (route_arg("/containers/*/logs", path, ref, sizeof(ref)) < 0 || ctr_load(api->root, ref, &c, &err) < 0)
		return answer_error(conn, &err);
	bool tty = json_is_true(json_object_get(json_object_get(c.doc, "Config"), "Tty"));
	snprintf(file, sizeof(file), "%s/%s-json.log", c.dir, c.id);
	ctr_release(&c);
	bool out = yes(conn, "stdout"), errs = yes(conn, "stderr"), stamps = yes(conn, "timestamps");
	char *body = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&body, &len);
	FILE *log = fopen(file, "re");
	char *line = NULL;
	size_t cap = 0;
	while (mem && log && getline(&line, &cap, log) > 0) {
		_cleanup_json_ json_t *entry = json_loads(line, 0, NULL);
		const char *text = json_str(entry, "log"), *stream = json_str(entry, "stream"), *time = json_str(entry, "time");
		if (!text || !stream)
			continue;
		int which = strcmp(stream, "stderr") == 0 ? 2 : 1;
		if ((which == 1 && !out) || (which == 2 && !errs))
			continue;
		char *shown = NULL;
		if (asprintf(&shown, "%s%s%s", stamps && time ? time : "", stamps && time ? " " : "", text) < 0)
			continue;
		put_frame(mem, which, shown, strlen(shown), tty);
		free(shown);
	}
	free(line);
	if (log)
		fclose(log);
	if (!mem)
		return MHD_NO;
	fclose(mem);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/vnd.docker.raw-stream");
	MHD_add_response_header(r, "Api-Version", API_VERSION);
	enum MHD_Result rc = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return rc;
}

static bool route_matches(const char *pattern, const char *path)
{
	char ignored[600];
	return strchr(pattern, '*') ? route_arg(pattern, path, ignored, sizeof(ignored)) == 0 : strcmp(pattern, path) == 0;
}

static const struct route {
	const char *method, *path;
	handler fn;
} routes[] = {
	{ "GET", "/_ping", ping },		{ "HEAD", "/_ping", ping },
	{ "GET", "/version", version },		{ "GET", "/info", info },
	{ "GET", "/images/json", images },	{ "GET", "/containers/json", containers },
	{ "GET", "/images/*/json", image_inspect }, { "GET", "/containers/*/json", container_inspect },
	{ "POST", "/containers/create", container_create }, { "POST", "/containers/*/start", container_start },
	{ "POST", "/containers/*/wait", container_wait }, { "GET", "/containers/*/logs", container_logs },
	{ "POST", "/containers/*/attach", container_attach },
	{ "DELETE", "/containers/*", container_delete },
};

/* "/v1.41/containers/json" is "/containers/json"; a version above ours is refused, as Docker's. */
static const char *strip_version(const char *url, bool *too_new)
{
	*too_new = false;
	if (strncmp(url, "/v", 2) != 0 || !strchr(url + 2, '/'))
		return url;
	const char *slash = strchr(url + 2, '/');
	int major = 0, minor = 0;
	if (sscanf(url + 2, "%d.%d", &major, &minor) != 2)
		return url;
	*too_new = major > 1 || (major == 1 && minor > 41);
	return slash;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *http_version, const char *upload, size_t *upload_size, void **state)
{
	const struct api *api = cls;
	struct request *req = *state;
	if (!req) { /* the headers only: the body comes in later calls */
		*state = calloc(1, sizeof(struct request));
		return *state ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		if (!req->too_big && req->len + *upload_size <= BODY_MAX) {
			char *more = realloc(req->body, req->len + *upload_size);
			if (!more)
				return MHD_NO;
			memcpy(more + req->len, upload, *upload_size);
			req->body = more;
			req->len += *upload_size;
		} else {
			req->too_big = true;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->too_big)
		return answer_json(conn, 413, json_pack("{s:s}", "message", "request body too large"));
	bool too_new;
	const char *path = strip_version(url, &too_new);
	log_debug("%s %s", method, url);
	if (too_new) {
		err_t err;
		err_msg(&err, EINVAL, "client version is too new. Maximum supported API version is " API_VERSION);
		return answer_error(conn, &err);
	}
	bool known_path = false;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!route_matches(routes[i].path, path))
			continue;
		known_path = true;
		if (strcmp(method, routes[i].method) == 0)
			return routes[i].fn(api, conn, path, req);
	}
	err_t err;
	if (known_path)
		return answer_json(conn, 405, json_pack("{s:s}", "message", "method not allowed"));
	err_msg(&err, ENOENT, "page not found");
	return answer_error(conn, &err);
}

/* A request is over: its body goes. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode why)
{
	struct request *req = *state;
	if (req) {
		free(req->body);
		free(req);
		*state = NULL;
	}
}

/* --- the socket ----------------------------------------------------------------------------------- */

/* Listen on unix socket path: a stale one (nobody answers) replaced, a live one refused. */
static int listen_unix(const char *path, err_t *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path))
		return err_msg(err, ENAMETOOLONG, "%s: too long for a socket's path", path);
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(err, "socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		close(fd);
		return err_msg(err, EADDRINUSE, "%s: another daemon is listening there", path);
	}
	unlink(path);
	mode_t old = umask(0117); /* 0660 from the start: no moment where anyone may connect */
	int rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (rc < 0 || listen(fd, 128) < 0) {
		err_sys(err, "listen on %s", path);
		close(fd);
		return -1;
	}
	struct group *g = getgrnam("minidock");
	if (g && chown(path, 0, g->gr_gid) < 0)
		log_debug("chown %s: %s", path, strerror(errno));
	return fd;
}

static volatile sig_atomic_t stopping;
static void on_signal(int sig)
{
	stopping = sig;
}

static int daemon_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "host", required_argument, NULL, 'H' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *host = DEFAULT_HOST;
	int opt;
	err_t err;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+H:", options, NULL)) != -1) {
		switch (opt) {
		case 'H': host = optarg; break;
		case 'h': return cli_help(&cmd_daemon);
		default: return cli_usage_error(&cmd_daemon, "unknown flag");
		}
	}
	if (optind != argc)
		return cli_args_error(&cmd_daemon, "\"daemon\" accepts no arguments.");
	if (strncmp(host, "tcp://", 6) == 0)
		return cli_usage_error(&cmd_daemon, "--host %s: a TCP listener would give root to the network: not without "
				       "TLS client certificates, which minidock does not do yet (Docker's own advice)",
				       host);
	if (strncmp(host, "unix://", 7) != 0)
		return cli_usage_error(&cmd_daemon, "--host %s: unix://PATH only", host);
	struct api api = { .ctx = ctx };
	if (cli_state_dir(ctx, api.root, &err) < 0)
		return cli_fail(&err);
	int fd = listen_unix(host + 7, &err);
	if (fd < 0)
		return cli_fail(&err);
	/* A thread per connection: a wait or a followed log may last as long as a container. */
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
							MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE,
						0, NULL, NULL, on_request, &api, MHD_OPTION_LISTEN_SOCKET, fd,
						MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
						MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 << 10),
						MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_END);
	if (!d) {
		close(fd);
		unlink(host + 7);
		err_msg(&err, ENOSYS, "the HTTP server could not start (libmicrohttpd12 is needed)");
		return cli_fail(&err);
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "minidock daemon: API %s listening on %s (state %s)\n", API_VERSION, host, api.root);
	while (!stopping)
		pause();
	MHD_stop_daemon(d);
	unlink(host + 7);
	return 0;
}
