/*
 * store.c - the image store's bookkeeping (see store.h): references, ROOT/images.json, and
 * finding an image by what a user typed.
 *
 * images.json holds one object per image, keyed by the image id's hex digits:
 *
 *	{"images": {"a99e...": {"RepoTags": ["busybox:latest"], "RepoDigests": ["busybox@sha256:..."],
 *	                        "Layers": ["sha256:<diff id>", ...], "Created": "...", "Size": 2129920}}}
 *
 * An image a build made also has "Parent" (the image its step started from, "sha256:HEX") and
 * "BuildKey" (its step's cache key, 64 hex digits): lib/engine/build.c.
 *
 * One file for the whole index keeps every change a single atomic rename, made under the state
 * lock: a reader always sees a whole store.
 */
#include "store.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "json.h"
#include "sha256.h"

#define STORE_MAX (64 << 20)
#define NAME_MAX_LEN 255

/* One path component of a repository name, as Docker's reference grammar has it: lower-case
 * letters and digits, separated by one '.', one or two '_', or any number of '-'. */
static bool valid_component(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return false;
		while (i < n && (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i])))
			i++;
		if (i == n)
			return true;
		size_t sep = i;
		while (i < n && strchr("._-", s[i]))
			i++;
		size_t len = i - sep;
		bool ok = (len == 1) || (len == 2 && s[sep] == '_' && s[sep + 1] == '_') ||
			  strspn(s + sep, "-") >= len;
		if (!ok || i == n)
			return false;
	}
	return n > 0;
}

/* A registry host in front of a name: "localhost", or with a '.' or a port ("reg.io:5000"). */
static bool valid_domain(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t host = colon ? (size_t)(colon - s) : n;

	if (host == 0 || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") < host ||
	    s[0] == '-' || s[0] == '.')
		return false;
	return !colon || (n - host > 1 && strspn(colon + 1, "0123456789") == n - host - 1);
}

/* Docker's rule for a repository name: components joined by '/', the first one maybe a registry. */
static bool valid_repository(const char *name)
{
	const char *slash = strchr(name, '/');
	size_t first = slash ? (size_t)(slash - name) : strlen(name);

	if (slash && (memchr(name, '.', first) || memchr(name, ':', first) ||
		      (first == 9 && strncmp(name, "localhost", 9) == 0))) {
		if (!valid_domain(name, first))
			return false;
		name = slash + 1;
	}
	for (;;) {
		slash = strchr(name, '/');
		size_t n = slash ? (size_t)(slash - name) : strlen(name);
		if (!valid_component(name, n))
			return false;
		if (!slash)
			return true;
		name = slash + 1;
	}
}

int img_ref_parse(const char *ref, char *out_name, char *out_tag, char *out_digest, err_t *err)
{
	char buf[NAME_MAX_LEN + 80];

	if (snprintf(buf, sizeof(buf), "%s", ref) >= (int)sizeof(buf) || !*ref)
		return err_msg(err, EINVAL, "invalid reference format: \"%s\"", ref);
	out_digest[0] = '\0';
	char *at = strchr(buf, '@');
	if (at) {
		*at = '\0';
		const char *d = at + 1;
		if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + DIGEST_HEX_LEN ||
		    strspn(d + 7, "0123456789abcdef") != DIGEST_HEX_LEN)
			return err_msg(err, EINVAL, "invalid reference format: \"%s\": bad digest", ref);
		strcpy(out_digest, d);
	}
	/* The tag follows the last ':' that comes after the last '/' (a registry may have a port). */
	char *slash = strrchr(buf, '/');
	char *colon = strrchr(slash ? slash : buf, ':');
	const char *tag = "latest";
	if (colon) {
		*colon = '\0';
		tag = colon + 1;
		size_t n = strlen(tag);
		if (n == 0 || n > 128 || !(isalnum((unsigned char)tag[0]) || tag[0] == '_') ||
		    strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
			return err_msg(err, EINVAL, "invalid reference format: \"%s\": bad tag", ref);
	}
	/* Docker Hub's default names are spelled short: docker.io/library/x is x. */
	const char *name = buf;
	if (strncmp(name, "docker.io/", 10) == 0)
		name += 10;
	if (strncmp(name, "library/", 8) == 0)
		name += 8;
	if (!valid_repository(name)) {
		size_t n = strlen(name);
		bool has_upper = false;
		for (size_t i = 0; i < n; i++)
			has_upper |= isupper((unsigned char)name[i]) != 0;
		if (has_upper)
			return err_msg(err, EINVAL, "invalid reference format: \"%s\": repository name must be lowercase", ref);
		return err_msg(err, EINVAL, "invalid reference format: \"%s\"", ref);
	}
	snprintf(out_name, NAME_MAX_LEN + 1, "%s", name);
	snprintf(out_tag, NAME_MAX_LEN + 1, "%s", tag);
	return 0;
}

