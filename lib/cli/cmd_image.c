/*
 * cmd_image.c - `minidock image load|ls|inspect|rm|tag`: the image store from the command line.
 *
 * Loading is lab 3's img_load(); the rest is bookkeeping of ROOT/images.json (store.c), done
 * here under the state lock (lock.h) so that concurrent commands never lose a change.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "events.h"
#include "fsutil.h"
#include "image.h"
#include "json.h"
#include "lock.h"
#include "log.h"
#include "security.h"
#include "store.h"

static int image_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_image = {
	.name = "image",
	.usage = "COMMAND",
	.summary = "Manage images",
	.help = "Commands:\n"
		"  load -i PATH          load an OCI image layout (directory or tar) or a docker-save archive\n"
		"  ls [-a] [-q]          list images (-a: with a build's intermediate ones; -q: ids only)\n"
		"  inspect IMAGE...      show images as JSON\n"
		"  rm [-f] IMAGE...      remove images (-f: even while a container uses them)\n"
		"  tag SOURCE TARGET     give an image another name\n"
		"  history IMAGE         show how an image was made, step by step\n"
		"  save -o FILE IMAGE... write images to a tar archive (docker save's, or --format oci)\n",
	.run = image_main,
};

/* The state directory, made and locked; the lock is released when *lock_fd is closed. */
/* The journal's event (events.h) of image id ("sha256:HEX" or HEX) named name. */
static void image_event(const char *root, const char *action, const char *id, const char *name)
{
	char full[600];
	snprintf(full, sizeof(full), "%s%s", strncmp(id, "sha256:", 7) == 0 || strchr(id, ':') ? "" : "sha256:", id);
	_cleanup_json_ json_t *attrs = json_pack("{s:s}", "name", name);
	ev_emit(root, "image", action, full, attrs);
}

static int open_store(const struct cli_ctx *ctx, char *root, int *lock_fd, json_t **store, err_t *err)
{
	if (cli_state_dir(ctx, root, err) < 0 || lock_state(root, lock_fd, err) < 0)
		return -1;
	return store ? store_read(root, store, err) : 0;
}

/*
 * A load stages its work in ROOT/tmp/load-XXXXXX and removes it at the end. One killed halfway
 * (kill -9, a power cut) leaves it behind; loads hold the state lock, so under the lock any
 * load-* there is such debris.
 */
