/*
 * cmd_build.c - `minidock build`, `commit`, `history` and `image save`: making images and
 * taking them elsewhere (lab 11). The builder itself is lib/engine/build.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "dockerfile.h"
#include "fsutil.h"
#include "json.h"
#include "layer.h"
#include "lock.h"
#include "registry.h"
#include "store.h"
#include "tar.h"
#include "timefmt.h"

static int build_main(int argc, char **argv, const struct cli_ctx *ctx);
static int commit_main(int argc, char **argv, const struct cli_ctx *ctx);
static int history_main(int argc, char **argv, const struct cli_ctx *ctx);
static int save_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_build = {
	.name = "build",
	.usage = "[OPTIONS] CONTEXT",
	.summary = "Build an image from a Dockerfile",
	.help = "CONTEXT is a directory, or - for a tar of one on stdin (-f then names a file in it).\n"
		"Options:\n"
		"  -t, --tag NAME[:TAG]     name the image (more than once: several names)\n"
		"  -f, --file FILE          the Dockerfile (default: CONTEXT/Dockerfile; - reads stdin)\n"
		"      --build-arg K=V      set a build variable (an ARG); K alone takes minidock's $K\n"
		"      --target STAGE       build up to this stage of a multi-stage Dockerfile\n"
		"      --no-cache           run every step again, whatever the cache holds\n"
		"      --label K=V          set a label on the image\n"
		"      --network NET        the network RUN steps have: none (default), host\n"
		"  -q, --quiet              print only the image's id\n"
		"SOURCE_DATE_EPOCH (in the environment or as a --build-arg) makes the build reproducible:\n"
		"times after it are written as it, and the images are dated with it.\n",
	.run = build_main,
};

const struct command cmd_commit = {
	.name = "commit",
	.usage = "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
	.summary = "Create a new image from a container's changes",
	.help = "Options:\n"
		"  -a, --author TEXT   the image's author\n"
		"  -m, --message TEXT  the commit message (history's COMMENT)\n"
		"  -c, --change INSTR  apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL,\n"
		"                      ONBUILD, USER, VOLUME, WORKDIR) to the image's config\n"
		"  -p, --pause BOOL    pause the container while committing (default true)\n",
	.run = commit_main,
};

const struct command cmd_history = {
	.name = "history",
	.usage = "[OPTIONS] IMAGE",
	.summary = "Show the history of an image",
	.help = "Options:\n"
		"      --no-trunc   do not cut the output\n"
		"  -q, --quiet      only the image ids\n",
	.run = history_main,
};

const struct command cmd_save = {
	.name = "save",
	.usage = "-o FILE [--format docker|oci] IMAGE...",
	.summary = "Save images to a tar archive (image save)",
	.help = "Options:\n"
		"  -o, --output FILE   write to FILE (required)\n"
		"      --format F      docker (docker save's, the default) or oci (an OCI image layout)\n",
	.run = save_main,
};

int cli_image_history(int argc, char **argv, const struct cli_ctx *ctx)
{
	return history_main(argc, argv, ctx);
}

int cli_image_save(int argc, char **argv, const struct cli_ctx *ctx)
{
	return save_main(argc, argv, ctx);
}

/* K=V into obj (K alone: from the environment, or skipped when unset, as Docker's). */
static int add_pair(const struct command *cmd, const char *what, const char *text, json_t *obj)
{
	const char *eq = strchr(text, '=');
	if (eq == text || !*text)
		return cli_usage_error(cmd, "%s: \"%s\" is not KEY=VALUE", what, text);
	if (!eq) {
		const char *v = getenv(text);
		if (v)
			json_object_set_new(obj, text, json_string(v));
		return 0;
	}
	json_object_setn_new(obj, text, (size_t)(eq - text), json_string(eq + 1));
	return 0;
}

/* --- build ------------------------------------------------------------------------------------------ */

