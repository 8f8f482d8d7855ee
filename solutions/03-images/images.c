/*
 * images.c - lab 3: images (see image.h for the contract, course.md chapter 3 for the
 * ideas).
 *
 * Loading an image is mostly checking it. Every file in an OCI layout is named by its sha256
 * (a blob), and every blob is named by whoever points at it: the index names the manifest,
 * the manifest names the config and the layers, the config names each layer's uncompressed
 * content (its diff id). Nothing is used before its digest is checked, so a changed byte
 * anywhere is caught.
 *
 * A layer is unpacked in one pass through a small pipeline of libarchive readers:
 *
 *	blob file ─► outer reader ─────────► inner reader ──► entries ─► archive_write_disk
 *	             (gzip/zstd/none,        (tar format)     (checked one by one:
 *	              "raw" format)    │                       paths, links, devices,
 *	                               └─► sha256 (diff id),   whiteouts)
 *	                                   byte count (size limit)
 *
 * Everything is unpacked under ROOT/tmp and moved into the store only when all of it checked
 * out, so a bad image leaves the store as it was.
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "image.h"
#include "json.h"
#include "lab.h"
#include "store.h"

/* SOLUTION BEGIN */
#define JSON_MAX (4 << 20)
/* A layer may unpack to at most this many times its blob's size (plus 1 MiB): real layers
 * compress 2 to 5 times; a "zip bomb" of zeros, a thousand times. */
#define MAX_RATIO 64
#define LAYER_SIZE_CAP ((size_t)8 << 30)
/* overlayfs stacks at most 500 lower layers (OVL_MAX_STACK); Docker runs images of 125. */
#define MAX_LAYERS 500

/* --- one layer -------------------------------------------------------------------------------- */

struct layer_reader {
	struct archive *outer; /* the blob, decompressed, as one "raw" stream */
	struct sha256 diff;    /* sha256 of the uncompressed tar: the diff id */
	size_t total, max;     /* uncompressed bytes read so far, and the limit */
};

/* The inner (tar) reader's read callback: the next block of the decompressed stream. */
static la_ssize_t read_uncompressed(struct archive *inner, void *data, const void **buf)
{
	struct layer_reader *r = data;
	size_t size;
	la_int64_t offset;

	int rc = archive_read_data_block(r->outer, buf, &size, &offset);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc != ARCHIVE_OK) {
		archive_set_error(inner, EIO, "truncated or corrupt: %s", archive_error_string(r->outer));
		return -1;
	}
	r->total += size;
	if (r->total > r->max) {
		archive_set_error(inner, EFBIG, "unpacks to more than %zu bytes", r->max);
		return -1;
	}
	sha256_update(&r->diff, *buf, size);
	return (la_ssize_t)size;
}

/* Is a path from a tar entry safe to put under the layer directory? */
static int unsafe_path(const char *p)
{
	if (p[0] == '/')
		return 1;
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return 1;
		c += n;
		while (*c == '/')
			c++;
	}
	return 0;
}

/* Does path (relative, under dest) go through a symlink? Each parent is checked with lstat:
 * a layer may not write "link/file" after "link -> /etc". */
static int through_symlink(const char *dest, const char *path)
{
	char prefix[PATH_MAX];
	struct stat st;

	for (const char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
		snprintf(prefix, sizeof(prefix), "%s/%.*s", dest, (int)(slash - path), path);
		if (lstat(prefix, &st) == 0 && S_ISLNK(st.st_mode))
			return 1;
	}
	return 0;
}

/* Open directory rel under dest, one component at a time without following any symlink,
 * making what is missing. (A layer may plant a symlink where a whiteout's directory goes.) */
static int open_dir_nofollow(const char *dest, const char *rel, err_t *err)
{
	int fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", dest);
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", rel);
	for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
			close(fd);
			return err_sys(err, "mkdir %s", rel);
		}
		int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return err_sys(err, "%s: not a plain directory", rel);
		fd = next;
	}
	return fd;
}

/* ".wh.NAME" and ".wh..wh..opq" become what overlayfs reads. Returns 1 if entry was one. */
static int whiteout(const char *dest, const char *path, err_t *err)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (strncmp(base, ".wh.", 4) != 0)
		return 0;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (base[4] == '\0')
		return err_msg(err, EINVAL, "%s: a whiteout must name what it hides", path);
	_cleanup_close_ int fd = open_dir_nofollow(dest, dir, err);
	if (fd < 0)
		return -1;
	if (strcmp(base, ".wh..wh..opq") == 0) {
		/* setfattr -n trusted.overlay.opaque -v y DIR: hide everything below, from lower layers */
		if (fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
			return err_sys(err, "%s: mark opaque", path);
	} else if (mknodat(fd, base + 4, S_IFCHR, makedev(0, 0)) < 0 && errno != EEXIST) {
		/* mknod DIR/NAME c 0 0: overlayfs's whiteout hides NAME in the lower layers */
		return err_sys(err, "%s: whiteout", path);
	}
	return 1;
}