static void clear_stale_loads(const char *root)
{
	char dir[PATH_MAX + 8], path[PATH_MAX + 300];
	snprintf(dir, sizeof(dir), "%s/tmp", root);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		err_t ignored;
		if (strncmp(de->d_name, "load-", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		log_debug("removing %s, left by a load that died", path);
		fs_remove_tree(path, &ignored);
	}
	if (d)
		closedir(d);
}

static int image_load(int argc, char **argv, const struct cli_ctx *ctx)
{
	const char *input = NULL;
	int opt;

	optind = 0;
	while ((opt = getopt(argc, argv, ":i:")) != -1) {
		if (opt == 'i')
			input = optarg;
		else
			return cli_usage_error(&cmd_image, "load: usage: minidock image load -i PATH");
	}
	if (!input || optind != argc)
		return cli_usage_error(&cmd_image, "load: usage: minidock image load -i PATH");
	char root[PATH_MAX];
	_cleanup_close_ int lock = -1;
	_cleanup_json_ json_t *loaded = json_array();
	err_t err;
	if (open_store(ctx, root, &lock, NULL, &err) < 0)
		return cli_fail(&err);
	clear_stale_loads(root);
	log_debug("load %s into %s", input, root);
	if (img_load(root, input, loaded, &err) < 0)
		return cli_fail(&err);
	size_t i;
	json_t *name;
	json_array_foreach(loaded, i, name) {
		printf("Loaded image%s: %s\n", strncmp(json_string_value(name), "sha256:", 7) ? "" : " ID",
		       json_string_value(name));
		image_event(root, "load", json_string_value(name), json_string_value(name));
	}
	return 0;
}

/* The size of a directory tree, in bytes (regular files). */
static long long tree_size(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	long long total = 0;

	while (dir && (de = readdir(dir))) {
		char child[PATH_MAX];
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		if (lstat(child, &st) < 0)
			continue;
		total += S_ISDIR(st.st_mode) ? tree_size(child) : S_ISREG(st.st_mode) ? st.st_size : 0;
	}
	if (dir)
		closedir(dir);
	return total;
}

/* Is image id (hex) the Parent of another image (a build step made from it)? */
static bool has_child(const json_t *store, const char *id)
{
	const char *other;
	json_t *image;
	json_object_foreach(json_object_get(store, "images"), other, image) {
		const char *parent = json_str(image, "Parent");
		if (parent && strcmp(parent + 7, id) == 0)
			return true;
	}
	return false;
}

static int image_ls(int argc, char **argv, const struct cli_ctx *ctx)
{
	int quiet = 0, all = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0)
			all = 1;
		else
			return cli_usage_error(&cmd_image, "ls: usage: minidock image ls [-a] [-q]");
	}
	char root[PATH_MAX];
	_cleanup_close_ int lock = -1;
	_cleanup_json_ json_t *store = NULL;
	err_t err;
	if (open_store(ctx, root, &lock, &store, &err) < 0)
		return cli_fail(&err);
	if (!quiet)
		printf("%-30s %-12s %-14s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "SIZE");
	const char *id;
	json_t *image;
	json_object_foreach(json_object_get(store, "images"), id, image) {
		/* A build's intermediate images (untagged, the parent of another) only with -a. */
		if (!all && json_array_size(json_object_get(image, "RepoTags")) == 0 && has_child(store, id))
			continue;
		if (quiet) {
			printf("%.12s\n", id);
			continue;
		}
		long long size = 0;
		size_t i;
		json_t *layer;
		json_array_foreach(json_object_get(image, "Layers"), i, layer) {
			char path[PATH_MAX];
			err_t ignored; /* store_read() checked every layer: this cannot fail */
			if (store_layer_path(root, json_string_value(layer), path, sizeof(path), &ignored) == 0)
				size += tree_size(path);
		}
		json_t *tags = json_object_get(image, "RepoTags");
		json_t *tag;
		json_array_foreach(tags, i, tag) {
			const char *t = json_string_value(tag);
			const char *colon = strrchr(t, ':');
			printf("%-30.*s %-12s %-14.12s %.1fMB\n", (int)(colon - t), t, colon + 1, id, size / 1e6);
		}
		if (json_array_size(tags) == 0)
			printf("%-30s %-12s %-14.12s %.1fMB\n", "<none>", "<none>", id, size / 1e6);
	}
	/* Entries store_read() set aside: said, once each, where the user looks. */
	json_object_foreach(json_object_get(store, "damaged"), id, image)
		fprintf(stderr, "minidock: warning: images.json: image \"%.80s\" is damaged (%s): not listed\n", id,
			json_str(image, "Reason") ? json_str(image, "Reason") : "unreadable");
	return 0;
}

static int image_inspect(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'H' },
		{ 0 },
	};
	const char *format = NULL;
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "+:f:", options, NULL)) != -1) {
		if (opt == 'f')
			format = optarg;
		else if (opt == 'H')
			return printf("Usage:  minidock image inspect [-f FORMAT] IMAGE...\n\nShow images as JSON, "
				      "or each through the Go template FORMAT.\n"),
			       0;
		else
			return cli_usage_error(&cmd_image, "inspect: %s", opt == ':' ? "flag needs an argument: -f" : "unknown flag");
	}
	if (optind >= argc)
		return cli_args_error(&cmd_image, "inspect: requires at least one image");
	char root[PATH_MAX];
	_cleanup_close_ int lock = -1;
	_cleanup_json_ json_t *store = NULL;
	_cleanup_json_ json_t *all = json_array();
	err_t err;
	int status = 0;
	if (open_store(ctx, root, &lock, &store, &err) < 0)
		return cli_fail(&err);
	for (int i = optind; i < argc; i++) {
		json_t *shown;
		if (img_inspect(root, store, argv[i], &shown, &err) < 0) {
			cli_fail(&err);
			status = 1;
			continue;
		}
		json_array_append_new(all, shown);
	}
	if (format)
		return cli_print_format(format, all, &err) < 0 ? cli_fail(&err) : status;
	_cleanup_free_ char *text = json_dumps(all, JSON_INDENT(4));
	puts(text ? text : "[]");
	return status;
}

/* The first of argv[from..argc) that looks like a flag, or NULL. */
static const char *first_flag(int argc, char **argv, int from)
{
	for (int i = from; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1])
			return argv[i];
	return NULL;
}

