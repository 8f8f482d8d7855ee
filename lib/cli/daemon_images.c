/*
 * daemon_images.c - the API's images (daemon.h): list, inspect, history, tag, remove, pull and
 * push with Docker's progress JSON, load and save (the archives `docker load` and `docker save`
 * move), and build from a context sent as a tar.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "cleanup.h"
#include "daemon.h"
#include "fsutil.h"
#include "json.h"
#include "store.h"
#include "timefmt.h"

/* "sha256:HEX" of the image ref names, or an error (404: no such image). */
static int resolve(const struct api *api, const char *ref, char id[65], err_t *err)
{
	_cleanup_json_ json_t *store = NULL;
	if (store_read(api->root, &store, err) < 0)
		return -1;
	return img_resolve(store, ref, id, err);
}

static long long created_seconds(const char *rfc3339)
{
	struct timespec t = { 0 };
	if (rfc3339)
		time_parse_rfc3339(rfc3339, &t);
	return (long long)t.tv_sec;
}

API_HANDLER(api_images_list)
{
	_cleanup_json_ json_t *filters = api_filters(conn), *store = NULL;
	err_t err;
	if (!filters)
		return api_fail(conn, 400, "filters: not JSON");
	if (store_read(api->root, &store, &err) < 0)
		return api_fail_err(conn, &err);
	bool all = api_query_true(conn, "all");
	json_t *out = json_array();
	const char *id;
	json_t *image;
	json_object_foreach(json_object_get(store, "images"), id, image)
	{
		json_t *tags = json_object_get(image, "RepoTags");
		/* a build's steps are hidden without all, as `docker images` hides them */
		if (!all && json_array_size(tags) == 0 && json_str(image, "BuildKey"))
			continue;
		if (json_is_true(json_object_get(json_object_get(filters, "dangling"), "true")) &&
		    json_array_size(tags) > 0)
			continue;
		_cleanup_json_ json_t *config = NULL;
		img_read_config(api->root, id, &config, &err);
		if (!api_labels_match(filters, json_object_get(json_object_get(config, "config"), "Labels")))
			continue;
		const json_t *refs = json_object_get(filters, "reference");
		if (refs) {
			bool any = false;
			size_t i, j;
			json_t *want, *tag;
			json_array_foreach(refs, i, want) {
				if (!json_is_string(want))
					continue;
				const char *prefix = json_string_value(want);
				json_array_foreach(tags, j, tag)
					any = any || strncmp(json_string_value(tag), prefix, strlen(prefix)) == 0;
			}
			if (!any)
				continue;
		}
		const json_t *labels = json_object_get(json_object_get(config, "config"), "Labels");
		json_array_append_new(
		    out,
		    json_pack("{s:s+, s:O, s:O, s:I, s:I, s:I, s:s, s:O, s:i}", "Id", "sha256:", id,
			      "RepoTags", json_array_size(tags) ? tags : json_pack("[s]", "<none>:<none>"),
			      "RepoDigests",
			      json_object_get(image, "RepoDigests") ? json_object_get(image, "RepoDigests")
								    : json_array(),
			      "Created", (json_int_t)created_seconds(json_str(image, "Created")), "Size",
			      (json_int_t)0, "SharedSize", (json_int_t)-1, "ParentId",
			      json_str(image, "Parent") ? json_str(image, "Parent") : "", "Labels",
			      json_is_object(labels) ? labels : json_object(), "Containers", -1));
	}
	return api_json(conn, 200, out);
}

API_HANDLER(api_image_inspect)
{
	_cleanup_json_ json_t *store = NULL;
	json_t *shown = NULL;
	err_t err;
	if (store_read(api->root, &store, &err) < 0 || img_inspect(api->root, store, arg, &shown, &err) < 0)
		return api_fail_err(conn, &err);
	return api_json(conn, 200, shown);
}

/* GET /images/NAME/history: the config's history, newest first (the image's id on the newest). */
API_HANDLER(api_image_history)
{
	char id[65];
	err_t err;
	_cleanup_json_ json_t *config = NULL;
	if (resolve(api, arg, id, &err) < 0 || img_read_config(api->root, id, &config, &err) < 0)
		return api_fail_err(conn, &err);
	json_t *out = json_array();
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(config, "history"), i, h) json_array_insert_new(
	    out, 0,
	    json_pack("{s:s, s:I, s:s, s:[], s:I, s:s}", "Id", "<missing>", "Created",
		      (json_int_t)created_seconds(json_str(h, "created")), "CreatedBy",
		      json_str(h, "created_by") ? json_str(h, "created_by") : "", "Tags", "Size",
		      (json_int_t)0, "Comment", json_str(h, "comment") ? json_str(h, "comment") : ""));
	if (json_array_size(out))
		json_object_set_new(json_array_get(out, 0), "Id", json_sprintf("sha256:%s", id));
	return api_json(conn, 200, out);
}

