/*
 * registry.h - image registries (given: registry.c): the OCI distribution API over HTTP, logins,
 * and `pull` and `push` around lab 12's three functions (labs/12-registry/distribution.h).
 *
 * A registry (Docker Hub, or Debian's docker-registry on a machine of yours) keeps images by
 * repository ("team/app") as content-addressed blobs (the config, the layers) and manifests
 * (the list of an image's blobs), reached at HTTP paths of the API:
 *
 *	GET  /v2/                                     is this a registry? (401: log in first)
 *	GET  /v2/REPO/manifests/TAG|DIGEST            a manifest (HEAD: its digest and size only)
 *	PUT  /v2/REPO/manifests/TAG                   push one, after its blobs
 *	GET  /v2/REPO/blobs/DIGEST                    a blob (HEAD: does the registry have it?)
 *	POST /v2/REPO/blobs/uploads/                  start an upload: 202 and a Location to send to
 *	PATCH LOCATION                                a chunk of it (Content-Range), 202 and the next Location
 *	PUT  LOCATION?digest=DIGEST                   the end: the registry checks the digest, 201
 *	POST /v2/REPO/blobs/uploads/?mount=D&from=R   take blob D from repository R of the same registry
 *
 * Registries answer 401 with a WWW-Authenticate challenge: "Basic realm=..." (send the login's
 * user and password) or "Bearer realm=URL,service=S,scope=repository:REPO:pull,push" (get a
 * token from URL, with the login's credentials if there are some, and send it).
 */
#ifndef MINIDOCK_REGISTRY_H
#define MINIDOCK_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "digest.h"
#include "err.h"
#include "sha256.h"

/* A reference, split as a registry needs it: "localhost:5000/team/app:1" is host
 * "localhost:5000", repository "team/app", tag "1"; "busybox" is host "docker.io", repository
 * "library/busybox", tag "latest". name is what the store calls it (img_ref_parse()'s). */
struct reg_ref {
	char host[256];
	char repo[256];
	char name[256];
	char tag[256];
	char digest[80]; /* "sha256:HEX" when the reference has one, else "" */
};
int reg_parse_ref(const char *text, struct reg_ref *out, err_t *err);

/* A connection to one registry. */
struct reg {
	void *curl;
	char base[300];  /* "http://HOST" for localhost, 127.0.0.0/8 and daemon.json's
			  * "insecure-registries" (Docker's rule), else "https://HOST" */
	char host[256];
	char basic[700]; /* "user:password" from the login, or "" */
	char auth[4200]; /* the Authorization header the registry last asked for, or "" */
};
int reg_open(struct reg *r, const char *root, const char *host, err_t *err);
void reg_close(struct reg *r);

/* Progress of one blob, shown as Docker shows it: on a terminal one line per blob redrawn in
 * place ("a3ed95caeb02: Downloading [=====>     ]  1.2MB/2.4MB"), otherwise only its steps. */
struct reg_progress {
	FILE *out;
	bool tty;
	char id[13];       /* the blob's short digest */
	const char *verb;  /* "Downloading", "Pushing" */
	long long total;   /* bytes, or -1 */
	long long done;
	long long shown;   /* what was drawn last (redrawn every 1%) */
};
void reg_progress_say(struct reg_progress *p, const char *what);

/* One HTTP request (reg_request()). */
struct reg_req {
	const char *method;
	const char *path;                /* "/v2/..." or a whole URL (a Location) */
	const char *const *headers;      /* "Name: value" strings, NULL-terminated, or NULL */
	const void *body;                /* a body from memory, len bytes */
	size_t len;
	bool upload;                     /* or from file upload_fd, upload_len bytes from its offset */
	int upload_fd;
	long long upload_len;
	bool download;                   /* the answer's body appended to out_fd (and through sum) */
	int out_fd;
	struct sha256 *sum;
	struct reg_progress *progress;   /* or NULL */
};

/* The answer: status, the headers the API uses, and (without download) the body, at most 16 MiB. */
struct reg_resp {
	long status;
	char *body;
	size_t len;
	char content_type[160];
	char digest[80];        /* Docker-Content-Digest */
	char location[2048];    /* made absolute */
	long long length;       /* Content-Length, or -1 */
	char range[64];         /* Range (an upload's progress: "0-1023") */
};
void reg_resp_free(struct reg_resp *resp);

/*
 * Send q and read the answer into *resp. A 401 is answered once, as the challenge asks (Basic
 * with the login, or a Bearer token fetched from the realm), and the request sent again; a
 * redirect (a blob served from elsewhere) is followed. An HTTP status >= 400 is not an error
 * here (the caller reads resp->status: reg_fail() words it); a connection that fails is
 * (ECONNREFUSED, ETIMEDOUT, EPROTO with curl's words).
 */
int reg_request(struct reg *r, const struct reg_req *q, struct reg_resp *resp, err_t *err);

/* Fill err with the registry's answer to what: its status and the API's error code and message
 * ("manifest unknown", "blob unknown", "unauthorized: authentication required", ...). -1. */
int reg_fail(const struct reg_resp *resp, const char *what, err_t *err);

/* `login` and `logout`: the credentials of host, in $HOME/.minidock/config.json (Docker's
 * ~/.docker/config.json format: {"auths": {HOST: {"auth": base64("user:password")}}}), a 0600
 * file in a 0700 directory, written atomically. login first checks them against the registry. */
int reg_login(const char *root, const char *host, const char *user, const char *password, err_t *err);
int reg_logout(const char *host, err_t *err);

/* The tar of layer diff_id of a pulled image (its kept blob, uncompressed, checked against
 * diff_id) written on fd: 1; 0 when the store keeps no blob of it (a layer built or loaded). */
int reg_layer_tar(const char *root, const char *diff_id, int fd, err_t *err);

/* `pull REF`: the image (for a multi-platform one, linux/amd64) into the store of root, every
 * blob checked against its digest, the layers the store has already skipped, a layer's
 * download resumed where an interrupted pull left it. Progress on out. Id into out_id. */
int img_pull(const char *root, const char *ref, FILE *out, bool quiet, char out_id[DIGEST_LEN + 1], err_t *err);

/* `push REF`: the image named ref to its registry: the blobs it lacks (mounted from another
 * repository of the same registry when this store pulled them from there), then the manifest. */
int img_push(const char *root, const char *ref, FILE *out, bool quiet, err_t *err);

#endif