/* Check one entry and write it under dest (a layer's whiteouts too, when whiteouts is set). */
static int unpack_entry(struct archive *inner, struct archive_entry *entry, struct archive *disk,
			const char *dest, int whiteouts, err_t *err)
{
	char path[PATH_MAX], full[PATH_MAX];

	/* A copy: libarchive's own string changes when the entry's path is rewritten below. */
	const char *name = archive_entry_pathname(entry);
	if (!name || !*name)
		return err_msg(err, EINVAL, "an entry without a name");
	snprintf(path, sizeof(path), "%s", name);
	if (unsafe_path(path))
		return err_msg(err, EINVAL, "%s: an absolute path or one with \"..\"", path);
	if (through_symlink(dest, path))
		return err_msg(err, EINVAL, "%s: a path through a symlink", path);
	mode_t type = archive_entry_filetype(entry);
	if (type == AE_IFCHR || type == AE_IFBLK)
		return err_msg(err, EPERM, "%s: a device node", path);
	int rc = whiteouts ? whiteout(dest, path, err) : 0;
	if (rc != 0)
		return rc < 0 ? -1 : 0;

	snprintf(full, sizeof(full), "%s/%s", dest, path);
	archive_entry_copy_pathname(entry, full);
	const char *link = archive_entry_hardlink(entry);
	if (link) {
		if (unsafe_path(link))
			return err_msg(err, EINVAL, "%s: a hard link to outside the layer (%s)", path, link);
		char target[PATH_MAX];
		snprintf(target, sizeof(target), "%s/%s", dest, link);
		archive_entry_copy_hardlink(entry, target);
	}
	if (archive_write_header(disk, entry) != ARCHIVE_OK)
		return err_msg(err, EINVAL, "%s: %s", path, archive_error_string(disk));
	const void *buf;
	size_t size;
	la_int64_t offset;
	while ((rc = archive_read_data_block(inner, &buf, &size, &offset)) == ARCHIVE_OK) {
		if (archive_write_data_block(disk, buf, size, offset) != ARCHIVE_OK)
			return err_msg(err, EIO, "%s: %s", path, archive_error_string(disk));
	}
	if (rc != ARCHIVE_EOF)
		return err_msg(err, archive_errno(inner) > 0 ? archive_errno(inner) : EIO, "%s: %s", path,
			       archive_error_string(inner));
	if (archive_write_finish_entry(disk) != ARCHIVE_OK)
		return err_msg(err, EIO, "%s: %s", path, archive_error_string(disk));
	return 0;
}
/* SOLUTION END */

int layer_unpack(const char *blob, const char *blob_digest, const char *diff_id, size_t max_bytes,
		 const char *dest, err_t *err)
{
	/* SOLUTION BEGIN */
	char got[DIGEST_LEN + 1];
	int rc = -1;

	if (blob_digest) {
		if (digest_file(blob, got, err) < 0)
			return -1;
		if (strcmp(got, blob_digest) != 0)
			return err_msg(err, EIO, "digest mismatch: want %s, got %s", blob_digest, got);
	}
	struct layer_reader r = { .outer = archive_read_new(), .max = max_bytes };
	struct archive *inner = archive_read_new();
	/* Owners stay numeric, as in the image: no lookup of names in the host's /etc/passwd.
	 * No extended attributes: a layer must not set overlayfs's own trusted.overlay.*. */
	struct archive *disk = archive_write_disk_new();
	archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
						     ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
						     ARCHIVE_EXTRACT_UNLINK);
	sha256_init(&r.diff);
	/* Layers come plain, gzip'ed or zstd'ed (the OCI image spec's three). */
	archive_read_support_filter_gzip(r.outer);
	archive_read_support_filter_zstd(r.outer);
	archive_read_support_format_raw(r.outer);
	archive_read_support_format_tar(inner);

	struct archive_entry *entry;
	if (archive_read_open_filename(r.outer, blob, 1 << 16) != ARCHIVE_OK ||
	    archive_read_next_header(r.outer, &entry) != ARCHIVE_OK) {
		err_msg(err, EIO, "%s: %s", blob, archive_error_string(r.outer));
		goto out;
	}
	if (archive_read_open(inner, &r, NULL, read_uncompressed, NULL) != ARCHIVE_OK) {
		err_msg(err, archive_errno(inner) > 0 ? archive_errno(inner) : EIO, "%s", archive_error_string(inner));
		goto out;
	}
	for (;;) {
		int next = archive_read_next_header(inner, &entry);
		if (next == ARCHIVE_EOF)
			break;
		if (next != ARCHIVE_OK && next != ARCHIVE_WARN) {
			err_msg(err, archive_errno(inner) > 0 ? archive_errno(inner) : EIO, "%s",
				archive_error_string(inner));
			goto out;
		}
		if (unpack_entry(inner, entry, disk, dest, 1, err) < 0)
			goto out;
	}
	/* The tar's end-of-archive padding is part of the diff id: read the stream to its end. */
	const void *rest;
	la_ssize_t n;
	while ((n = read_uncompressed(inner, &r, &rest)) > 0)
		;
	if (n < 0) {
		err_msg(err, archive_errno(inner) > 0 ? archive_errno(inner) : EIO, "%s", archive_error_string(inner));
		goto out;
	}
	digest_final(&r.diff, got);
	if (strcmp(got, diff_id) != 0) {
		err_msg(err, EIO, "diff id mismatch: want %s, got %s", diff_id, got);
		goto out;
	}
	rc = 0;