API_HANDLER(api_image_tag)
{
	const char *repo = api_query(conn, "repo"), *tag = api_query(conn, "tag");
	if (!api_word_ok(repo))
		return api_fail(conn, 400, "tag: ?repo=NAME is needed");
	char target[600];
	snprintf(target, sizeof(target), "%s:%s", repo, tag && *tag ? tag : "latest");
	struct api_run r;
	err_t err;
	if (api_run(api, (char *[]){ "tag", (char *)arg, target, NULL }, -1, &r, &err) < 0)
		return api_fail_err(conn, &err);
	enum MHD_Result rc =
	    r.status == 0 ? api_answer(conn, 201, "text/plain", strdup("")) : api_fail_run(conn, &r);
	api_run_free(&r);
	return rc;
}

/* DELETE /images/NAME?force=1: rmi's "Untagged: X" and "Deleted: Y" lines as Docker's list. */
API_HANDLER(api_image_delete)
{
	bool force = api_query_true(conn, "force");
	char *args[] = { "rmi", force ? "-f" : (char *)arg, force ? (char *)arg : NULL, NULL };
	struct api_run r;
	enum MHD_Result answered;
	if (!api_run_ok(api, conn, args, &r, &answered))
		return answered;
	json_t *out = json_array();
	for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "Untagged: ", 10) == 0)
			json_array_append_new(out, json_pack("{s:s}", "Untagged", line + 10));
		else if (strncmp(line, "Deleted: ", 9) == 0)
			json_array_append_new(out, json_pack("{s:s}", "Deleted", line + 9));
	}
	api_run_free(&r);
	return api_json(conn, 200, out);
}

/* --- commands that stream their lines ---------------------------------------------------------- */

struct lines_job {
	const struct api *api;
	json_t *args;
	const char *key;
	int in; /* the body's file, or -1 */
};

static void lines_worker(int fd, void *arg)
{
	struct lines_job *job = arg;
	size_t n = json_array_size(job->args);
	char **argv = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; argv && i < n; i++)
		argv[i] = (char *)json_string_value(json_array_get(job->args, i));
	if (argv)
		api_run_lines(job->api, argv, job->in, fd, job->key);
	free(argv);
	if (job->in >= 0)
		close(job->in);
	json_decref(job->args);
	free(job);
}

/* Answer with args' lines as progress JSON (in_fd: a copy of the body's file, or -1). */
static enum MHD_Result stream_lines(const struct api *api, struct MHD_Connection *conn, json_t *args,
				    const char *key, int in_fd)
{
	struct lines_job *job = calloc(1, sizeof(*job));
	if (!job) {
		json_decref(args);
		return MHD_NO;
	}
	*job = (struct lines_job){ .api = api, .args = args, .key = key, .in = in_fd >= 0 ? dup(in_fd) : -1 };
	return api_stream(conn, "application/json", lines_worker, job);
}

/* POST /images/create?fromImage=NAME&tag=TAG: pull. (fromSrc, an import: not done.) */
API_HANDLER(api_image_create)
{
	const char *from = api_query(conn, "fromImage"), *tag = api_query(conn, "tag");
	if (api_query(conn, "fromSrc"))
		return api_fail(conn, 400, "import (fromSrc) is not supported: load an image (docker load)");
	if (!api_word_ok(from))
		return api_fail(conn, 400, "fromImage: an image to pull is needed");
	/* tag may be a tag or a digest ("sha256:..."), or be in fromImage already */
	char ref[700];
	snprintf(ref, sizeof(ref), "%s%s%s", from,
		 !tag || !*tag			   ? ""
		 : strncmp(tag, "sha256:", 7) == 0 ? "@"
						   : ":",
		 tag ? tag : "");
	return stream_lines(api, conn, json_pack("[s, s]", "pull", ref), "status", -1);
}

API_HANDLER(api_image_push)
{
	const char *tag = api_query(conn, "tag");
	char ref[700];
	snprintf(ref, sizeof(ref), "%s%s%s", arg, tag && *tag ? ":" : "", tag && *tag ? tag : "");
	return stream_lines(api, conn, json_pack("[s, s]", "push", ref), "status", -1);
}

/* POST /images/load (the body: docker save's archive, or an OCI layout's). */
API_HANDLER(api_images_load)
{
	if (req->file < 0 || req->file_len == 0)
		return api_fail(conn, 400, "load: the body is the archive (a tar), and it is empty");
	return stream_lines(api, conn, json_pack("[s, s, s]", "load", "-i", req->file_path), "stream", -1);
}

/* --- save ------------------------------------------------------------------------------------- */

struct save_job {
	const struct api *api;
	json_t *names;
};