static int build_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "tag", required_argument, NULL, 't' },      { "file", required_argument, NULL, 'f' },
		{ "build-arg", required_argument, NULL, 'b' }, { "target", required_argument, NULL, 'T' },
		{ "no-cache", no_argument, NULL, 'n' },        { "label", required_argument, NULL, 'l' },
		{ "network", required_argument, NULL, 'N' },   { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'H' },            { 0 },
	};
	_cleanup_free_ char **tags = calloc((size_t)argc + 1, sizeof(char *));
	_cleanup_json_ json_t *args = json_object(), *labels = json_object();
	struct build_opts o = { .network = "none", .epoch = -1, .out = stdout, .run = cli_build_run, .cli = ctx,
				.build_args = args, .labels = labels };
	size_t n_tags = 0;
	int opt;
	char name[256], tag[256], digest[80];
	err_t err;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "+t:f:q", options, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (img_ref_parse(optarg, name, tag, digest, &err) < 0 || *digest)
				return cli_usage_error(&cmd_build, "invalid argument \"%s\" for \"-t, --tag\" flag: invalid "
						       "reference format", optarg);
			tags[n_tags++] = optarg;
			break;
		case 'f': o.dockerfile = optarg; break;
		case 'b':
			if (add_pair(&cmd_build, "--build-arg", optarg, args) != 0)
				return EXIT_MINIDOCK_ERROR;
			break;
		case 'T': o.target = optarg; break;
		case 'n': o.no_cache = true; break;
		case 'l':
			if (add_pair(&cmd_build, "--label", optarg, labels) != 0)
				return EXIT_MINIDOCK_ERROR;
			break;
		case 'N':
			if (strcmp(optarg, "none") != 0 && strcmp(optarg, "host") != 0 && strcmp(optarg, "default") != 0 &&
			    strcmp(optarg, "bridge") != 0)
				return cli_usage_error(&cmd_build, "--network: none, host, bridge or default, not \"%s\"", optarg);
			o.network = optarg;
			break;
		case 'q': o.quiet = true; break;
		case 'H': return cli_help(&cmd_build);
		default: return cli_usage_error(&cmd_build, "unknown flag");
		}
	}
	if (argc - optind != 1)
		return cli_args_error(&cmd_build, "\"build\" requires exactly 1 argument.");
	o.context = argv[optind];
	if (strcmp(o.context, "-") == 0 && o.dockerfile && strcmp(o.dockerfile, "-") == 0)
		return cli_usage_error(&cmd_build, "a context from stdin (-) and a Dockerfile from stdin (-f -): one or the other");
	o.tags = tags;
	/* SOURCE_DATE_EPOCH: a --build-arg first, then the environment (Docker's BuildKit reads both). */
	const char *epoch = json_str(args, "SOURCE_DATE_EPOCH") ? json_str(args, "SOURCE_DATE_EPOCH")
								 : getenv("SOURCE_DATE_EPOCH");
	if (epoch && *epoch) {
		char *end;
		long long e = strtoll(epoch, &end, 10);
		if (*end || e < 0)
			return cli_usage_error(&cmd_build, "SOURCE_DATE_EPOCH=\"%s\": not a number of seconds", epoch);
		o.epoch = e;
	}
	char root[PATH_MAX], id[DIGEST_LEN + 1];
	if (cli_state_dir(ctx, root, &err) < 0)
		return cli_fail(&err);
	o.root = root;
	/* "-": the context is a tar on stdin (as docker build - < context.tar), unpacked first */
	char context[PATH_MAX] = "";
	_cleanup_close_ int context_lock = -1;
	if (strcmp(o.context, "-") == 0) {
		if (build_tmp_dir(root, "context", context, sizeof(context), &context_lock, &err) < 0)
			return cli_fail(&err);
		o.context = context;
		o.dockerfile_in_context = true;
	}
	/* -q: only the id; the steps' lines go nowhere */
	_cleanup_fclose_ FILE *null = o.quiet ? fopen("/dev/null", "w") : NULL;
	if (null)
		o.out = null;
	int rc = *context ? build_unpack_context(0, context, &err) : 0;
	if (rc == 0)
		rc = build_image(&o, id, &err);
	if (*context)
		fs_remove_tree(context, &(err_t){ 0 });
	return rc < 0 ? cli_fail(&err) : 0;
}

/* --- commit ----------------------------------------------------------------------------------------- */

/* Is the JSON array a the strings of b (both may be null)? */
static bool same_strings(const json_t *a, const json_t *b)
{
	return json_equal(a ? a : json_null(), b ? b : json_null()) ||
	       (json_array_size(a) == 0 && json_array_size(b) == 0);
}

