/*
 * cmd_daemon.c - `minidock daemon`: the engine's API (daemon.h), its socket, its routes, and
 * what every handler shares: answers, streams, hijacked connections, minidock's commands run
 * for a request.
 *
 * The HTTP is libmicrohttpd's (loaded when the daemon starts: lib/util/mhd.c), a thread for
 * each connection: a wait, a followed log or an attached container may last as long as the
 * container, and must not hold the others up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "daemon.h"
#include "engine.h"
#include "fsutil.h"
#include "json.h"
#include "log.h"
#include "store.h"

#define DEFAULT_HOST "unix:///run/minidock.sock"

extern char **environ;

static int daemon_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_daemon = {
	.name = "daemon",
	.usage = "[OPTIONS]   (or minidockd [OPTIONS]: a link named minidockd to minidock)",
	.summary = "Serve the Docker Engine API on a unix socket (for docker, docker-compose)",
	.help = "Options:\n"
		"  -H, --host unix://PATH   where to listen (default " DEFAULT_HOST ")\n"
		"      --root DIR           the state directory (as minidock --root)\n"
		"  -H tcp://ADDRESS:PORT --tlsverify --tlscacert CA --tlscert CERT --tlskey KEY\n"
		"                           over TLS instead, for clients with a certificate CA signed\n"
		"The socket is mode 0660, group \"minidock\" when the group exists: whoever can open\n"
		"it can run anything as root through it.\n",
	.run = daemon_main,
};

/* --- answers ------------------------------------------------------------------------------------ */

static void common_headers(struct MHD_Response *r, const char *type)
{
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Api-Version", API_VERSION);
	MHD_add_response_header(r, "Docker-Experimental", "false");
	MHD_add_response_header(r, "Ostype", "linux");
	MHD_add_response_header(r, "Server", "minidock");
}

enum MHD_Result api_answer(struct MHD_Connection *conn, unsigned status, const char *type, char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	common_headers(r, type);
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

enum MHD_Result api_json(struct MHD_Connection *conn, unsigned status, json_t *value)
{
	char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
	json_decref(value);
	if (!text)
		return MHD_NO;
	size_t len = strlen(text);
	char *line = realloc(text, len + 2);
	if (line) {
		line[len] = '\n';
		line[len + 1] = '\0';
		text = line;
	}
	return api_answer(conn, status, "application/json", text);
}

enum MHD_Result api_fail(struct MHD_Connection *conn, unsigned status, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return api_json(conn, status, json_pack("{s:s}", "message", msg));
}

enum MHD_Result api_fail_err(struct MHD_Connection *conn, const err_t *err)
{
	unsigned status = err->code == ENOENT				     ? 404
			  : err->code == EEXIST || err->code == EBUSY	     ? 409
			  : err->code == EINVAL || err->code == ENAMETOOLONG ? 400
									     : 500;
	return api_fail(conn, status, "%s", err->msg);
}

enum MHD_Result api_no_content(struct MHD_Connection *conn)
{
	return api_answer(conn, 204, "text/plain", strdup(""));
}

bool api_word_ok(const char *v)
{
	return v && *v && *v != '-';
}

const char *api_query(struct MHD_Connection *conn, const char *key)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
}

bool api_query_true(struct MHD_Connection *conn, const char *key)
{
	const char *v = api_query(conn, key);
	return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "True") == 0);
}

/* --- minidock's commands, run for a request ---------------------------------------------------- */

/* Read what the child writes on out and errs until both are closed. */
static void read_both(int out, int errs, struct api_run *r)
{
	FILE *mem = out >= 0 ? open_memstream(&r->out, &r->out_len) : NULL; /* out -1: stderr only */
	size_t msg_len = 0;
	struct pollfd fds[2] = { { .fd = out, .events = POLLIN }, { .fd = errs, .events = POLLIN } };
	char buf[8192];
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			ssize_t n = read(fds[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				fds[i].fd = -1;
				continue;
			}
			if (i == 0 && mem) {
				fwrite(buf, 1, (size_t)n, mem);
			} else if (i == 1 && msg_len + 1 < sizeof(r->msg)) {
				size_t take = (size_t)n < sizeof(r->msg) - 1 - msg_len
						  ? (size_t)n
						  : sizeof(r->msg) - 1 - msg_len;
				memcpy(r->msg + msg_len, buf, take);
				msg_len += take;
			}
		}
	}
	r->msg[msg_len] = '\0';
	if (mem)
		fclose(mem);
}

