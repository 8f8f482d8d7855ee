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
#include <stdint.h>
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

/* Ids a tree's owners move by (fs_copy_tree()): uid and gid added, both below count. */
struct fs_ids {
	uint32_t uid, gid, count;
};

/*
 * cp -a, without following a symbolic link: copy the tree of directory from into directory to
 * (it exists), files, directories, symbolic links, device nodes (overlayfs's whiteouts among
 * them) and fifos, a hard link as a hard link, with modes, times, owners (moved by ids when not
 * NULL: an owner beyond ids->count is EOVERFLOW) and a directory's trusted.overlay.opaque mark;
 * to itself gets from's owner, mode and times. Used by --userns-remap's shifted layers
 * (userns.c) and lab 10's copy-up.
 */
int fs_copy_tree(int from, int to, const struct fs_ids *ids, err_t *err);

#endif