/* The config of the image a commit makes: the image's, with what the container changed. */
static json_t *commit_config(const json_t *image_config, const json_t *doc)
{
	json_t *config = json_is_object(image_config) ? json_deep_copy(image_config) : json_object();
	const json_t *c = json_object_get(doc, "Config");
	static const char *const kept[] = { "Env", "WorkingDir", "User", "Labels" };
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		const json_t *v = json_object_get(c, kept[i]);
		if (v && !(json_is_string(v) && !*json_string_value(v) && strcmp(kept[i], "WorkingDir") == 0))
			json_object_set(config, kept[i], (json_t *)v);
	}
	/* The command: the container's, when it is not what the image would have run. */
	json_t *ran = json_deep_copy(json_object_get(doc, "Args"));
	json_t *image_argv = json_array();
	json_array_extend(image_argv, json_object_get(config, "Entrypoint"));
	json_array_extend(image_argv, json_object_get(config, "Cmd"));
	if (!ran)
		ran = json_array();
	json_array_insert_new(ran, 0, json_string(json_str(doc, "Path") ? json_str(doc, "Path") : ""));
	if (!same_strings(ran, image_argv)) {
		json_object_set(config, "Cmd", ran);
		json_object_set_new(config, "Entrypoint", json_null());
	}
	json_decref(ran);
	json_decref(image_argv);
	return config;
}

static int commit_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "author", required_argument, NULL, 'a' }, { "message", required_argument, NULL, 'm' },
		{ "change", required_argument, NULL, 'c' }, { "pause", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'H' },         { 0 },
	};
	const char *author = NULL, *message = NULL;
	bool pause = true;
	_cleanup_free_ char **changes = calloc((size_t)argc + 1, sizeof(char *));
	size_t n_changes = 0;
	int opt;
	err_t err;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "+a:m:c:p:", options, NULL)) != -1) {
		switch (opt) {
		case 'a': author = optarg; break;
		case 'm': message = optarg; break;
		case 'c': changes[n_changes++] = optarg; break;
		case 'p':
			if (strcmp(optarg, "true") != 0 && strcmp(optarg, "false") != 0)
				return cli_usage_error(&cmd_commit, "--pause: true or false, not \"%s\"", optarg);
			pause = strcmp(optarg, "true") == 0;
			break;
		case 'H': return cli_help(&cmd_commit);
		default: return cli_usage_error(&cmd_commit, "unknown flag");
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_args_error(&cmd_commit, "\"commit\" requires at least 1 and at most 2 arguments.");
	const char *ref = argc - optind == 2 ? argv[optind + 1] : NULL;
	char name[256], tag[256], digest[80], full[600], root[PATH_MAX], id[DIGEST_LEN + 1];
	if (ref && (img_ref_parse(ref, name, tag, digest, &err) < 0 || *digest)) {
		if (*digest)
			err_msg(&err, EINVAL, "invalid reference format: \"%s\": a tag, not a digest", ref);
		return cli_fail(&err);
	}
	if (ref)
		snprintf(full, sizeof(full), "%s:%s", name, tag);
	if (cli_state_dir(ctx, root, &err) < 0)
		return cli_fail(&err);
	struct container c;
	if (ctr_load(root, argv[optind], &c, &err) < 0)
		return cli_fail(&err);
	const char *image = json_str(c.doc, "Image");
	_cleanup_json_ json_t *image_doc = NULL;
	int rc = -1;
	bool paused = false;
	if (!image || !*image) {
		err_msg(&err, EINVAL, "container %.12s has no image (--rootfs): nothing to commit onto", c.id);
		goto out;
	}
	if (img_read_config(root, image + 7, &image_doc, &err) < 0)
		goto out;
	_cleanup_json_ json_t *config = commit_config(json_object_get(image_doc, "config"), c.doc);
	/* -c: Dockerfile instructions on the config, as a build's. */
	_cleanup_json_ json_t *vars = json_object(), *none = json_object();
	for (size_t i = 0; i < n_changes; i++) {
		struct dockerfile df = { 0 };
		bool from_base = false;
		char *changed_author = NULL;
		static const char *const allowed[] = { "cmd", "entrypoint", "env", "expose", "label",
						       "onbuild", "user", "volume", "workdir" };
		int ok = df_parse(changes[i], strlen(changes[i]), &df, &err) == 0 && df.n == 1;
		bool known = false;
		for (size_t k = 0; ok && k < sizeof(allowed) / sizeof(allowed[0]); k++)
			known |= strcmp(df.instr[0].cmd, allowed[k]) == 0;
		if (ok && !known)
			err_msg(&err, EINVAL, "%s is not a valid change command", df.instr[0].cmd);
		else if (ok && df_apply(config, &df.instr[0], df.escape, vars, none, none, &from_base, &changed_author, &err) == 0)
			ok = 2;
		free(changed_author);
		df_free(&df);
		if (ok != 2) {
			err_wrap(&err, "--change \"%s\"", changes[i]);
			goto out;
		}
	}
	if (pause && ctr_monitor_alive(&c) && ctr_pid(&c) > 0 &&
	    !json_is_true(json_object_get(json_object_get(c.doc, "State"), "Paused"))) {
		if (cli_set_paused(root, c.id, true, &err) < 0)
			goto out;
		paused = true;
	}
	char upper[PATH_MAX + 8], created_by[PATH_MAX];
	snprintf(upper, sizeof(upper), "%s/upper", c.dir);
	_cleanup_free_ char *command = json_dumps(json_object_get(config, "Cmd"), JSON_COMPACT);
	snprintf(created_by, sizeof(created_by), "%s", command ? command : "");
	rc = build_commit(root, image, upper, config, created_by, ref ? full : NULL, author, message, id, &err);
out:
	if (paused) {
		err_t ignored;
		cli_set_paused(root, c.id, false, &ignored);
	}
	ctr_release(&c);
	if (rc < 0)
		return cli_fail(&err);
	printf("%s\n", id);
	return 0;
}

/* --- history ---------------------------------------------------------------------------------------- */

/* The size of a layer: its tar's when the store keeps it, else its files'. */
static long long layer_size(const char *root, const char *diff_id)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root, diff_id + 7);
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void human_size(long long n, char *out, size_t size)
{
	if (n < 0)
		snprintf(out, size, "-");
	else if (n < 1000)
		snprintf(out, size, "%lldB", n);
	else if (n < 1000 * 1000)
		snprintf(out, size, "%.3gkB", n / 1e3);
	else
		snprintf(out, size, "%.3gMB", n / 1e6);
}

