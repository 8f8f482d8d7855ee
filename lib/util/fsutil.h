/*
 * fsutil.h - files written whole or not at all, directories made with their parents.
 *
 * minidock's state is files, and a crash (or `kill -9`) can come at any instant. A file is
 * therefore never rewritten in place: fs_write_atomic() writes a temporary file beside it,
 * flushes it to disk, and renames it over the old one. rename(2) is atomic, so a reader sees
 * the old file or the new one, never half of one.
 */
#ifndef MINIDOCK_FSUTIL_H
#define MINIDOCK_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* Replace path with len bytes of data and the given mode, atomically (temp, fsync, rename,
 * fsync of the directory). On failure path is unchanged and no temporary file is left. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, err_t *err);

/* write(2) all len bytes of data to fd, going on after short writes and EINTR. 0, or -1 with
 * errno set. */
int fs_write_all(int fd, const void *data, size_t len);

/* Read the whole of path into a NUL-terminated buffer, at most max bytes (else EFBIG).
 * *out_data is malloc'd; *out_len (may be NULL) gets the length without the NUL. */
int fs_read_file(const char *path, size_t max, char **out_data, size_t *out_len, err_t *err);

/* mkdir -p: make path and its missing parents with mode; an existing directory is fine. */
int fs_mkdir_p(const char *path, mode_t mode, err_t *err);

/* rm -rf: remove path and everything below it, without following symlinks or crossing into
 * other mounts. A missing path is fine. */
int fs_remove_tree(const char *path, err_t *err);

#endif
