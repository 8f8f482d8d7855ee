/*
 * layer.h - lab 11's contract: a container's changes as an image layer, and the config of the
 * image that adds it.
 *
 * A container's writable layer is overlayfs's upper directory: the files it made or changed,
 * a character device 0/0 for each file it deleted (a whiteout), and the attribute
 * trusted.overlay.opaque=y on a directory it replaced whole. An image layer says the same in a
 * tar archive, as the OCI image spec writes it: the files, an empty ".wh.NAME" for each
 * deleted NAME, and ".wh..wh..opq" inside an opaque directory. The builder (lib/engine/build.c)
 * calls these two functions at every step of a Dockerfile, and `commit` once.
 */
#ifndef MINIDOCK_LAYER_H
#define MINIDOCK_LAYER_H

#include <jansson.h>

#include "digest.h"
#include "err.h"

/*
 * Write upper directory upper as an uncompressed tar layer on fd (with tar.h's writer), and
 * its digest (the layer's diff_id, "sha256:HEX") into diff_id. Each entry below upper:
 *	- a regular file, a directory (path ending in "/", its entries after it), a symbolic link
 *	  (written as a link, never followed): mode, numeric owner and modification time as they are;
 *	- a whiteout (character device 0/0) NAME: an empty regular file ".wh.NAME", mode 0644;
 *	- a directory with trusted.overlay.opaque "y": its entry, then an empty ".wh..wh..opq"
 *	  inside it, before its other entries;
 *	- anything else (a socket, a pipe, another device): refused, EINVAL naming the path.
 * Reproducible: entries in byte order of their names, directory by directory; when epoch >= 0
 * (Docker's SOURCE_DATE_EPOCH rule), a modification time after epoch is written as epoch.
 */
int layer_diff(const char *upper, int fd, long long epoch, char diff_id[DIGEST_LEN + 1], err_t *err);

/*
 * The config of the image one build step makes (the OCI image config: architecture, os,
 * config, rootfs, history, created), into *out (a new object):
 *	- parent: the config of the image so far, or NULL for FROM scratch (then architecture
 *	  "amd64", os "linux" and no layers); its other fields are kept;
 *	- config: the new "config" object (Env, Cmd, ...), copied;
 *	- diff_id: the layer the step made, appended to rootfs.diff_ids; NULL when it made none;
 *	- created_by: what the step was, for `history` ("/bin/sh -c #(nop)  ENV A=1");
 *	- created: the time, RFC 3339, both as "created" and in the new history entry.
 * history gets one entry more than the parent had: {created, created_by}, with
 * "empty_layer": true when diff_id is NULL, so that the layers and the history entries that
 * are not empty stay one to one. rootfs is {"type": "layers", "diff_ids": [...]}.
 */
int img_child_config(const json_t *parent, const json_t *config, const char *diff_id, const char *created_by,
		     const char *created, json_t **out, err_t *err);

#endif