/* Why entry (keyed id) of images.json cannot be used, or NULL when it can. */
static const char *entry_fault(const char *id, const json_t *entry)
{
	static const char *const lists[] = { "RepoTags", "RepoDigests" };
	size_t i;
	json_t *v;

	if (!digest_hex_valid(id))
		return "its id is not 64 hex digits";
	if (!json_is_object(entry))
		return "it is not an object";
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		const json_t *list = json_object_get(entry, lists[k]);
		if (!json_is_array(list))
			return k == 0 ? "RepoTags is not an array" : "RepoDigests is not an array";
		json_array_foreach(list, i, v) {
			if (!json_is_string(v))
				return k == 0 ? "RepoTags holds a non-string" : "RepoDigests holds a non-string";
		}
	}
	const json_t *layers = json_object_get(entry, "Layers");
	if (!json_is_array(layers) || json_array_size(layers) == 0)
		return "Layers is not a list of layers";
	json_array_foreach(layers, i, v) {
		if (!digest_valid(json_string_value(v)))
			return "Layers holds something that is not a sha256 digest";
	}
	const json_t *created = json_object_get(entry, "Created");
	if (created && !json_is_string(created))
		return "Created is not a string";
	/* What a build adds (build.c): the image it started from, and its step's cache key. */
	const json_t *parent = json_object_get(entry, "Parent");
	if (parent && !digest_valid(json_string_value(parent)))
		return "Parent is not a sha256 digest";
	const json_t *key = json_object_get(entry, "BuildKey");
	if (key && !digest_hex_valid(json_string_value(key)))
		return "BuildKey is not 64 hex digits";
	return NULL;
}

int store_read(const char *root, json_t **out, err_t *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/images.json", root);
	if (json_read_file(path, STORE_MAX, out, err) < 0) {
		if (err->code != ENOENT)
			return -1;
		*out = json_pack("{s:{}, s:{}}", "images", "damaged");
		return 0;
	}
	json_t *images = json_object_get(*out, "images");
	json_t *damaged = json_object_get(*out, "damaged");
	if (!json_is_object(images) || (damaged && !json_is_object(damaged))) {
		json_decref(*out);
		return err_msg(err, EINVAL, "%s: no \"images\" object", path);
	}
	if (!damaged)
		json_object_set_new(*out, "damaged", damaged = json_object());
	/* Every entry is checked before anyone uses it: its layers name directories. One that
	 * fails is set aside under "damaged", with the reason, and kept (nothing is lost). */
	const char *id;
	json_t *entry;
	void *tmp;
	json_object_foreach_safe(images, tmp, id, entry) {
		const char *fault = entry_fault(id, entry);
		if (fault) {
			json_object_set_new(damaged, id, json_pack("{s:s, s:O}", "Reason", fault, "Entry", entry));
			json_object_del(images, id);
		}
	}
	return 0;
}

int store_write(const char *root, const json_t *store, err_t *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/images.json", root);
	return json_write_file(path, store, err);
}

/* Does the JSON array of strings arr hold s? */
static int array_has(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	}
	return 0;
}

int img_resolve(const json_t *store, const char *ref, char *out_id, err_t *err)
{
	const json_t *images = json_object_get(store, "images");
	const char *id;
	json_t *image;

	/* An id, whole or as a prefix of its hex digits. */
	const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
	size_t n = strlen(hex);
	if (n > 0 && n <= DIGEST_HEX_LEN && strspn(hex, "0123456789abcdef") == n) {
		const char *found = NULL;
		json_object_foreach((json_t *)images, id, image) {
			if (strncmp(id, hex, n) == 0) {
				if (found)
					return err_msg(err, EINVAL, "image id prefix \"%s\" is ambiguous", ref);
				found = id;
			}
		}
		if (found) {
			snprintf(out_id, DIGEST_HEX_LEN + 1, "%s", found);
			return 0;
		}
	}
	/* A tag or name@digest. */
	char name[NAME_MAX_LEN + 1], tag[NAME_MAX_LEN + 1], digest[80], want[2 * NAME_MAX_LEN + 90];
	if (img_ref_parse(ref, name, tag, digest, err) < 0)
		return -1;
	const char *key = digest[0] ? "RepoDigests" : "RepoTags";
	if (digest[0])
		snprintf(want, sizeof(want), "%s@%s", name, digest);
	else
		snprintf(want, sizeof(want), "%s:%s", name, tag);
	json_object_foreach((json_t *)images, id, image) {
		if (array_has(json_object_get(image, key), want)) {
			snprintf(out_id, DIGEST_HEX_LEN + 1, "%s", id);
			return 0;
		}
	}
	return err_msg(err, ENOENT, "No such image: %s", ref);
}