out:
	archive_write_free(disk);
	archive_read_free(inner);
	archive_read_free(r.outer);
	return rc;
	/* SOLUTION END: return lab_todo(err, 3, __func__); */
}

/* SOLUTION BEGIN */
/* --- loading ---------------------------------------------------------------------------------- */

/* What a load collects before it touches the store. */
struct load {
	const char *root;  /* the store */
	char src[PATH_MAX]; /* the layout or archive, as a directory */
	char stage[PATH_MAX]; /* ROOT/tmp/load-XXXXXX */
	json_t *images;    /* id hex -> record, as store.c keeps them */
	json_t *configs;   /* id hex -> the config's bytes (a JSON string) */
};

static const char *const layer_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.docker.image.rootfs.diff.tar",
	NULL,
};

static int known(const char *const *list, const char *s)
{
	for (; s && *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* The file of blob "sha256:HEX" in the layout, after checking the digest's form. */
static int blob_path(const struct load *l, const char *digest, char *out, err_t *err)
{
	if (!digest_valid(digest))
		return err_msg(err, EINVAL, "not a sha256 digest: \"%s\"", digest ? digest : "(none)");
	snprintf(out, PATH_MAX, "%s/blobs/sha256/%s", l->src, digest + 7);
	if (access(out, F_OK) < 0)
		return err_msg(err, ENOENT, "missing blob %s", digest);
	return 0;
}

/* Read a JSON blob whose bytes must hash to digest; *out_text keeps the bytes. */
static int read_blob(const struct load *l, const char *digest, json_t **out, char **out_text, err_t *err)
{
	char path[PATH_MAX], hex[65];
	_cleanup_free_ char *text = NULL;
	size_t len;
	json_error_t jerr;

	if (blob_path(l, digest, path, err) < 0 || fs_read_file(path, JSON_MAX, &text, &len, err) < 0)
		return -1;
	sha256_hex(text, len, hex);
	if (strcmp(hex, digest + 7) != 0)
		return err_msg(err, EIO, "blob %s: digest mismatch (its content hashes to sha256:%s)", digest, hex);
	if (!(*out = json_loadb(text, len, 0, &jerr)))
		return err_msg(err, EINVAL, "blob %s: malformed JSON: %s", digest, jerr.text);
	if (out_text)
		*out_text = take_ptr(&text);
	return 0;
}

/* Unpack one layer into the stage, unless the store or this load already has it. */
static int stage_layer(struct load *l, const char *blob, const char *blob_digest, const char *diff_id,
		       err_t *err)
{
	char in_store[PATH_MAX], staged[PATH_MAX];
	struct stat st;

	/* The diff id names directories: "sha256:" and 64 hex digits exactly, or "../" could
	 * send them anywhere on the host. store_layer_path() checks it. */
	if (store_layer_path(l->root, diff_id, in_store, sizeof(in_store), err) < 0 ||
	    store_layer_path(l->stage, diff_id, staged, sizeof(staged), err) < 0)
		return -1;
	if (stat(in_store, &st) == 0 || stat(staged, &st) == 0)
		return 0; /* unpacked once, shared by every image that has it */
	if (stat(blob, &st) < 0)
		return err_sys(err, "layer %s", blob);
	size_t max = (size_t)st.st_size * MAX_RATIO + (1 << 20);
	if (max > LAYER_SIZE_CAP)
		max = LAYER_SIZE_CAP;
	if (fs_mkdir_p(staged, 0755, err) < 0 || layer_unpack(blob, blob_digest, diff_id, max, staged, err) < 0)
		return err_wrap(err, "layer %s", blob_digest ? blob_digest : diff_id);
	/* Its tar too, uncompressed (STAGE/blobs/sha256/DIFFHEX): what save and push send. */
	char tar[PATH_MAX];
	snprintf(tar, sizeof(tar), "%s/blobs/sha256", l->stage);
	if (fs_mkdir_p(tar, 0700, err) < 0)
		return -1;
	snprintf(tar, sizeof(tar), "%s/blobs/sha256/%s", l->stage, diff_id + 7);
	_cleanup_close_ int fd = open(tar, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_sys(err, "%s", tar);
	return store_blob_tar(blob, diff_id, fd, err) < 0 ? err_wrap(err, "layer %s", diff_id) : 0;
}

/* Record a checked image: its config bytes, layers and names. */
static int add_image(struct load *l, const char *config_text, json_t *config, const char *name,
		     const char *manifest_digest, err_t *err)
{
	char id[65], ref_name[256], tag[256], digest[80], full[600];

	sha256_hex(config_text, strlen(config_text), id);
	json_t *image = json_object_get(l->images, id);
	if (!image) {
		image = json_pack("{s:[], s:[], s:O, s:s}", "RepoTags", "RepoDigests", "Layers",
				  json_object_get(json_object_get(config, "rootfs"), "diff_ids"), "Created",
				  json_str(config, "created") ? json_str(config, "created") : "");
		json_object_set_new(l->images, id, image);
		json_object_set_new(l->configs, id, json_string(config_text));
	}
	if (name && *name) {
		if (img_ref_parse(name, ref_name, tag, digest, err) < 0)
			return -1;
		snprintf(full, sizeof(full), "%s:%s", ref_name, tag);
		json_array_append_new(json_object_get(image, "RepoTags"), json_string(full));
		if (manifest_digest) {
			snprintf(full, sizeof(full), "%s@%s", ref_name, manifest_digest);
			json_array_append_new(json_object_get(image, "RepoDigests"), json_string(full));
		}
	}
	return 0;
}

/* The diff ids of a config, checked against the number of layers. */
static json_t *diff_ids(json_t *config, size_t n_layers, err_t *err)
{
	json_t *rootfs = json_object_get(config, "rootfs");
	json_t *ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(ids) || json_array_size(ids) != n_layers) {
		err_msg(err, EINVAL, "config: rootfs.diff_ids lists %zu layers, the manifest %zu",
			json_array_size(ids), n_layers);
		return NULL;
	}
	return ids;
}

/* One OCI (or Docker v2) manifest: check it, its config and its layers; stage the layers. */
static int load_manifest(struct load *l, const json_t *desc, const char *name, err_t *err)
{
	const char *digest = json_str(desc, "digest");
	json_t *manifest = NULL, *config = NULL;
	_cleanup_free_ char *config_text = NULL;
	int rc = -1;

	if (read_blob(l, digest, &manifest, NULL, err) < 0)
		goto out;
	json_t *layers = json_object_get(manifest, "layers");
	const json_t *config_desc = json_object_get(manifest, "config");
	if (json_integer_value(json_object_get(manifest, "schemaVersion")) != 2) {
		err_msg(err, EINVAL, "manifest %s: schemaVersion is not 2", digest);
		goto out;
	}
	if (!json_is_array(layers) || json_array_size(layers) == 0) {
		err_msg(err, EINVAL, "manifest %s has no layers", digest);
		goto out;
	}
	if (read_blob(l, json_str(config_desc, "digest"), &config, &config_text, err) < 0)
		goto out;
	json_t *ids = diff_ids(config, json_array_size(layers), err);
	if (!ids)
		goto out;
	size_t i;
	json_t *layer;
	json_array_foreach(layers, i, layer) {
		const char *type = json_str(layer, "mediaType");
		char path[PATH_MAX];
		if (!known(layer_types, type)) {
			err_msg(err, EINVAL, "layer %zu: unknown media type \"%s\"", i, type ? type : "(none)");
			goto out;
		}
		if (blob_path(l, json_str(layer, "digest"), path, err) < 0 ||
		    stage_layer(l, path, json_str(layer, "digest"), json_string_value(json_array_get(ids, i)), err) < 0)
			goto out;
	}
	rc = add_image(l, config_text, config, name, digest, err);
out:
	json_decref(manifest);
	json_decref(config);
	return rc < 0 ? err_wrap(err, "image %s", name && *name ? name : digest ? digest : "?") : 0;
}

/* An OCI image layout: index.json lists manifests (or nested indexes). */
static int load_index(struct load *l, json_t *index, err_t *err)
{
	json_t *manifests = json_object_get(index, "manifests");
	size_t i;
	json_t *desc;

	if (!json_is_array(manifests))
		return err_msg(err, EINVAL, "index: no \"manifests\" list");
	json_array_foreach(manifests, i, desc) {
		const char *type = json_str(desc, "mediaType");
		json_t *annotations = json_object_get(desc, "annotations");
		/* A full name if there is one; OCI's ref.name alone is often just a tag. */
		const char *name = json_str(annotations, "io.containerd.image.name");
		const char *ref = json_str(annotations, "org.opencontainers.image.ref.name");
		if (!name && ref && (strchr(ref, ':') || strchr(ref, '/')))
			name = ref;
		if (type && (strcmp(type, "application/vnd.oci.image.manifest.v1+json") == 0 ||
			     strcmp(type, "application/vnd.docker.distribution.manifest.v2+json") == 0)) {
			if (load_manifest(l, desc, name, err) < 0)
				return -1;
		} else if (type && (strcmp(type, "application/vnd.oci.image.index.v1+json") == 0 ||
				    strcmp(type, "application/vnd.docker.distribution.manifest.list.v2+json") == 0)) {
			json_t *nested;
			if (read_blob(l, json_str(desc, "digest"), &nested, NULL, err) < 0)
				return -1;
			int rc = load_index(l, nested, err);
			json_decref(nested);
			if (rc < 0)
				return -1;
		}
		/* Other media types (signatures, attestations) are not images: skip them. */
	}
	return 0;
}

/* A classic `docker save` archive: manifest.json lists {Config, RepoTags, Layers} by path. */
static int load_docker(struct load *l, json_t *list, err_t *err)
{
	size_t i, j;
	json_t *item, *v;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return err_msg(err, EINVAL, "manifest.json: not a list of images");
	json_array_foreach(list, i, item) {
		const char *config_file = json_str(item, "Config");
		json_t *layers = json_object_get(item, "Layers");
		char path[PATH_MAX];
		_cleanup_free_ char *text = NULL;
		size_t len;
		json_error_t jerr;

		if (!config_file || unsafe_path(config_file))
			return err_msg(err, EINVAL, "manifest.json: bad Config \"%s\"", config_file ? config_file : "");
		if (!json_is_array(layers) || json_array_size(layers) == 0)
			return err_msg(err, EINVAL, "manifest.json: image %zu has no layers", i);
		snprintf(path, sizeof(path), "%s/%s", l->src, config_file);
		if (fs_read_file(path, JSON_MAX, &text, &len, err) < 0)
			return err_wrap(err, "manifest.json");
		json_t *config = json_loadb(text, len, 0, &jerr);
		if (!config)
			return err_msg(err, EINVAL, "%s: malformed JSON: %s", config_file, jerr.text);
		json_t *ids = diff_ids(config, json_array_size(layers), err);
		int rc = ids ? 0 : -1;
		json_array_foreach(layers, j, v) {
			const char *layer = json_string_value(v);
			if (rc < 0)
				break;
			if (!layer || unsafe_path(layer)) {
				rc = err_msg(err, EINVAL, "manifest.json: bad layer path \"%s\"", layer ? layer : "");
				break;
			}
			snprintf(path, sizeof(path), "%s/%s", l->src, layer);
			rc = stage_layer(l, path, NULL, json_string_value(json_array_get(ids, j)), err);
		}
		json_t *tags = json_object_get(item, "RepoTags");
		if (rc == 0 && json_array_size(tags) == 0)
			rc = add_image(l, text, config, NULL, NULL, err);
		json_array_foreach(tags, j, v) {
			if (rc == 0)
				rc = add_image(l, text, config, json_string_value(v), NULL, err);
		}
		json_decref(config);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Unpack an archive file (a tar of a layout) into dir, with the checks of a layer, but no
 * digest to match and no whiteouts to expect. */
static int unpack_archive(const char *file, const char *dir, err_t *err)
{
	struct stat st;
	if (stat(file, &st) < 0)
		return err_sys(err, "%s", file);
	struct archive *a = archive_read_new();
	struct archive *disk = archive_write_disk_new();
	archive_read_support_filter_gzip(a); /* `docker save | gzip` */
	archive_read_support_format_tar(a);
	archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
	int rc = 0;
	struct archive_entry *entry;
	size_t total = 0, max = (size_t)st.st_size * MAX_RATIO + (1 << 20);
	if (archive_read_open_filename(a, file, 1 << 16) != ARCHIVE_OK) {
		rc = err_msg(err, EINVAL, "%s: %s", file, archive_error_string(a));
		goto out;
	}
	for (;;) {
		int next = archive_read_next_header(a, &entry);
		if (next == ARCHIVE_EOF)
			break;
		if (next != ARCHIVE_OK) {
			rc = err_msg(err, EINVAL, "%s: %s", file, archive_error_string(a));
			break;
		}
		total += (size_t)archive_entry_size(entry);
		if (total > max) {
			rc = err_msg(err, EFBIG, "%s: unpacks to more than %zu bytes", file, max);
			break;
		}
		if (archive_entry_filetype(entry) != AE_IFREG && archive_entry_filetype(entry) != AE_IFDIR)
			continue; /* a layout holds files and directories, nothing else */
		if ((rc = unpack_entry(a, entry, disk, dir, 0, err)) < 0)
			break;
	}
out:
	archive_write_free(disk);
	archive_read_free(a);
	return rc < 0 ? err_wrap(err, "archive") : 0;
}

/* Append to the array to the strings of from it does not hold yet. */
static void add_missing(json_t *to, const json_t *from)
{
	size_t i, j;
	json_t *v, *w;
	json_array_foreach(from, i, v) {
		int have = 0;
		json_array_foreach(to, j, w)
			have |= json_equal(v, w);
		if (!have)
			json_array_append(to, v);
	}
}

/* Move the staged layers and the new images into the store. */
static int commit(struct load *l, json_t *out_loaded, err_t *err)
{
	char from[PATH_MAX], to[PATH_MAX];
	const char *id;
	json_t *image, *store;

	if (store_read(l->root, &store, err) < 0)
		return -1;
	json_t *images = json_object_get(store, "images");
	snprintf(to, sizeof(to), "%s/layers", l->root);
	snprintf(from, sizeof(from), "%s/blobs/sha256", l->root);
	if (fs_mkdir_p(to, 0700, err) < 0 || fs_mkdir_p(from, 0700, err) < 0)
		goto fail;
	json_object_foreach(l->images, id, image) {
		size_t i;
		json_t *diff;
		json_array_foreach(json_object_get(image, "Layers"), i, diff) {
			if (store_layer_path(l->stage, json_string_value(diff), from, sizeof(from), err) < 0 ||
			    store_layer_path(l->root, json_string_value(diff), to, sizeof(to), err) < 0)
				goto fail;
			if (access(from, F_OK) == 0 && access(to, F_OK) < 0 && rename(from, to) < 0) {
				err_sys(err, "move layer %s into the store", json_string_value(diff));
				goto fail;
			}
			/* and its tar */
			snprintf(from, sizeof(from), "%s/blobs/sha256/%s", l->stage, json_string_value(diff) + 7);
			snprintf(to, sizeof(to), "%s/blobs/sha256/%s", l->root, json_string_value(diff) + 7);
			if (access(from, F_OK) == 0 && access(to, F_OK) < 0 && rename(from, to) < 0) {
				err_sys(err, "move layer %s's tar into the store", json_string_value(diff));
				goto fail;
			}
		}
		const char *config = json_string_value(json_object_get(l->configs, id));
		snprintf(to, sizeof(to), "%s/blobs/sha256/%s", l->root, id);
		if (fs_write_atomic(to, config, strlen(config), 0644, err) < 0)
			goto fail;
		/* A tag names one image: loading busybox:latest again moves the tag to the new one. */
		json_t *tags = json_object_get(image, "RepoTags");
		const char *other;
		json_t *old;
		json_object_foreach(images, other, old) {
			json_t *old_tags = json_object_get(old, "RepoTags");
			for (size_t k = json_array_size(old_tags); k-- > 0;) {
				size_t t;
				json_t *tag;
				json_array_foreach(tags, t, tag) {
					if (json_equal(tag, json_array_get(old_tags, k)) && strcmp(other, id) != 0) {
						json_array_remove(old_tags, k);
						break;
					}
				}
			}
		}
		json_t *existing = json_object_get(images, id);
		if (existing) {
			add_missing(json_object_get(existing, "RepoTags"), tags);
			add_missing(json_object_get(existing, "RepoDigests"), json_object_get(image, "RepoDigests"));
		} else {
			json_object_set(images, id, image);
		}
		size_t t;
		json_t *tag;
		json_array_foreach(tags, t, tag)
			json_array_append(out_loaded, tag);
		if (json_array_size(tags) == 0)
			json_array_append_new(out_loaded, json_sprintf("sha256:%s", id));
	}
	int rc = store_write(l->root, store, err);
	json_decref(store);
	return rc;
fail:
	json_decref(store);
	return -1;
}
/* SOLUTION END */

int img_load(const char *root, const char *path, json_t *out_loaded, err_t *err)
{
	/* SOLUTION BEGIN */
	struct load l = { .root = root, .images = json_object(), .configs = json_object() };
	json_t *index = NULL;
	struct stat st;
	err_t ignored;
	int rc = -1;

	snprintf(l.stage, sizeof(l.stage), "%s/tmp", root);
	if (fs_mkdir_p(l.stage, 0700, err) < 0)
		goto out_free;
	snprintf(l.stage, sizeof(l.stage), "%s/tmp/load-XXXXXX", root);
	if (!mkdtemp(l.stage)) {
		err_sys(err, "mkdtemp %s", l.stage);
		goto out_free;
	}
	if (stat(path, &st) < 0) {
		err_sys(err, "%s", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(l.src, sizeof(l.src), "%s", path);
	} else {
		snprintf(l.src, sizeof(l.src), "%s/archive", l.stage);
		if (fs_mkdir_p(l.src, 0700, err) < 0 || unpack_archive(path, l.src, err) < 0)
			goto out;
	}

	char file[PATH_MAX + 16];
	snprintf(file, sizeof(file), "%s/index.json", l.src);
	if (access(file, F_OK) == 0) {
		/* An OCI layout (Docker 25+'s docker save is one too). */
		if (json_read_file(file, JSON_MAX, &index, err) < 0 || load_index(&l, index, err) < 0)
			goto out;
	} else {
		snprintf(file, sizeof(file), "%s/manifest.json", l.src);
		if (access(file, F_OK) < 0) {
			err_msg(err, EINVAL, "%s: not an image: no index.json (OCI) or manifest.json (docker save)", path);
			goto out;
		}
		if (json_read_file(file, JSON_MAX, &index, err) < 0 || load_docker(&l, index, err) < 0)
			goto out;
	}
	if (json_object_size(l.images) == 0) {
		err_msg(err, EINVAL, "%s: no image in it", path);
		goto out;
	}
	rc = commit(&l, out_loaded, err);
out:
	fs_remove_tree(l.stage, &ignored); /* whatever happened, the stage goes */
out_free:
	json_decref(index);
	json_decref(l.images);
	json_decref(l.configs);
	return rc;
	/* SOLUTION END: return lab_todo(err, 3, __func__); */
}

/* SOLUTION BEGIN */
/*
 * lowerdir=L3:L2:L1 of the layers (top first), as paths, or with by_fd as /proc/self/fd/N of a
 * descriptor opened on each (kept in fds, *n_fds of them). Returns the length written
 * (sizeof(opts) or more when it does not fit), or -1.
 */
static int lower_dirs(const char *root, const json_t *layers, bool by_fd, char *opts, size_t size, int *fds,
		      size_t *n_fds, err_t *err)
{
	char path[PATH_MAX];
	size_t len = (size_t)snprintf(opts, size, "lowerdir=");

	for (size_t i = json_array_size(layers); i-- > 0 && len < size;) {
		const char *sep = i + 1 == json_array_size(layers) ? "" : ":";
		if (store_layer_path(root, json_string_value(json_array_get(layers, i)), path, sizeof(path), err) < 0)
			return -1;
		if (!by_fd) {
			len += (size_t)snprintf(opts + len, size - len, "%s%s", sep, path);
			continue;
		}
		int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return err_sys(err, "layer %s", path);
		fds[(*n_fds)++] = fd;
		len += (size_t)snprintf(opts + len, size - len, "%s/proc/self/fd/%d", sep, fd);
	}
	return (int)len;
}
/* SOLUTION END */

int img_mount(const char *root, const char *id, const char *container_dir, err_t *err)
{
	/* SOLUTION BEGIN */
	json_t *store;
	char opts[4096], merged[PATH_MAX];
	int fds[MAX_LAYERS], rc = -1;
	size_t n_fds = 0;

	if (store_read(root, &store, err) < 0)
		return -1;
	json_t *layers = json_object_get(json_object_get(json_object_get(store, "images"), id), "Layers");
	if (json_array_size(layers) == 0) {
		err_msg(err, ENOENT, "image %.12s: no layers in the store", id);
		goto out;
	}
	if (json_array_size(layers) > MAX_LAYERS) {
		err_msg(err, E2BIG, "image %.12s: %zu layers, overlayfs stacks at most %d", id,
			json_array_size(layers), MAX_LAYERS);
		goto out;
	}
	/* The kernel takes a page of mount options, and a layer's path is 80 bytes or more: about 45
	 * layers fill it. Past that, each layer is opened and named by its descriptor instead,
	 * /proc/self/fd/N (about 17 bytes), which overlayfs follows when it mounts. */
	char upper[2 * PATH_MAX + 64];
	int up = snprintf(upper, sizeof(upper), ",upperdir=%s/upper,workdir=%s/work,volatile", container_dir,
			  container_dir);
	int len = lower_dirs(root, layers, false, opts, sizeof(opts), fds, &n_fds, err);
	if (len >= 0 && (size_t)len + (size_t)up >= sizeof(opts))
		len = lower_dirs(root, layers, true, opts, sizeof(opts), fds, &n_fds, err);
	if (len < 0)
		goto out;
	/* volatile: the container's writes go when it goes, so overlayfs need not flush them to
	 * disk when it is unmounted (a sync of the host's whole file system, milliseconds). */
	if ((size_t)len + (size_t)up >= sizeof(opts)) {
		err_msg(err, E2BIG, "image %.12s: too many layers for one overlay mount", id);
		goto out;
	}
	memcpy(opts + len, upper, (size_t)up + 1);
	/* mount -t overlay -o lowerdir=L3:L2:L1,upperdir=U,workdir=W overlay MERGED */
	snprintf(merged, sizeof(merged), "%s/merged", container_dir);
	if (mount("overlay", merged, "overlay", 0, opts) < 0) {
		err_sys(err, "mount overlay on %s", merged);
		goto out;
	}
	rc = 0;
out:
	while (n_fds > 0)
		close(fds[--n_fds]);
	json_decref(store);
	return rc;
	/* SOLUTION END: return lab_todo(err, 3, __func__); */
}

/* SOLUTION BEGIN */
/* The strings of JSON array arr, appended to v (room for them is the caller's). */
static size_t append_strings(char **v, size_t n, const json_t *arr)
{
	size_t i;
	json_t *s;
	json_array_foreach(arr, i, s) {
		if (json_is_string(s))
			v[n++] = (char *)json_string_value(s);
	}
	return n;
}

/* A NULL-terminated copy of the pointers (not the strings) that strv_free() can free: strv
 * of strdup'ed strings. */
static char **dup_strv(char **v, size_t n)
{
	char **out = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; out && i < n; i++) {
		if (!(out[i] = strdup(v[i]))) {
			strv_free(out);
			return NULL;
		}
	}
	return out;
}
/* SOLUTION END */

int img_command(const json_t *config, char *const user_args[], char ***out_argv, char ***out_env,
		const char **out_workdir, const char **out_user, err_t *err)
{
	/* SOLUTION BEGIN */
	const json_t *entrypoint = json_object_get(config, "Entrypoint");
	const json_t *cmd = json_object_get(config, "Cmd");
	size_t n_user = 0;
	while (user_args[n_user])
		n_user++;

	size_t room = json_array_size(entrypoint) + json_array_size(cmd) + n_user + 1;
	_cleanup_free_ char **argv = calloc(room, sizeof(char *));
	_cleanup_free_ char **env = calloc(json_array_size(json_object_get(config, "Env")) + 1, sizeof(char *));
	if (!argv || !env)
		return err_sys(err, "command");
	/* Entrypoint, then the user's arguments, or the image's Cmd when there are none. */
	size_t n = append_strings(argv, 0, entrypoint);
	if (n_user)
		for (size_t i = 0; i < n_user; i++)
			argv[n++] = user_args[i];
	else
		n = append_strings(argv, n, cmd);
	if (n == 0)
		return err_msg(err, EINVAL, "no command specified");
	size_t n_env = append_strings(env, 0, json_object_get(config, "Env"));

	*out_argv = dup_strv(argv, n);
	*out_env = dup_strv(env, n_env);
	if (!*out_argv || !*out_env) {
		strv_free(*out_argv);
		strv_free(*out_env);
		return err_sys(err, "command");
	}
	const char *workdir = json_str(config, "WorkingDir");
	*out_workdir = workdir && *workdir ? workdir : "/";
	*out_user = json_str(config, "User") ? json_str(config, "User") : "";
	return 0;
	/* SOLUTION END: return lab_todo(err, 3, __func__); */
}
