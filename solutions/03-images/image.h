/*
 * image.h - lab 3's contract: load images into the store, unpack their layers, mount a
 * container's root from them, and say what a container of one runs.
 *
 * The store these functions fill and read (its layout on disk, and the functions given to
 * read and write it) is lib/engine/store.h.
 */
#ifndef MINIDOCK_IMAGE_H
#define MINIDOCK_IMAGE_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

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
 * input leaves the store exactly as it was. Each new layer is kept twice: unpacked
 * (ROOT/layers/HEX) and as its uncompressed tar (ROOT/blobs/sha256/HEX, store_blob_tar()), the
 * bytes `image save` and `push` send again (labs 11, 12). Appends the loaded names
 * ("busybox:latest", or the id for an image without a name) to *out_loaded (a JSON array).
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
