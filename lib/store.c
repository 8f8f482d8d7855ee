/*
 * store.c - the image store's bookkeeping (see image.h): references, ROOT/images.json, and
 * finding an image by what a user typed.
 *
 * images.json holds one object per image, keyed by the image id's hex digits:
 *
 *	{"images": {"a99e...": {"RepoTags": ["busybox:latest"], "RepoDigests": ["busybox@sha256:..."],
 *	                        "Layers": ["sha256:<diff id>", ...], "Created": "...", "Size": 2129920}}}
 *
 * One file for the whole index keeps every change a single atomic rename, made under the state
 * lock: a reader always sees a whole store.
 */
#include "image.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "json.h"

#define STORE_MAX (64 << 20)
#define NAME_MAX_LEN 255

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
	size_t n = strlen(name);
	if (n == 0 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-/:") != n || name[0] == '/' ||
	    name[n - 1] == '/')
		return err_msg(err, EINVAL, "invalid reference format: \"%s\": repository name must be lowercase", ref);
	snprintf(out_name, NAME_MAX_LEN + 1, "%s", name);
	snprintf(out_tag, NAME_MAX_LEN + 1, "%s", tag);
	return 0;
}

int store_read(const char *root, json_t **out, err_t *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/images.json", root);
	if (json_read_file(path, STORE_MAX, out, err) < 0) {
		if (err->code != ENOENT)
			return -1;
		*out = json_pack("{s:{}}", "images");
		return 0;
	}
	if (!json_is_object(json_object_get(*out, "images"))) {
		json_decref(*out);
		return err_msg(err, EINVAL, "%s: no \"images\" object", path);
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

int img_read_config(const char *root, const char *id, json_t **out, err_t *err)
{
	char path[PATH_MAX], hex[65];
	_cleanup_free_ char *text = NULL;
	size_t len;

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