/* `image save -o FILE NAMES...`, then FILE's bytes on fd. */
static void save_worker(int fd, void *arg)
{
	struct save_job *job = arg;
	char dir[PATH_MAX], file[PATH_MAX + 20];
	int lock = -1;
	err_t err;
	if (build_tmp_dir(job->api->root, "api-save", dir, sizeof(dir), &lock, &err) == 0) {
		snprintf(file, sizeof(file), "%s/image.tar", dir);
		_cleanup_json_ json_t *args = json_pack("[s, s, s]", "save", "-o", file);
		json_array_extend(args, job->names);
		struct api_run r;
		if (api_run_json(job->api, args, -1, &r, &err) == 0 && r.status == 0) {
			_cleanup_close_ int in = open(file, O_RDONLY | O_CLOEXEC);
			char buf[65536];
			ssize_t n;
			while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0 &&
			       api_write_all(fd, buf, (size_t)n))
				;
		}
		api_run_free(&r);
		fs_remove_tree(dir, &err);
		close(lock);
	}
	json_decref(job->names);
	free(job);
}

static enum MHD_Result save(const struct api *api, struct MHD_Connection *conn, json_t *names)
{
	size_t i;
	json_t *name;
	char id[65];
	err_t err;
	/* every name checked before the answer starts: a missing one is a 404, not half a tar */
	json_array_foreach(names, i, name)
	{
		if (resolve(api, json_string_value(name), id, &err) < 0) {
			json_decref(names);
			return api_fail_err(conn, &err);
		}
	}
	struct save_job *job = calloc(1, sizeof(*job));
	if (!job) {
		json_decref(names);
		return MHD_NO;
	}
	*job = (struct save_job){ api, names };
	return api_stream(conn, "application/x-tar", save_worker, job);
}

API_HANDLER(api_image_get)
{
	return save(api, conn, json_pack("[s]", arg));
}

static enum MHD_Result add_name(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	if (strcmp(key, "names") == 0 && api_word_ok(value))
		json_array_append_new(cls, json_string(value));
	return MHD_YES;
}

/* GET /images/get?names=a&names=b */
API_HANDLER(api_images_get)
{
	json_t *names = json_array();
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_name, names);
	if (json_array_size(names) == 0) {
		json_decref(names);
		return api_fail(conn, 400, "names: at least one image");
	}
	return save(api, conn, names);
}

/* --- build ------------------------------------------------------------------------------------ */

static enum MHD_Result add_build_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	if (strcmp(key, "t") == 0 && value && *value)
		json_array_append_new(cls, json_string("-t")), json_array_append_new(cls, json_string(value));
	return MHD_YES;
}

/* POST /build?t=NAME&dockerfile=F&q=1&nocache=1&buildargs={...}&labels={...}&target=T
 * (the body: the context as a tar): `build -` with the context on stdin, its lines as
 * {"stream": ...}. */
API_HANDLER(api_build)
{
	_cleanup_json_ json_t *args = json_pack("[s]", "build");
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_build_arg, args);
	const char *dockerfile = api_query(conn, "dockerfile"), *target = api_query(conn, "target");
	const char *network = api_query(conn, "networkmode");
	if (dockerfile && *dockerfile)
		json_array_append_new(args, json_string("-f")),
		    json_array_append_new(args, json_string(dockerfile));
	if (target && *target)
		json_array_append_new(args, json_string("--target")),
		    json_array_append_new(args, json_string(target));
	if (network && *network && strcmp(network, "default") != 0)
		json_array_append_new(args, json_string("--network")),
		    json_array_append_new(args, json_string(network));
	if (api_query_true(conn, "q"))
		json_array_append_new(args, json_string("-q"));
	if (api_query_true(conn, "nocache"))
		json_array_append_new(args, json_string("--no-cache"));
	static const char *const maps[][2] = { { "buildargs", "--build-arg" }, { "labels", "--label" } };
	for (size_t i = 0; i < 2; i++) {
		const char *text = api_query(conn, maps[i][0]);
		if (!text || !*text)
			continue;
		_cleanup_json_ json_t *map = json_loads(text, 0, NULL);
		const char *k;
		json_t *v;
		if (!json_is_object(map))
			return api_fail(conn, 400, "%s: a JSON object", maps[i][0]);
		json_object_foreach(map, k, v)
		{
			if (!json_is_string(v) && !json_is_null(v))
				return api_fail(conn, 400, "%s: %s: a string", maps[i][0], k);
			json_array_append_new(args, json_string(maps[i][1]));
			json_array_append_new(args, json_is_string(v)
							? json_sprintf("%s=%s", k, json_string_value(v))
							: json_string(k));
		}
	}
	if (req->file < 0 || req->file_len == 0)
		return api_fail(conn, 400, "build: the body is the context (a tar), and it is empty");
	json_array_append_new(args, json_string("-"));
	return stream_lines(api, conn, json_incref(args), "stream", req->file);
}
