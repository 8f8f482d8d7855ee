/*
 * daemon.h - the parts of `minidock daemon` (lab 13), the engine's API: the Docker Engine API
 * 1.41 over HTTP on a unix socket, so that Docker's own clients (docker, docker-compose,
 * docker-py) drive minidock.
 *
 *	docker CLI ──HTTP over /run/minidock.sock──> minidock daemon ──fork+exec──> minidock start web
 *	  (client)         (the API: lab 13)          (the engine: cmd_daemon.c,      (the runtime:
 *	                                               daemon_*.c)                      labs 1-12)
 *
 * cmd_daemon.c serves the socket (libmicrohttpd: lib/util/mhd.c) and sends each request to its
 * handler by a table of routes; daemon_containers.c, daemon_images.c and daemon_objects.c
 * (networks, volumes, events) are the handlers. A handler that only reads (a list, an inspect)
 * reads the stores itself; one that changes the state runs minidock's own command for it, in a
 * process of its own (api_run()): the same code and the same locks as on the command line, so
 * the daemon and the CLI can be used side by side, and a command that fails (or crashes) ends
 * its own process, not the daemon. The command's exit status and words become the answer:
 * Docker's {"message": ...} with 404 (no such object), 409 (a conflict), 400 (a bad request).
 */
#ifndef MINIDOCK_DAEMON_H
#define MINIDOCK_DAEMON_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>

#include "err.h"
#include "mhd.h"

#define API_VERSION	"1.41"
#define MIN_API_VERSION "1.12"

struct api {
	char root[PATH_MAX]; /* the state directory */
	char self[PATH_MAX]; /* this program, run for each state change */
	bool tls;            /* a TCP listener: every client shows a certificate of the daemon's CA */
};

/* A request's body: in memory up to BODY_MAX bytes (413 beyond), or, for the routes that take
 * archives (an image to load, a build's context), in a file of ROOT/tmp up to ARCHIVE_MAX. */
#define BODY_MAX    (1 << 20)
#define ARCHIVE_MAX (4LL << 30)
struct request {
	char *body;
	size_t len;
	int file; /* the archive's body, or -1 */
	char file_path[PATH_MAX];
	long long file_len;
	bool too_big, failed, forbidden;
};

/* A route's handler: arg is what the route's "*" stood for ("" when it has none). */
typedef enum MHD_Result (*api_handler)(const struct api *api, struct MHD_Connection *conn, const char *arg,
				       const struct request *req);

/* --- answers (cmd_daemon.c) --- */