/* "minidock: MESSAGE\n" or "minidock CMD: MESSAGE\nSee 'minidock CMD --help'.\n": MESSAGE. */
static void message_only(char *msg)
{
	char *see = strstr(msg, "\nSee 'minidock");
	if (see)
		*see = '\0';
	if (strncmp(msg, "minidock", 8) == 0 && strstr(msg, ": ")) {
		char *start = strstr(msg, ": ") + 2;
		memmove(msg, start, strlen(start) + 1);
	}
	size_t len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
}

/* Start `minidock --root ROOT args...` with stdin from in_fd (-1: /dev/null): its pid, and the
 * read ends of its stdout and stderr. */
static int spawn(const struct api *api, char *const args[], int in_fd, pid_t *pid, int *out_fd, int *err_fd, err_t *err)
{
	size_t n = 0;
	while (args[n])
		n++;
	_cleanup_free_ char **argv = calloc(n + 4, sizeof(char *));
	int out[2] = { -1, -1 }, errs[2] = { -1, -1 };
	if (!argv)
		return err_msg(err, ENOMEM, "out of memory");
	argv[0] = "minidock";
	argv[1] = "--root";
	argv[2] = (char *)api->root;
	memcpy(argv + 3, args, n * sizeof(char *));
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errs, O_CLOEXEC) < 0) {
		err_sys(err, "pipe");
		for (int *fd = (int[]){ out[0], out[1], errs[0], errs[1], -2 }; *fd != -2; fd++)
			if (*fd >= 0)
				close(*fd);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errs[1], 2);
	int rc = posix_spawn(pid, api->self, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(errs[1]);
	if (rc != 0) {
		close(out[0]);
		close(errs[0]);
		errno = rc;
		return err_sys(err, "run %s", api->self);
	}
	*out_fd = out[0];
	*err_fd = errs[0];
	return 0;
}

