/*
 * image.h - images: the store (given, lib/store.c) and lab 3's contract (labs/03-images).
 *
 * An image is a stack of layers (tar files of changes) and a config (JSON: the command, the
 * environment, the working directory, the list of layers by digest). minidock keeps them in a
 * content-addressed store under the state directory ROOT:
 *
 *	ROOT/images.json             every image: its tags and its layers (store.c keeps it)
 *	ROOT/blobs/sha256/HEX        each image's config, named by its sha256: the image id
 *	ROOT/layers/HEX/             each layer unpacked once, named by its diff id (the sha256
 *	                             of its uncompressed tar), shared by every image that has it
 *	ROOT/containers/ID/          a running container's own upper and work directories
 *	ROOT/tmp/                    loads in progress (same file system: moved in by rename)
 *
 * A container's root is an overlayfs: the image's layer directories as lower layers (read
 * only, shared), the container's upper directory on top (its own writes). Nothing a container
 * writes reaches the image or another container.
 */
#ifndef MINIDOCK_IMAGE_H
#define MINIDOCK_IMAGE_H

#include <jansson.h>
#include <stddef.h>

#include "digest.h"
#include "err.h"

/* --- the store (given: lib/store.c) ------------------------------------------------------- */

/*
 * A reference as Docker writes it, normalized: "busybox" -> name "busybox", tag "latest";
 * "docker.io/library/busybox:1.36" -> "busybox", "1.36"; "name@sha256:HEX" -> digest.
 * out_name and out_tag hold at least 256 bytes; out_digest at least 72 ("" when none).
 * An empty name, a bad tag or an upper-case name is EINVAL.
 */
int img_ref_parse(const char *ref, char *out_name, char *out_tag, char *out_digest, err_t *err);

/*
 * Read ROOT/images.json into *out (an empty store is {"images": {}, "damaged": {}}). Every
 * entry of "images" is checked first: its key 64 hex digits, RepoTags and RepoDigests arrays of
 * strings, Layers a non-empty array of "sha256:" + 64 hex digits. An entry that fails is moved
 * to "damaged" as {"Reason": WHY, "Entry": AS-IT-WAS}, where nothing uses it (image ls reports
 * it), so a damaged file can neither crash a command nor name a path outside the store.
 */
int store_read(const char *root, json_t **out, err_t *err);

/* Write it back atomically. The caller holds the state lock (lock.h). */
int store_write(const char *root, const json_t *store, err_t *err);

/*
 * Find the image a user means by ref: a tag ("busybox", "busybox:latest"), "name@sha256:HEX"
 * (the manifest digest it was loaded with), its id ("sha256:HEX") or a unique prefix of the
 * id's hex digits. Writes the id's 64 hex digits to out_id (65 bytes). ENOENT when none
 * matches ("No such image: REF"), EINVAL when a prefix matches several.
 */
int img_resolve(const json_t *store, const char *ref, char *out_id, err_t *err);

/*
 * The directory of layer diff_id in the store, ROOT/layers/HEX, into out. EINVAL unless
 * diff_id is exactly "sha256:" and 64 lowercase hex digits: the only way a layer's path is made.
 */
int store_layer_path(const char *root, const char *diff_id, char *out, size_t size, err_t *err);

/* Image ref as `docker image inspect` shows it (Id, RepoTags, RepoDigests, Created,
 * Architecture, Os, Config, RootFS), into *out, a new object. */
int img_inspect(const char *root, const json_t *store, const char *ref, json_t **out, err_t *err);

/* Read the config of image id from the store (its blob, checked against its digest). */
int img_read_config(const char *root, const char *id, json_t **out, err_t *err);

/* --- lab 3 (labs/03-images/images.c) -------------------------------------------------------- */

/*
 * Unpack one layer into dest (a new empty directory), checking it on the way:
 *   - blob: the layer as stored (tar, or tar compressed with gzip or zstd: detected);
 *   - blob_digest: "sha256:HEX" the blob's bytes must hash to, or NULL when the format gives
 *     none (a classic docker-save archive);
 *   - diff_id: "sha256:HEX" the uncompressed tar must hash to (from the image config).
 * Entries become files as in the tar, except whiteouts, which become what overlayfs reads:
 * ".wh.NAME" a 0:0 character device NAME, ".wh..wh..opq" the xattr trusted.overlay.opaque=y on
 * its directory. Refused, with EINVAL (or EPERM) and a message naming the entry: an absolute
 * path or one with "..", a path through a symlink, a hard link to outside, a device node, an
 * entry named ".wh." alone; an uncompressed size over max_bytes (EFBIG); a digest that does
 * not match, a truncated stream (EIO). On failure dest may hold part of the layer: the caller
 * removes it.
 */
int layer_unpack(const char *blob, const char *blob_digest, const char *diff_id, size_t max_bytes,
		 const char *dest, err_t *err);

/*
 * minidock image load -i PATH: load every image of PATH, an OCI image layout (directory or
 * tar) or a docker-save archive (the classic form, or Docker 25+'s OCI layout with
 * manifest.json), into the store of root. The caller holds the state lock. All or nothing:
 * everything is checked and unpacked under ROOT/tmp first and moved in at the end, so a bad
 * input leaves the store exactly as it was. Appends the loaded names ("busybox:latest", or the
 * id for an image without a name) to *out_loaded (a JSON array).
 */
int img_load(const char *root, const char *path, json_t *out_loaded, err_t *err);

/*
 * Mount the root of a container of image id: an overlayfs on container_dir/merged, with the
 * image's layers (ROOT/layers/HEX) as lower directories, top layer first, and
 * container_dir/upper and container_dir/work (made by the caller) for the container's writes.
 * Runs in the container's own mount namespace (from rootfs_enter()), so the host never sees it.
 */
int img_mount(const char *root, const char *id, const char *container_dir, err_t *err);

/*
 * What to run, from the image config (its "config" object) and the user's words, as Docker:
 *   - argv: Entrypoint followed by the user's args when given, else by Cmd; neither is an
 *     error ("no command specified");
 *   - env: the config's Env entries (to put before the user's -e);
 *   - workdir: WorkingDir, or "/" when empty; user: User, or "" (root).
 * The arrays are malloc'd, NULL-terminated (strv_free()); the strings point into config.
 */
int img_command(const json_t *config, char *const user_args[], char ***out_argv, char ***out_env,
		const char **out_workdir, const char **out_user, err_t *err);

#endif
