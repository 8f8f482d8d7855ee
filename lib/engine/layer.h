/*
 * layer.h - a container's changes as an image layer (lab 11's `build` and `commit`).
 *
 * A container's writable layer is overlayfs's upper directory: the files it made or changed,
 * a character device 0/0 for each file it deleted (a whiteout), and the attribute
 * trusted.overlay.opaque=y on a directory it replaced whole. An image layer says the same in a
 * tar archive, as the OCI image spec writes it: the files, an empty ".wh.NAME" for each
 * deleted NAME, and ".wh..wh..opq" inside an opaque directory.
 */
#ifndef MINIDOCK_LAYER_H
#define MINIDOCK_LAYER_H

#include "digest.h"
#include "err.h"

/*
 * Write upper directory upper as an uncompressed tar layer on fd, and its digest (the layer's
 * diff_id) into diff_id. The same files give the same bytes: entries sorted by name, owners
 * as numbers with no names, no access or change times, and (epoch >= 0, Docker's
 * SOURCE_DATE_EPOCH rule) modification times after epoch set to epoch. Symbolic links are
 * written as links, never followed; sockets and other devices are refused (EINVAL).
 */
int layer_diff(const char *upper, int fd, long long epoch, char diff_id[DIGEST_LEN + 1], err_t *err);

#endif