int store_layer_path(const char *root, const char *diff_id, char *out, size_t size, err_t *err)
{
	if (!digest_valid(diff_id))
		return err_msg(err, EINVAL, "bad diff id \"%s\": not sha256 and 64 hex digits",
			       diff_id ? diff_id : "(none)");
	if (snprintf(out, size, "%s/layers/%s", root, diff_id + 7) >= (int)size)
		return err_msg(err, ENAMETOOLONG, "layer %.19s: path too long", diff_id);
	return 0;
}

int img_read_config(const char *root, const char *id, json_t **out, err_t *err)
{
	char path[PATH_MAX], hex[65];
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (!digest_hex_valid(id))
		return err_msg(err, EINVAL, "bad image id \"%s\"", id);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root, id);
	if (fs_read_file(path, STORE_MAX, &text, &len, err) < 0)
		return err_wrap(err, "image %.12s: config", id);
	/* Content-addressed: the name is the content's digest. Check it, every time. */
	sha256_hex(text, len, hex);
	if (strcmp(hex, id) != 0)
		return err_msg(err, EIO, "image %.12s: config blob is corrupt (sha256 %s)", id, hex);
	json_error_t jerr;
	*out = json_loadb(text, len, 0, &jerr);
	if (!*out)
		return err_msg(err, EINVAL, "image %.12s: config: %s", id, jerr.text);
	return 0;
}

/* config's member key when it has type type, else a new empty value of that type. */
static json_t *member_or(const json_t *config, const char *key, json_type type)
{
	json_t *v = json_object_get(config, key);
	if (v && json_typeof(v) == type)
		return json_incref(v);
	return type == JSON_OBJECT ? json_object() : json_string("");
}

int img_inspect(const char *root, const json_t *store, const char *ref, json_t **out, err_t *err)
{
	char id[DIGEST_HEX_LEN + 1];
	json_t *config;

	if (img_resolve(store, ref, id, err) < 0 || img_read_config(root, id, &config, err) < 0)
		return -1;
	const json_t *image = json_object_get(json_object_get(store, "images"), id);
	/* The fields of `docker image inspect` minidock has, in its order. */
	*out = json_pack("{s:s+, s:O, s:O, s:o, s:o, s:o, s:o, s:{s:s, s:O}}", "Id", "sha256:", id, "RepoTags",
			 json_object_get(image, "RepoTags"), "RepoDigests", json_object_get(image, "RepoDigests"),
			 "Created", member_or(config, "created", JSON_STRING), "Architecture",
			 member_or(config, "architecture", JSON_STRING), "Os", member_or(config, "os", JSON_STRING),
			 "Config", member_or(config, "config", JSON_OBJECT), "RootFS", "Type", "layers", "Layers",
			 json_object_get(image, "Layers"));
	json_decref(config);
	return *out ? 0 : err_set(err, ENOMEM, "image %.12s", id);
}

int store_blob_tar(const char *blob, const char *diff_id, int fd, err_t *err)
{
	char got[DIGEST_LEN + 1];
	struct archive *a = archive_read_new();
	struct archive_entry *entry;
	struct sha256 sum;
	const void *buf;
	size_t size;
	la_int64_t offset;
	int rc = 0, r = ARCHIVE_OK;

	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_raw(a);
	sha256_init(&sum);
	if (archive_read_open_filename(a, blob, 1 << 16) != ARCHIVE_OK || archive_read_next_header(a, &entry) != ARCHIVE_OK)
		rc = err_msg(err, EIO, "%s: %s", blob, archive_error_string(a));
	while (rc == 0 && (r = archive_read_data_block(a, &buf, &size, &offset)) == ARCHIVE_OK) {
		if (fs_write_all(fd, buf, size) < 0)
			rc = err_sys(err, "layer %s: write its tar", diff_id);
		sha256_update(&sum, buf, size);
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = err_msg(err, EIO, "%s: %s", blob, archive_error_string(a));
	archive_read_free(a);
	if (rc < 0)
		return -1;
	digest_final(&sum, got);
	if (strcmp(got, diff_id) != 0)
		return err_msg(err, EIO, "layer %s: its blob unpacks to %s", diff_id, got);
	return 0;
}