/* Is image id used by a container (ROOT/containers/ID/image)? */
static int image_in_use(const char *root, const char *id)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/containers", root);
	DIR *dir = opendir(path);
	struct dirent *de;
	int used = 0;
	while (dir && !used && (de = readdir(dir))) {
		char file[PATH_MAX + 300];
		_cleanup_free_ char *text = NULL;
		err_t ignored;
		snprintf(file, sizeof(file), "%s/%s/image", path, de->d_name);
		if (de->d_name[0] != '.' && fs_read_file(file, 100, &text, NULL, &ignored) == 0)
			used = strcmp(text, id) == 0;
	}
	if (dir)
		closedir(dir);
	return used;
}

/* Remove the layers and config of image id (already out of the store) that nothing else uses. */
static void remove_unused(const char *root, const json_t *store, const json_t *image, const char *id)
{
	char path[PATH_MAX];
	err_t ignored;
	size_t i;
	json_t *layer;

	json_array_foreach(json_object_get(image, "Layers"), i, layer) {
		const char *other_id;
		json_t *other;
		int shared = 0;
		json_object_foreach(json_object_get(store, "images"), other_id, other) {
			size_t j;
			json_t *l;
			json_array_foreach(json_object_get(other, "Layers"), j, l)
				shared |= json_equal(l, layer);
		}
		if (!shared && store_layer_path(root, json_string_value(layer), path, sizeof(path), &ignored) == 0) {
			fs_remove_tree(path, &ignored);
			snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root, json_string_value(layer) + 7);
			unlink(path); /* its tar, for a layer a build made (lib/engine/build.c) */
			snprintf(path, sizeof(path), "%s/distribution/%s", root, json_string_value(layer) + 7);
			fs_remove_tree(path, &ignored); /* its blob, for a layer pulled (registry.c) */
			userns_forget_layer(root, json_string_value(layer)); /* its --userns-remap copies */
		}
	}
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root, id);
	unlink(path);
}

static int image_rm(int argc, char **argv, const struct cli_ctx *ctx)
{
	int force = 0, first = 1;
	if (argc > 1 && (strcmp(argv[1], "-f") == 0 || strcmp(argv[1], "--force") == 0)) {
		force = 1;
		first = 2;
	}
	if (first_flag(argc, argv, first))
		return cli_usage_error(&cmd_image, "rm: unknown flag: %s", first_flag(argc, argv, first));
	if (first >= argc)
		return cli_args_error(&cmd_image, "rm: requires at least one image");
	char root[PATH_MAX], id[DIGEST_HEX_LEN + 1];
	_cleanup_close_ int lock = -1;
	_cleanup_json_ json_t *store = NULL;
	err_t err;
	int status = 0;
	if (open_store(ctx, root, &lock, &store, &err) < 0)
		return cli_fail(&err);
	json_t *images = json_object_get(store, "images");
	for (int i = first; i < argc; i++) {
		if (img_resolve(store, argv[i], id, &err) < 0) {
			status = cli_fail(&err);
			continue;
		}
		json_t *image = json_incref(json_object_get(images, id));
		json_t *tags = json_object_get(image, "RepoTags");
		/* A tag of an image with other tags: only the tag goes. */
		char name[256], tag[256], digest[80], full[600];
		if (json_array_size(tags) > 1 && img_ref_parse(argv[i], name, tag, digest, &err) == 0) {
			snprintf(full, sizeof(full), "%s:%s", name, tag);
			size_t k;
			json_t *t;
			json_array_foreach(tags, k, t) {
				if (strcmp(json_string_value(t), full) == 0) {
					json_array_remove(tags, k);
					printf("Untagged: %s\n", full);
					image_event(root, "untag", id, full);
					json_decref(image);
					image = NULL;
					break;
				}
			}
			if (!image)
				continue;
		}
		if (!force && image_in_use(root, id)) {
			err_msg(&err, EBUSY, "conflict: unable to remove image %s: a container is using it (-f removes it anyway)",
				argv[i]);
			status = cli_fail(&err);
			json_decref(image);
			continue;
		}
		json_object_del(images, id);
		size_t k;
		json_t *t;
		json_array_foreach(tags, k, t) {
			printf("Untagged: %s\n", json_string_value(t));
			image_event(root, "untag", id, json_string_value(t));
		}
		printf("Deleted: sha256:%s\n", id);
		image_event(root, "delete", id, json_array_size(tags) ? json_string_value(json_array_get(tags, 0)) : id);
		if (store_write(root, store, &err) < 0) {
			json_decref(image);
			return cli_fail(&err);
		}
		remove_unused(root, store, image, id);
		/* The build steps it was made of go too, down to the first one with a name or another
		 * use (Docker's rule for intermediate images). */
		char parent[DIGEST_HEX_LEN + 1];
		const char *p = json_str(image, "Parent");
		snprintf(parent, sizeof(parent), "%s", p ? p + 7 : "");
		while (*parent) {
			json_t *up = json_incref(json_object_get(images, parent));
			if (!up || json_array_size(json_object_get(up, "RepoTags")) > 0 || has_child(store, parent) ||
			    image_in_use(root, parent)) {
				json_decref(up);
				break;
			}
			json_object_del(images, parent);
			printf("Deleted: sha256:%s\n", parent);
			remove_unused(root, store, up, parent);
			p = json_str(up, "Parent");
			snprintf(parent, sizeof(parent), "%s", p ? p + 7 : "");
			json_decref(up);
		}
		json_decref(image);
	}
	if (store_write(root, store, &err) < 0)
		return cli_fail(&err);
	return status ? 1 : 0;
}