/* Send body (taken) with status and content type. */
enum MHD_Result api_answer(struct MHD_Connection *conn, unsigned status, const char *type, char *body);
/* Send value (taken) as JSON, ended by a new line as Docker's. */
enum MHD_Result api_json(struct MHD_Connection *conn, unsigned status, json_t *value);
/* Docker's error: {"message": ...}. */
enum MHD_Result api_fail(struct MHD_Connection *conn, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* err as Docker's error: 404 for ENOENT, 409 for EEXIST and EBUSY, 400 for EINVAL, else 500. */
enum MHD_Result api_fail_err(struct MHD_Connection *conn, const err_t *err);
/* 204, no body. */
enum MHD_Result api_no_content(struct MHD_Connection *conn);

/* A value a request gives that becomes a word of a command (a name, an image): not one that
 * starts with "-", which the command would take for a flag. */
bool api_word_ok(const char *v);

/* A query parameter, or NULL; api_query_true(): "1" or "true". */
const char *api_query(struct MHD_Connection *conn, const char *key);
bool api_query_true(struct MHD_Connection *conn, const char *key);

/* --- running minidock's commands --- */

struct api_run {
	int status; /* the command's exit status */
	char *out;  /* what it wrote on stdout (malloc'd, '\0'-ended) */
	size_t out_len;
	char msg[ERR_MSG_MAX]; /* its error, "minidock: " and the --help hint taken off */
};

/* Run `minidock --root ROOT args...` (args ends with NULL), its stdin from in_fd (-1: nothing),
 * and wait for it. -1 only when it could not run at all (err). */
int api_run(const struct api *api, char *const args[], int in_fd, struct api_run *r, err_t *err);
void api_run_free(struct api_run *r);
/* api_run() of a JSON array of strings. */
int api_run_json(const struct api *api, const json_t *args, int in_fd, struct api_run *r, err_t *err);
/* The answer for a command that failed: its words, and the status they mean (the command's
 * exit status 1 with "No such": 404; "already"/"in use"/"is running"/"Conflict": 409; 125:
 * 400 for a usage error; else 500). */
enum MHD_Result api_fail_run(struct MHD_Connection *conn, const struct api_run *r);
/* Run args for a handler that reads what the command prints: true when it succeeded (r to free
 * with api_run_free()); false when it did not, its failure answered (*answered). */
bool api_run_ok(const struct api *api, struct MHD_Connection *conn, char *const args[], struct api_run *r,
		enum MHD_Result *answered);
/* Run args; 204 when they succeed, their failure otherwise. */
enum MHD_Result api_run_answer(const struct api *api, struct MHD_Connection *conn, char *const args[]);

/* Run args with stdin from in_fd (-1: nothing), each line it writes on stdout written on fd as
 * Docker's progress JSON, {"KEY": "LINE"} (KEY "status" for pull and push, "stream" for build
 * and load: its line end kept), and its failure as {"errorDetail": {"message": M}, "error": M}.
 * Returns the command's exit status, -1 when it could not run. */
int api_run_lines(const struct api *api, char *const args[], int in_fd, int fd, const char *key);

/* The request's filters= (Docker's JSON: {"label": ["k=v"], ...}), an empty object when there
 * are none, NULL when it is not JSON; does every label filter match labels? */
json_t *api_filters(struct MHD_Connection *conn);
bool api_labels_match(const json_t *filters, const json_t *labels);

/* --- streamed answers --- */

/* Answer 200 at once with type, then what worker writes on fd (a pipe) until it closes it: a
 * thread of its own runs worker(fd, arg) (which frees arg). A client that goes away makes the
 * worker's writes fail (EPIPE). */
enum MHD_Result api_stream(struct MHD_Connection *conn, const char *type, void (*worker)(int fd, void *arg),
			   void *arg);
/* Write all of data to fd: false when the other side is gone. */
bool api_write_all(int fd, const void *data, size_t len);
/* Write value (taken) as one line of JSON, the object and its end in one write: a client reads
 * each as a whole (docker-py's decoder chokes on a lone end of line). false when the other side
 * is gone. */
bool api_write_line(int fd, json_t *value);
/* Has the client of a stream gone (its end of fd closed)? */
bool api_peer_gone(int fd);

/* The connection taken over ("hijacked": 101 UPGRADED, then raw bytes both ways), as attach
 * and exec start do: run(sock, early, early_len, arg) in a thread of its own with the
 * connection's socket (early: bytes the client sent already, before its answer came); the
 * connection is closed when run returns (run frees arg). */
typedef void (*api_hijacked)(int sock, const char *early, size_t early_len, void *arg);
enum MHD_Result api_hijack(struct MHD_Connection *conn, const char *type, api_hijacked run, void *arg);

/* --- the handlers --- */

#define API_HANDLER(name)                                                                                    \
	enum MHD_Result name(const struct api *api, struct MHD_Connection *conn, const char *arg,            \
			     const struct request *req)

API_HANDLER(api_containers_list);
API_HANDLER(api_container_inspect);
API_HANDLER(api_container_create);
API_HANDLER(api_container_start);
API_HANDLER(api_container_stop);
API_HANDLER(api_container_restart);
API_HANDLER(api_container_kill);
API_HANDLER(api_container_pause);
API_HANDLER(api_container_unpause);
API_HANDLER(api_container_rename);
API_HANDLER(api_container_wait);
API_HANDLER(api_container_delete);
API_HANDLER(api_container_logs);
API_HANDLER(api_container_attach);
API_HANDLER(api_container_top);
API_HANDLER(api_container_resize);
API_HANDLER(api_containers_prune);
API_HANDLER(api_exec_create);
API_HANDLER(api_exec_start);
API_HANDLER(api_exec_inspect);
API_HANDLER(api_exec_resize);

API_HANDLER(api_images_list);
API_HANDLER(api_image_inspect);
API_HANDLER(api_image_history);
API_HANDLER(api_image_tag);
API_HANDLER(api_image_delete);
API_HANDLER(api_image_create);
API_HANDLER(api_image_push);
API_HANDLER(api_images_load);
API_HANDLER(api_image_get);
API_HANDLER(api_images_get);
API_HANDLER(api_build);

API_HANDLER(api_networks_list);
API_HANDLER(api_network_inspect);
API_HANDLER(api_network_create);
API_HANDLER(api_network_delete);
API_HANDLER(api_network_connect);
API_HANDLER(api_network_disconnect);
API_HANDLER(api_networks_prune);
API_HANDLER(api_volumes_list);
API_HANDLER(api_volume_inspect);
API_HANDLER(api_volume_create);
API_HANDLER(api_volume_delete);
API_HANDLER(api_volumes_prune);
API_HANDLER(api_events);

#endif