static int history_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "no-trunc", no_argument, NULL, 'n' }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'H' },     { 0 },
	};
	bool no_trunc = false, quiet = false;
	int opt;
	err_t err;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+q", options, NULL)) != -1) {
		switch (opt) {
		case 'n': no_trunc = true; break;
		case 'q': quiet = true; break;
		case 'H': return cli_help(&cmd_history);
		default: return cli_usage_error(&cmd_history, "unknown flag");
		}
	}
	if (argc - optind != 1)
		return cli_args_error(&cmd_history, "\"history\" requires exactly 1 argument.");
	char root[PATH_MAX], hex[DIGEST_HEX_LEN + 1];
	_cleanup_json_ json_t *store = NULL, *doc = NULL;
	if (cli_state_dir(ctx, root, &err) < 0 || store_read(root, &store, &err) < 0 ||
	    img_resolve(store, argv[optind], hex, &err) < 0 || img_read_config(root, hex, &doc, &err) < 0)
		return cli_fail(&err);
	json_t *history = json_object_get(doc, "history");
	json_t *diff_ids = json_object_get(json_object_get(doc, "rootfs"), "diff_ids");
	if (!json_is_array(history) || !json_is_array(diff_ids))
		return err_msg(&err, EINVAL, "image %.12s: its config has no history", hex), cli_fail(&err);
	if (!quiet)
		printf("%-14s %-15s %-47s %-8s %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
	/* Newest first; the image ids come from the Parent chain a build wrote down. */
	char id[DIGEST_HEX_LEN + 8];
	snprintf(id, sizeof(id), "%s", hex);
	size_t layer = json_array_size(diff_ids);
	for (size_t i = json_array_size(history); i-- > 0;) {
		json_t *h = json_array_get(history, i);
		bool empty = json_is_true(json_object_get(h, "empty_layer"));
		const char *diff = !empty && layer > 0 ? json_string_value(json_array_get(diff_ids, --layer)) : NULL;
		char shown[80], when[64] = "", size[32];
		if (*id)
			snprintf(shown, sizeof(shown), no_trunc ? "sha256:%s" : "%.12s", id);
		else
			snprintf(shown, sizeof(shown), "<missing>");
		if (quiet) {
			printf("%s\n", shown);
		} else {
			struct timespec t;
			if (json_str(h, "created") && time_parse_rfc3339(json_str(h, "created"), &t)) {
				char ago[48];
				time_human_duration(difftime(time(NULL), t.tv_sec), ago, sizeof(ago));
				snprintf(when, sizeof(when), "%s ago", ago);
			}
			const char *by = json_str(h, "created_by") ? json_str(h, "created_by") : "";
			human_size(diff && digest_valid(diff) ? layer_size(root, diff) : 0, size, sizeof(size));
			if (diff && digest_valid(diff) && layer_size(root, diff) < 0)
				snprintf(size, sizeof(size), "%s", "?");
			if (!no_trunc && strlen(by) > 45)
				printf("%-14s %-15s %-44.44s... %-8s %s\n", shown, when, by, size,
				       json_str(h, "comment") ? json_str(h, "comment") : "");
			else
				printf("%-14s %-15s %-47s %-8s %s\n", shown, when, by, size,
				       json_str(h, "comment") ? json_str(h, "comment") : "");
		}
		/* the step before: this image's Parent, if the store knows it */
		const char *parent = json_str(json_object_get(json_object_get(store, "images"), id), "Parent");
		snprintf(id, sizeof(id), "%s", parent ? parent + 7 : "");
	}
	return 0;
}

