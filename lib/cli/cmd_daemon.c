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
#define THREADS 4

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
};

typedef enum MHD_Result (*handler)(const struct api *api, struct MHD_Connection *conn, const char *path);

static enum MHD_Result ping(const struct api *api, struct MHD_Connection *conn, const char *path)
{
	return answer(conn, 200, "text/plain; charset=utf-8", strdup("OK"));
}

static enum MHD_Result version(const struct api *api, struct MHD_Connection *conn, const char *path)
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

static enum MHD_Result info(const struct api *api, struct MHD_Connection *conn, const char *path)
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
static enum MHD_Result images(const struct api *api, struct MHD_Connection *conn, const char *path)
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
static enum MHD_Result containers(const struct api *api, struct MHD_Connection *conn, const char *path)
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
		json_array_append_new(out, json_pack("{s:s, s:[s+], s:s, s:s, s:s, s:I, s:s, s:s, s:[], s:O}", "Id",
						     list[i].id, "Names", "/", json_str(doc, "Name") ? json_str(doc, "Name") : "",
						     "Image", json_str(config, "Image") ? json_str(config, "Image") : "",
						     "ImageID", json_str(doc, "Image") ? json_str(doc, "Image") : "", "Command",
						     json_str(doc, "Path") ? json_str(doc, "Path") : "", "Created",
						     (json_int_t)t.tv_sec, "State", status, "Status", status, "Ports", "Labels",
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
static enum MHD_Result image_inspect(const struct api *api, struct MHD_Connection *conn, const char *path)
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

/* GET /containers/ID/json: `docker inspect`. */
static enum MHD_Result container_inspect(const struct api *api, struct MHD_Connection *conn, const char *path)
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
	json_t *doc = json_deep_copy(c.doc);
	ctr_release(&c);
	return answer_json(conn, 200, doc);
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
	if (!*state) { /* the headers only: the body (none yet) comes in later calls */
		*state = (void *)1;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* request bodies: not read yet by these endpoints */
		return MHD_YES;
	}
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
			return routes[i].fn(api, conn, path);
	}
	err_t err;
	if (known_path)
		return answer_json(conn, 405, json_pack("{s:s}", "message", "method not allowed"));
	err_msg(&err, ENOENT, "page not found");
	return answer_error(conn, &err);
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
	struct api api;
	if (cli_state_dir(ctx, api.root, &err) < 0)
		return cli_fail(&err);
	int fd = listen_unix(host + 7, &err);
	if (fd < 0)
		return cli_fail(&err);
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
						on_request, &api, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
						(unsigned)THREADS, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 << 10),
						MHD_OPTION_CONNECTION_TIMEOUT, 600u, MHD_OPTION_END);
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