static int image_tag(int argc, char **argv, const struct cli_ctx *ctx)
{
	if (first_flag(argc, argv, 1))
		return cli_usage_error(&cmd_image, "tag: unknown flag: %s", first_flag(argc, argv, 1));
	if (argc != 3)
		return cli_args_error(&cmd_image, "tag: usage: minidock image tag SOURCE TARGET");
	char root[PATH_MAX], id[DIGEST_HEX_LEN + 1], name[256], tag[256], digest[80], full[600];
	_cleanup_close_ int lock = -1;
	_cleanup_json_ json_t *store = NULL;
	err_t err;
	if (open_store(ctx, root, &lock, &store, &err) < 0 || img_resolve(store, argv[1], id, &err) < 0 ||
	    img_ref_parse(argv[2], name, tag, digest, &err) < 0)
		return cli_fail(&err);
	if (digest[0]) {
		err_msg(&err, EINVAL, "tag: the target must be a name, not a digest");
		return cli_fail(&err);
	}
	snprintf(full, sizeof(full), "%s:%s", name, tag);
	/* A tag names one image: take it from any other first. */
	const char *other;
	json_t *image;
	json_object_foreach(json_object_get(store, "images"), other, image) {
		json_t *tags = json_object_get(image, "RepoTags");
		for (size_t k = json_array_size(tags); k-- > 0;)
			if (strcmp(json_string_value(json_array_get(tags, k)), full) == 0)
				json_array_remove(tags, k);
	}
	json_array_append_new(json_object_get(json_object_get(json_object_get(store, "images"), id), "RepoTags"),
			      json_string(full));
	if (store_write(root, store, &err) < 0)
		return cli_fail(&err);
	image_event(root, "tag", id, full);
	return 0;
}

/* Docker's short forms: `images` is `image ls`, `rmi` `image rm`, `tag` `image tag`, `load`
 * `image load`. Each takes the same arguments as the long form. */
const struct command cmd_images = { .name = "images", .usage = "[-q]", .summary = "List images (image ls)",
				    .help = "Options:\n  -q   print only the ids\n", .run = image_ls };
const struct command cmd_rmi = { .name = "rmi", .usage = "[-f] IMAGE [IMAGE...]", .summary = "Remove images (image rm)",
				 .help = "Options:\n  -f   even while a container uses them\n", .run = image_rm };
const struct command cmd_tag = { .name = "tag", .usage = "SOURCE TARGET", .summary = "Name an image (image tag)",
				 .help = "", .run = image_tag };
const struct command cmd_load = { .name = "load", .usage = "-i PATH", .summary = "Load an image (image load)",
				  .help = "Options:\n  -i PATH   an OCI layout (directory or tar) or a docker-save archive\n",
				  .run = image_load };

static int image_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	static const struct {
		const char *name;
		int (*run)(int, char **, const struct cli_ctx *);
	} subcommands[] = {
		{ "load", image_load }, { "ls", image_ls }, { "inspect", image_inspect },
		{ "rm", image_rm },     { "tag", image_tag }, { "history", cli_image_history }, { "save", cli_image_save },
	};
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return argc < 2 ? cli_usage_error(&cmd_image, "requires a command") : cli_help(&cmd_image);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1, ctx);
	return cli_usage_error(&cmd_image, "unknown command \"%s\"", argv[1]);
}