/* --- image save --------------------------------------------------------------------------------- */

/* The bytes of layer diff_id as a file at path: the tar the store keeps (a built layer, linked),
 * the blob a pull kept (unpacked), or the layer made again from its directory (a loaded layer:
 * the store keeps it unpacked only), whose digest into made (the same as diff_id only when the
 * same tar comes out). */
static int layer_file(const char *root, const char *diff_id, const char *path, char made[DIGEST_LEN + 1], err_t *err)
{
	char blob[PATH_MAX], dir[PATH_MAX];
	snprintf(blob, sizeof(blob), "%s/blobs/sha256/%s", root, diff_id + 7);
	if (access(blob, F_OK) == 0) {
		snprintf(made, DIGEST_LEN + 1, "%s", diff_id);
		return link(blob, path) < 0 ? err_sys(err, "link %s", path) : 0;
	}
	if (store_layer_path(root, diff_id, dir, sizeof(dir), err) < 0)
		return -1;
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_sys(err, "%s", path);
	int pulled = reg_layer_tar(root, diff_id, fd, err); /* a pulled layer: its blob, unpacked */
	if (pulled != 0) {
		snprintf(made, DIGEST_LEN + 1, "%s", diff_id);
		return pulled < 0 ? -1 : 0;
	}
	return layer_diff(dir, fd, -1, made, err);
}

static int write_json(const char *path, const char *text, err_t *err)
{
	return fs_write_atomic(path, text, strlen(text), 0644, err);
}

/* Stage image id (named name:tag, or NULL) in dir, in the format asked; its manifest entry into
 * manifests. */
