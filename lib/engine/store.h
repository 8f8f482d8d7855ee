/*
 * store.h - the image store (given: store.c); lab 3's contract is labs/03-images/image.h.
 *
 * An image is a stack of layers (tar files of changes) and a config (JSON: the command, the
 * environment, the working directory, the list of layers by digest). minidock keeps them in a
 * content-addressed store under the state directory ROOT:
 *
 *	ROOT/images.json             every image: its tags and its layers (store.c keeps it)
 *	ROOT/blobs/sha256/HEX        each image's config, named by its sha256: the image id; and
 *	                             each layer's tar, named by its diff id (store_blob_tar())
 *	ROOT/layers/HEX/             each layer unpacked once, named by its diff id (the sha256
 *	                             of its uncompressed tar), shared by every image that has it
 *	ROOT/containers/ID/          a running container's own upper and work directories
 *	ROOT/tmp/                    loads in progress (same file system: moved in by rename)
 *
 * A container's root is an overlayfs: the image's layer directories as lower layers (read
 * only, shared), the container's upper directory on top (its own writes). Nothing a container
 * writes reaches the image or another container.
 */
#ifndef MINIDOCK_STORE_H
#define MINIDOCK_STORE_H

#include <jansson.h>
#include <stddef.h>

#include "digest.h"
#include "err.h"

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

/*
 * Write the uncompressed tar of layer blob (the file as an image carries it: a tar, or a tar
 * compressed with gzip or zstd) on fd, checking that it hashes to diff_id (EIO otherwise). The
 * store keeps each layer's tar as ROOT/blobs/sha256/DIFFHEX beside its directory: `image save`
 * and `push` (labs 11 and 12) send those bytes, so that an image keeps its id wherever it goes.
 */
int store_blob_tar(const char *blob, const char *diff_id, int fd, err_t *err);

/* Image ref as `docker image inspect` shows it (Id, RepoTags, RepoDigests, Created,
 * Architecture, Os, Config, RootFS), into *out, a new object. */
int img_inspect(const char *root, const json_t *store, const char *ref, json_t **out, err_t *err);

/* Read the config of image id from the store (its blob, checked against its digest). */
int img_read_config(const char *root, const char *id, json_t **out, err_t *err);

#endif