/* Wait for pid: its exit status (128 + the signal that killed it). */
static int reap(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int api_run(const struct api *api, char *const args[], int in_fd, struct api_run *r, err_t *err)
{
	pid_t pid;
	int out, errs;
	memset(r, 0, sizeof(*r));
	if (spawn(api, args, in_fd, &pid, &out, &errs, err) < 0)
		return -1;
	read_both(out, errs, r);
	close(out);
	close(errs);
	r->status = reap(pid);
	message_only(r->msg);
	if (!r->out)
		r->out = strdup("");
	log_debug("ran %s: %d %s", args[0], r->status, r->msg);
	return 0;
}

void api_run_free(struct api_run *r)
{
	free(r->out);
	r->out = NULL;
}

int api_run_json(const struct api *api, const json_t *args, int in_fd, struct api_run *r, err_t *err)
{
	size_t n = json_array_size(args);
	_cleanup_free_ char **argv = calloc(n + 1, sizeof(char *));
	if (!argv)
		return err_msg(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!(argv[i] = (char *)json_string_value(json_array_get(args, i))))
			return err_msg(err, EINVAL, "an argument is not a string");
	return api_run(api, argv, in_fd, r, err);
}

enum MHD_Result api_fail_run(struct MHD_Connection *conn, const struct api_run *r)
{
	const char *m = r->msg;
	unsigned status = 500;
	if (strstr(m, "No such") || strstr(m, "not found") || strstr(m, "does not exist"))
		status = 404;
	else if (strstr(m, "already") || strstr(m, "in use") || strstr(m, "is running") ||
		 strstr(m, "Conflict") || strstr(m, "is not running") || strstr(m, "is paused") ||
		 strstr(m, "is not paused"))
		status = 409;
	else if (r->status == 125 || r->status == 1)
		status = 400;
	return api_fail(conn, status, "%s", *m ? m : "failed");
}

bool api_run_ok(const struct api *api, struct MHD_Connection *conn, char *const args[], struct api_run *r,
		enum MHD_Result *answered)
{
	err_t err;
	if (api_run(api, args, -1, r, &err) < 0) {
		*answered = api_fail_err(conn, &err);
		return false;
	}
	if (r->status != 0) {
		*answered = api_fail_run(conn, r);
		api_run_free(r);
		return false;
	}
	return true;
}

enum MHD_Result api_run_answer(const struct api *api, struct MHD_Connection *conn, char *const args[])
{
	struct api_run r;
	err_t err;
	if (api_run(api, args, -1, &r, &err) < 0)
		return api_fail_err(conn, &err);
	enum MHD_Result rc = r.status == 0 ? api_no_content(conn) : api_fail_run(conn, &r);
	api_run_free(&r);
	return rc;
}

int api_run_lines(const struct api *api, char *const args[], int in_fd, int fd, const char *key)
{
	pid_t pid;
	int out, errs;
	err_t err;
	if (spawn(api, args, in_fd, &pid, &out, &errs, &err) < 0)
		return -1;
	/* stdout line by line as it comes; stderr kept for the failure (read after: it is short) */
	FILE *lines = fdopen(out, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	bool client = true;
	while (lines && (len = getline(&line, &cap, lines)) > 0) {
		if (!client)
			continue; /* the client went: the command still runs to its end */
		if (strcmp(key, "status") == 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		client = api_write_line(fd, json_pack("{s:s}", key, line));
	}
	free(line);
	if (lines)
		fclose(lines);
	else
		close(out);
	struct api_run r = { 0 };
	read_both(-1, errs, &r);
	close(errs);
	free(r.out);
	int status = reap(pid);
	message_only(r.msg);
	if (status != 0 && client) {
		api_write_line(fd, json_pack("{s:{s:s}, s:s}", "errorDetail", "message", *r.msg ? r.msg : "failed", "error",
					     *r.msg ? r.msg : "failed"));
	}
	return status;
}

/* --- streams ------------------------------------------------------------------------------------- */

struct stream_job {
	int fd;
	void (*worker)(int fd, void *arg);
	void *arg;
};

static void *stream_thread(void *p)
{
	struct stream_job *job = p;
	job->worker(job->fd, job->arg);
	close(job->fd);
	free(job);
	return NULL;
}

enum MHD_Result api_stream(struct MHD_Connection *conn, const char *type, void (*worker)(int fd, void *arg),
			   void *arg)
{
	int fds[2];
	struct stream_job *job = calloc(1, sizeof(*job));
	if (!job || pipe2(fds, O_CLOEXEC) < 0) {
		free(job);
		return api_fail(conn, 500, "pipe: %s", strerror(errno));
	}
	/* MHD reads the pipe's end until it closes: answered in chunks as the worker writes */
	struct MHD_Response *r = MHD_create_response_from_pipe(fds[0]);
	if (!r) {
		close(fds[0]);
		close(fds[1]);
		free(job);
		return MHD_NO;
	}
	common_headers(r, type);
	*job = (struct stream_job){ .fd = fds[1], .worker = worker, .arg = arg };
	pthread_t t;
	if (pthread_create(&t, NULL, stream_thread, job) != 0) {
		close(fds[1]);
		free(job);
		MHD_destroy_response(r); /* closes fds[0] */
		return MHD_NO;
	}
	pthread_detach(t);
	enum MHD_Result rc = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return rc;
}

bool api_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

bool api_write_line(int fd, json_t *value)
{
	char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
	json_decref(value);
	if (!text)
		return false;
	size_t len = strlen(text);
	char *line = realloc(text, len + 2);
	if (!line) {
		free(text);
		return false;
	}
	line[len] = '\n';
	bool ok = api_write_all(fd, line, len + 1);
	free(line);
	return ok;
}

bool api_peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = 0 };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP));
}

struct hijack_job {
	api_hijacked run;
	void *arg;
	int sock;
	char *early;
	size_t early_len;
	struct MHD_UpgradeResponseHandle *urh;
};

static void *hijack_thread(void *p)
{
	struct hijack_job *job = p;
	/* libmicrohttpd's sockets do not block; this thread's writes wait for a slow client */
	int flags = fcntl(job->sock, F_GETFL);
	if (flags >= 0)
		fcntl(job->sock, F_SETFL, flags & ~O_NONBLOCK);
	job->run(job->sock, job->early, job->early_len, job->arg);
	MHD_upgrade_action(job->urh, MHD_UPGRADE_ACTION_CLOSE);
	free(job->early);
	free(job);
	return NULL;
}