static int save_one(const char *root, const char *dir, const char *id, const char *tag, bool oci, json_t *manifests,
		    json_t *repositories, err_t *err)
{
	_cleanup_json_ json_t *doc = NULL;
	if (img_read_config(root, id, &doc, err) < 0)
		return -1;
	json_t *diff_ids = json_object_get(json_object_get(doc, "rootfs"), "diff_ids");
	_cleanup_json_ json_t *layers = json_array();
	bool rewritten = false;
	char path[PATH_MAX + 200], made[DIGEST_LEN + 1], top[DIGEST_HEX_LEN + 1] = "";
	size_t i;
	json_t *d;
	json_array_foreach(diff_ids, i, d) {
		const char *diff = json_string_value(d);
		if (!digest_valid(diff))
			return err_msg(err, EINVAL, "image %.12s: a layer that is not a sha256 digest", id);
		char tmp[PATH_MAX + 100];
		snprintf(tmp, sizeof(tmp), "%s/layer-%zu.tmp", dir, i);
		if (layer_file(root, diff, tmp, made, err) < 0)
			return -1;
		if (strcmp(made, diff) != 0) {
			/* the layer came from another tar writer: the config names the bytes saved */
			json_array_set_new(diff_ids, i, json_string(made));
			rewritten = true;
		}
		struct stat st;
		stat(tmp, &st);
		if (oci) {
			snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, made + 7);
			json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType",
								"application/vnd.oci.image.layer.v1.tar", "digest", made,
								"size", (json_int_t)st.st_size));
		} else {
			snprintf(path, sizeof(path), "%s/%s", dir, made + 7);
			if (fs_mkdir_p(path, 0755, err) < 0)
				return -1;
			char meta[PATH_MAX + 220];
			snprintf(meta, sizeof(meta), "%s/VERSION", path);
			write_json(meta, "1.0", err);
			snprintf(meta, sizeof(meta), "%s/json", path);
			_cleanup_free_ char *v1 = NULL;
			if (asprintf(&v1, "{\"id\":\"%s\"%s%s%s}", made + 7, *top ? ",\"parent\":\"" : "", top, *top ? "\"" : "") < 0 ||
			    write_json(meta, v1, err) < 0)
				return -1;
			snprintf(path + strlen(path), sizeof(path) - strlen(path), "/layer.tar");
			snprintf(top, sizeof(top), "%s", made + 7);
			json_array_append_new(layers, json_sprintf("%s/layer.tar", made + 7));
		}
		if (access(path, F_OK) == 0)
			unlink(tmp); /* two images of one archive share it */
		else if (rename(tmp, path) < 0)
			return err_sys(err, "%s", path);
	}
	_cleanup_free_ char *config = NULL;
	char config_hex[DIGEST_HEX_LEN + 1];
	if (rewritten) {
		config = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
		fprintf(stderr, "minidock: note: image %.12s: its layers were loaded, not built here, and are saved as "
			"minidock writes them: the archive's image id differs\n", id);
	} else {
		char blob[PATH_MAX];
		size_t len;
		snprintf(blob, sizeof(blob), "%s/blobs/sha256/%s", root, id);
		if (fs_read_file(blob, 16 << 20, &config, &len, err) < 0)
			return -1;
	}
	if (!config)
		return err_msg(err, ENOMEM, "save");
	sha256_hex(config, strlen(config), config_hex);
	if (oci) {
		snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, config_hex);
		if (write_json(path, config, err) < 0)
			return -1;
		json_t *manifest = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
					     "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
					     "application/vnd.oci.image.config.v1+json", "digest", "", "size",
					     (json_int_t)strlen(config), "layers", layers);
		char digest[DIGEST_LEN + 1], hex[DIGEST_HEX_LEN + 1];
		snprintf(digest, sizeof(digest), "sha256:%s", config_hex);
		json_object_set_new(json_object_get(manifest, "config"), "digest", json_string(digest));
		_cleanup_free_ char *text = json_dumps(manifest, JSON_COMPACT);
		json_decref(manifest);
		sha256_hex(text, strlen(text), hex);
		snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, hex);
		if (write_json(path, text, err) < 0)
			return -1;
		json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType", "application/vnd.oci.image.manifest.v1+json",
					 "digest", "", "size", (json_int_t)strlen(text));
		json_object_set_new(desc, "digest", json_sprintf("sha256:%s", hex));
		if (tag) {
			const char *colon = strrchr(tag, ':');
			json_object_set_new(desc, "annotations",
					    json_pack("{s:s, s:s}", "io.containerd.image.name", tag,
						      "org.opencontainers.image.ref.name", colon ? colon + 1 : "latest"));
		}
		json_array_append_new(manifests, desc);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s.json", dir, config_hex);
	if (write_json(path, config, err) < 0)
		return -1;
	json_array_append_new(manifests, json_pack("{s:s+, s:[], s:O}", "Config", config_hex, ".json", "RepoTags", "Layers",
						   layers));
	if (tag) {
		json_array_append_new(json_object_get(json_array_get(manifests, json_array_size(manifests) - 1), "RepoTags"),
				      json_string(tag));
		char repo[600];
		snprintf(repo, sizeof(repo), "%s", tag);
		char *colon = strrchr(repo, ':');
		*colon = '\0';
		json_t *r = json_object_get(repositories, repo);
		if (!r)
			json_object_set_new(repositories, repo, r = json_object());
		json_object_set_new(r, colon + 1, json_string(top));
	}
	return 0;
}

static int save_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' }, { "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'H' },         { 0 },
	};
	const char *output = NULL, *format = "docker";
	int opt;
	err_t err = { 0 };
	optind = 0;
	while ((opt = getopt_long(argc, argv, "+o:", options, NULL)) != -1) {
		switch (opt) {
		case 'o': output = optarg; break;
		case 'F':
			if (strcmp(optarg, "docker") != 0 && strcmp(optarg, "oci") != 0)
				return cli_usage_error(&cmd_save, "--format: docker or oci, not \"%s\"", optarg);
			format = optarg;
			break;
		case 'H': return cli_help(&cmd_save);
		default: return cli_usage_error(&cmd_save, "unknown flag");
		}
	}
	if (argc - optind < 1)
		return cli_args_error(&cmd_save, "\"save\" requires at least 1 argument.");
	if (!output)
		return cli_usage_error(&cmd_save, "-o FILE is required (an archive is not written to a terminal)");
	bool oci = strcmp(format, "oci") == 0;
	char root[PATH_MAX], stage[PATH_MAX], hex[DIGEST_HEX_LEN + 1], name[256], tag[256], digest[80], full[600];
	_cleanup_json_ json_t *store = NULL, *manifests = json_array(), *repositories = json_object();
	_cleanup_close_ int lock = -1;
	int rc = -1;
	err_t ignored;
	if (cli_state_dir(ctx, root, &err) < 0 || lock_state(root, &lock, &err) < 0 || store_read(root, &store, &err) < 0)
		return cli_fail(&err);
	_cleanup_close_ int stage_lock = -1;
	if (build_tmp_dir(root, "save", stage, sizeof(stage), &stage_lock, &err) < 0)
		return cli_fail(&err);
	char path[PATH_MAX + 32];
	if (oci) {
		snprintf(path, sizeof(path), "%s/blobs/sha256", stage);
		if (fs_mkdir_p(path, 0755, &err) < 0)
			goto out;
	}
	for (int i = optind; i < argc; i++) {
		if (img_resolve(store, argv[i], hex, &err) < 0)
			goto out;
		/* A name given: the archive names the image so; an id: no name, as Docker's. */
		const char *named = NULL;
		if (img_ref_parse(argv[i], name, tag, digest, &ignored) == 0 && !*digest && strncmp(argv[i], "sha256:", 7) != 0 &&
		    strncmp(hex, argv[i], strlen(argv[i])) != 0) {
			snprintf(full, sizeof(full), "%s:%s", name, tag);
			named = full;
		}
		if (save_one(root, stage, hex, named, oci, manifests, repositories, &err) < 0)
			goto out;
	}
	_cleanup_free_ char *text = NULL;
	if (oci) {
		snprintf(path, sizeof(path), "%s/oci-layout", stage);
		if (write_json(path, "{\"imageLayoutVersion\":\"1.0.0\"}", &err) < 0)
			goto out;
		json_t *index = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
					  "application/vnd.oci.image.index.v1+json", "manifests", manifests);
		text = json_dumps(index, JSON_COMPACT);
		json_decref(index);
		snprintf(path, sizeof(path), "%s/index.json", stage);
	} else {
		_cleanup_free_ char *repos = json_dumps(repositories, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(path, sizeof(path), "%s/repositories", stage);
		if (json_object_size(repositories) > 0 && write_json(path, repos, &err) < 0)
			goto out;
		text = json_dumps(manifests, JSON_COMPACT);
		snprintf(path, sizeof(path), "%s/manifest.json", stage);
	}
	if (!text || write_json(path, text, &err) < 0)
		goto out;
	/* The archive, written beside its place and renamed: a failed save leaves no half file. */
	char tmp[PATH_MAX + 16];
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", output);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		err_sys(&err, "%s", output);
		goto out;
	}
	fchmod(fd, 0644);
	if (tar_tree(stage, fd, &err) < 0 || fsync(fd) < 0 || rename(tmp, output) < 0) {
		if (err.code == 0)
			err_sys(&err, "%s", output);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	rc = 0;
out:
	fs_remove_tree(stage, &ignored);
	return rc < 0 ? cli_fail(&err) : 0;
}