static void on_upgraded(void *cls, struct MHD_Connection *conn, void *state, const char *extra_in,
			size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct hijack_job *job = cls;
	job->sock = sock;
	job->urh = urh;
	if (extra_in_size && (job->early = malloc(extra_in_size))) {
		memcpy(job->early, extra_in, extra_in_size);
		job->early_len = extra_in_size;
	}
	pthread_t t;
	if (pthread_create(&t, NULL, hijack_thread, job) != 0) {
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		free(job->early);
		free(job);
		return;
	}
	pthread_detach(t);
}

enum MHD_Result api_hijack(struct MHD_Connection *conn, const char *type, api_hijacked run, void *arg)
{
	struct hijack_job *job = calloc(1, sizeof(*job));
	if (!job)
		return MHD_NO;
	*job = (struct hijack_job){ .run = run, .arg = arg };
	struct MHD_Response *r = MHD_create_response_for_upgrade(on_upgraded, job);
	if (!r) {
		free(job);
		return MHD_NO;
	}
	common_headers(r, type);
	MHD_add_response_header(r, "Connection", "Upgrade");
	MHD_add_response_header(r, "Upgrade", "tcp");
	enum MHD_Result rc = MHD_queue_response(conn, 101, r);
	MHD_destroy_response(r);
	return rc;
}

/* --- the system's endpoints ---------------------------------------------------------------------- */

static API_HANDLER(ping)
{
	return api_answer(conn, 200, "text/plain; charset=utf-8", strdup("OK"));
}

static API_HANDLER(version)
{
	struct utsname u;
	uname(&u);
	json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Version", "20.10.0-minidock",
			      "ApiVersion", API_VERSION, "MinAPIVersion", MIN_API_VERSION, "GitCommit",
			      "minidock", "GoVersion", "none (C)", "Os", "linux", "Arch", "amd64",
			      "KernelVersion", u.release, "BuildTime", __DATE__);
	/* docker version shows the engine's component, its details the same fields */
	json_t *details = json_deep_copy(v);
	json_object_del(details, "Version");
	json_object_set_new(v, "Components",
			    json_pack("[{s:s, s:s, s:o}]", "Name", "Engine", "Version", "20.10.0-minidock",
				      "Details", details));
	return api_json(conn, 200, v);
}

static API_HANDLER(info)
{
	struct container *list = NULL;
	size_t n = 0, running = 0, paused = 0;
	err_t err;
	_cleanup_json_ json_t *store = NULL;
	if (ctr_list(api->root, &list, &n, &err) < 0 || store_read(api->root, &store, &err) < 0) {
		ctr_free_list(list, n);
		return api_fail_err(conn, &err);
	}
	for (size_t i = 0; i < n; i++) {
		bool up = strcmp(ctr_status(&list[i]), "running") == 0;
		bool frozen = up && json_is_true(json_object_get(json_object_get(list[i].doc, "State"), "Paused"));
		running += up && !frozen;
		paused += frozen;
	}
	ctr_free_list(list, n);
	struct utsname u;
	uname(&u);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long long mem = (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
	return api_json(
	    conn, 200,
	    json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s}",
		      "ID", "minidock", "Containers", (json_int_t)n, "ContainersRunning", (json_int_t)running,
		      "ContainersPaused", (json_int_t)paused, "ContainersStopped",
		      (json_int_t)(n - running - paused), "Images",
		      (json_int_t)json_object_size(json_object_get(store, "images")), "Driver", "overlay2",
		      "DockerRootDir", api->root, "OperatingSystem", "minidock", "OSType", "linux",
		      "Architecture", u.machine, "NCPU", (json_int_t)cpus, "MemTotal", (json_int_t)mem,
		      "Name", u.nodename, "ServerVersion", "20.10.0-minidock", "KernelVersion", u.release,
		      "CgroupVersion", access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "2" : "1"));
}

/* --- routes -------------------------------------------------------------------------------------- */

static const struct route {
	const char *method, *path; /* "*": one part of the path, or, last, the rest (an image's name) */
	api_handler fn;
	bool archive; /* the body is an archive: into a file, not memory */
} routes[] = {
	{ "GET", "/_ping", ping, false },
	{ "HEAD", "/_ping", ping, false },
	{ "GET", "/version", version, false },
	{ "GET", "/info", info, false },
	{ "GET", "/events", api_events, false },
	{ "GET", "/containers/json", api_containers_list, false },
	{ "POST", "/containers/create", api_container_create, false },
	{ "POST", "/containers/prune", api_containers_prune, false },
	{ "GET", "/containers/*/json", api_container_inspect, false },
	{ "POST", "/containers/*/start", api_container_start, false },
	{ "POST", "/containers/*/stop", api_container_stop, false },
	{ "POST", "/containers/*/restart", api_container_restart, false },
	{ "POST", "/containers/*/kill", api_container_kill, false },
	{ "POST", "/containers/*/pause", api_container_pause, false },
	{ "POST", "/containers/*/unpause", api_container_unpause, false },
	{ "POST", "/containers/*/rename", api_container_rename, false },
	{ "POST", "/containers/*/wait", api_container_wait, false },
	{ "GET", "/containers/*/logs", api_container_logs, false },
	{ "POST", "/containers/*/attach", api_container_attach, false },
	{ "GET", "/containers/*/top", api_container_top, false },
	{ "POST", "/containers/*/resize", api_container_resize, false },
	{ "POST", "/containers/*/exec", api_exec_create, false },
	{ "DELETE", "/containers/*", api_container_delete, false },
	{ "POST", "/exec/*/start", api_exec_start, false },
	{ "POST", "/exec/*/resize", api_exec_resize, false },
	{ "GET", "/exec/*/json", api_exec_inspect, false },
	{ "GET", "/images/json", api_images_list, false },
	{ "POST", "/images/create", api_image_create, false },
	{ "POST", "/images/load", api_images_load, true },
	{ "GET", "/images/get", api_images_get, false },
	{ "POST", "/build", api_build, true },
	{ "GET", "/images/*/json", api_image_inspect, false },
	{ "GET", "/images/*/history", api_image_history, false },
	{ "GET", "/images/*/get", api_image_get, false },
	{ "POST", "/images/*/tag", api_image_tag, false },
	{ "POST", "/images/*/push", api_image_push, false },
	{ "DELETE", "/images/*", api_image_delete, false },
	{ "GET", "/networks", api_networks_list, false },
	{ "GET", "/networks/", api_networks_list, false },
	{ "POST", "/networks/create", api_network_create, false },
	{ "POST", "/networks/prune", api_networks_prune, false },
	{ "POST", "/networks/*/connect", api_network_connect, false },
	{ "POST", "/networks/*/disconnect", api_network_disconnect, false },
	{ "GET", "/networks/*", api_network_inspect, false },
	{ "DELETE", "/networks/*", api_network_delete, false },
	{ "GET", "/volumes", api_volumes_list, false },
	{ "POST", "/volumes/create", api_volume_create, false },
	{ "POST", "/volumes/prune", api_volumes_prune, false },
	{ "GET", "/volumes/*", api_volume_inspect, false },
	{ "DELETE", "/volumes/*", api_volume_delete, false },
};

/* The part of path the route's "*" stands for, into arg: -1 when path is not the route's. A "*"
 * in the middle is one part (no "/"); at the end, the rest (an image's name has slashes). */
static int route_arg(const char *pattern, const char *path, char *arg, size_t size)
{
	const char *star = strchr(pattern, '*');
	if (!star) {
		arg[0] = '\0';
		return strcmp(pattern, path) == 0 ? 0 : -1;
	}
	size_t pre = (size_t)(star - pattern), post = strlen(star + 1), len = strlen(path);
	if (len <= pre + post || len - pre - post >= size || strncmp(path, pattern, pre) != 0 ||
	    strcmp(path + len - post, star + 1) != 0)
		return -1;
	snprintf(arg, size, "%.*s", (int)(len - pre - post), path + pre);
	return post && strchr(arg, '/') && strncmp(pattern, "/images/", 8) != 0 ? -1 : 0;
}

static const struct route *find_route(const char *method, const char *path, char *arg, size_t size,
				      bool *known)
{
	*known = false;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (route_arg(routes[i].path, path, arg, size) < 0)
			continue;
		*known = true;
		if (strcmp(method, routes[i].method) == 0)
			return &routes[i];
	}
	return NULL;
}

/* A request's body goes into memory, or into a file for an archive's route. */
static void take_body(const struct api *api, struct request *req, const char *upload, size_t n)
{
	if (req->too_big || req->failed)
		return;
	if (req->file >= 0) {
		if (req->file_len + (long long)n > ARCHIVE_MAX)
			req->too_big = true;
		else if (!api_write_all(req->file, upload, n))
			req->failed = true;
		req->file_len += (long long)n;
		return;
	}
	if (req->len + n > BODY_MAX) {
		req->too_big = true;
		return;
	}
	char *more = realloc(req->body, req->len + n + 1);
	if (!more) {
		req->failed = true;
		return;
	}
	memcpy(more + req->len, upload, n);
	req->body = more;
	req->len += n;
	req->body[req->len] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *http_version, const char *upload, size_t *upload_size,
				  void **state)
{
	const struct api *api = cls;
	struct request *req = *state;
	char path[1024], arg[700];
	err_t err;
	bool known = false;
	int path_ok = api_path(url, path, sizeof(path), &err);
	const struct route *route = path_ok == 0 ? find_route(method, path, arg, sizeof(arg), &known) : NULL;
	if (!req) { /* the headers only: the body comes in later calls */
		if (!(req = calloc(1, sizeof(*req))))
			return MHD_NO;
		req->file = -1;
		*state = req;
		/* on TCP, nothing is taken from a client without a certificate of the daemon's CA */
		req->forbidden = api->tls && !mhd_client_verified(conn);
		if (route && route->archive && !req->forbidden) {
			char dir[PATH_MAX + 8];
			snprintf(dir, sizeof(dir), "%s/tmp", api->root);
			snprintf(req->file_path, sizeof(req->file_path), "%s/api-body-XXXXXX", dir);
			if (fs_mkdir_p(dir, 0700, &err) < 0 ||
			    (req->file = mkostemp(req->file_path, O_CLOEXEC)) < 0)
				req->failed = true, req->file_path[0] = '\0';
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (route && !req->forbidden)
			take_body(api, req, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	log_debug("%s %s", method, url);
	if (req->forbidden)
		return api_fail(conn, 403, "a client certificate signed by the daemon's CA (--tlscacert) is needed");
	if (path_ok < 0)
		return api_fail_err(conn, &err);
	if (req->too_big)
		return api_fail(conn, 413, "request body too large");
	if (req->failed)
		return api_fail(conn, 500, "the request's body could not be kept");
	if (!route)
		return known ? api_fail(conn, 405, "method not allowed") : api_fail(conn, 404, "page not found");
	/* no name or id starts with "-": one that does would be taken for a flag of the command run */
	if (arg[0] == '-')
		return api_fail(conn, 404, "No such object: %s", arg);
	if (req->file >= 0)
		lseek(req->file, 0, SEEK_SET);
	return route->fn(api, conn, arg, req);
}

/* A request is over: its body goes (its file too). */
static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
			 enum MHD_RequestTerminationCode why)
{
	struct request *req = *state;
	if (!req)
		return;
	free(req->body);
	if (req->file >= 0)
		close(req->file);
	if (req->file_path[0])
		unlink(req->file_path);
	free(req);
	*state = NULL;
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

/* Listen on ADDRESS:PORT (IPv4). */
static int listen_tcp(const char *where, err_t *err)
{
	char address[64];
	const char *colon = strrchr(where, ':');
	char *end = NULL;
	long port = colon ? strtol(colon + 1, &end, 10) : 0;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (!colon || colon == where || (size_t)(colon - where) >= sizeof(address) || !colon[1] || *end || port < 1 ||
	    port > 65535)
		return err_msg(err, EINVAL, "tcp://%s: tcp://ADDRESS:PORT (IPv4)", where);
	snprintf(address, sizeof(address), "%.*s", (int)(colon - where), where);
	if (inet_pton(AF_INET, address, &addr.sin_addr) != 1)
		return err_msg(err, EINVAL, "tcp://%s: %s is not an IPv4 address", where, address);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return err_sys(err, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 128) < 0) {
		err_sys(err, "listen on %s", where);
		close(fd);
		return -1;
	}
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
		{ "host", required_argument, NULL, 'H' },      { "help", no_argument, NULL, 'h' },
		{ "root", required_argument, NULL, 'r' },      { "debug", no_argument, NULL, 'D' },
		{ "tlsverify", no_argument, NULL, 'V' },       { "tlscacert", required_argument, NULL, 'C' },
		{ "tlscert", required_argument, NULL, 'c' },   { "tlskey", required_argument, NULL, 'k' },
		{ 0 },
	};
	struct cli_ctx own = *ctx;
	const char *host = DEFAULT_HOST, *ca = NULL, *cert = NULL, *key = NULL;
	bool verify = false;
	int opt;
	err_t err;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+H:", options, NULL)) != -1) {
		switch (opt) {
		case 'H': host = optarg; break;
		case 'r': /* minidockd --root DIR (minidock's global --root works too) */
			if (!*optarg)
				return cli_usage_error(&cmd_daemon, "--root: the state directory cannot be empty");
			own.root = optarg;
			break;
		case 'D': log_debug_enabled = true; break;
		case 'V': verify = true; break;
		case 'C': ca = optarg; break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'h': return cli_help(&cmd_daemon);
		default: return cli_usage_error(&cmd_daemon, "unknown flag");
		}
	}
	if (optind != argc)
		return cli_args_error(&cmd_daemon, "\"daemon\" accepts no arguments.");
	bool tcp = strncmp(host, "tcp://", 6) == 0;
	if (tcp && !(verify && ca && cert && key))
		return cli_usage_error(&cmd_daemon, "--host %s: a TCP listener would give root to whoever reaches it: "
				       "only with --tlsverify --tlscacert CA --tlscert CERT --tlskey KEY (clients must show a "
				       "certificate the CA signed), as Docker advises",
				       host);
	if (!tcp && (verify || ca || cert || key))
		return cli_usage_error(&cmd_daemon, "--tlsverify and the certificates are for a tcp:// listener");
	if (!tcp && (strncmp(host, "unix://", 7) != 0 || !host[7]))
		return cli_usage_error(&cmd_daemon, "--host %s: unix://PATH or tcp://ADDRESS:PORT", host);
	/* the certificates, read before anything listens */
	_cleanup_free_ char *ca_pem = NULL, *cert_pem = NULL, *key_pem = NULL;
	size_t len;
	if (tcp && (fs_read_file(ca, 1 << 20, &ca_pem, &len, &err) < 0 || fs_read_file(cert, 1 << 20, &cert_pem, &len, &err) < 0 ||
		    fs_read_file(key, 1 << 20, &key_pem, &len, &err) < 0))
		return cli_fail(&err);
	/* the API's version strings work before anything is served (lab 13) */
	char probe[16];
	if (api_path("/v1.41/_ping", probe, sizeof(probe), &err) < 0)
		return cli_fail(&err);
	struct api api = { 0 };
	if (cli_state_dir(&own, api.root, &err) < 0)
		return cli_fail(&err);
	ssize_t n = readlink("/proc/self/exe", api.self, sizeof(api.self) - 1);
	if (n <= 0) {
		err_sys(&err, "/proc/self/exe");
		return cli_fail(&err);
	}
	api.self[n] = '\0';
	api.tls = tcp;
	int fd = tcp ? listen_tcp(host + 6, &err) : listen_unix(host + 7, &err);
	if (fd < 0)
		return cli_fail(&err);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_UPGRADE | (tcp ? MHD_USE_TLS : 0);
	struct MHD_Daemon *d =
		tcp ? MHD_start_daemon(flags, 0, NULL, NULL, on_request, &api, MHD_OPTION_LISTEN_SOCKET, fd,
				       MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				       (size_t)(64 << 10), MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_HTTPS_MEM_KEY, key_pem,
				       MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_HTTPS_MEM_TRUST, ca_pem, MHD_OPTION_END)
		    : MHD_start_daemon(flags, 0, NULL, NULL, on_request, &api, MHD_OPTION_LISTEN_SOCKET, fd,
				       MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				       (size_t)(64 << 10), MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_END);
	if (!d) {
		close(fd);
		if (!tcp)
			unlink(host + 7);
		err_msg(&err, ENOSYS, "the HTTP server could not start (libmicrohttpd12 is needed%s)",
			tcp ? "; or the certificates are not PEM, or the key is not the certificate's" : "");
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
	if (!tcp)
		unlink(host + 7);
	return 0;
}
