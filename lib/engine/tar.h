/*
 * tar.h - writing tar archives (given): the image layers of lab 11 and the archives of
 * `image save`.
 *
 * A tar archive is a run of 512-byte blocks: for each entry a header (its name, mode, owner,
 * size, time and kind, in octal text) then its data padded to a whole block; two zero blocks
 * end it. The POSIX "ustar" header holds a name of 100 bytes (plus a 155-byte prefix, not used
 * here) and sizes below 8 GiB; what does not fit goes in a "pax" extended header before it
 * (records "LEN KEY=VALUE\n"), as Docker's and Go's writers do. Everything written also goes
 * through sha256: an uncompressed layer's digest is its diff_id.
 */
#ifndef MINIDOCK_TAR_H
#define MINIDOCK_TAR_H

#include <limits.h>

#include "digest.h"
#include "err.h"
#include "sha256.h"

struct tar_out {
	int fd;            /* where the archive goes */
	struct sha256 sum; /* of every byte written */
};

/* One entry, as its header says it. */
struct tar_entry {
	char path[PATH_MAX + 16]; /* relative, no leading "/"; a directory's ends in "/" */
	char link[PATH_MAX];      /* a symbolic link's target */
	char type;                /* TAR_FILE, TAR_SYMLINK or TAR_DIR */
	unsigned mode;            /* the permission bits (07777) */
	unsigned long long uid, gid, size;
	long long mtime;          /* seconds since 1970 */
};
#define TAR_FILE '0'
#define TAR_SYMLINK '2'
#define TAR_DIR '5'

void tar_begin(struct tar_out *out, int fd);

/* Write e's header (a pax header first when needed) and, for a TAR_FILE of size > 0, the
 * data of the file dirfd/name (opened without following a link). EIO when the file's length is
 * no longer e->size. */
int tar_put(struct tar_out *out, const struct tar_entry *e, int dirfd, const char *name, err_t *err);

/* Write the end (two zero blocks); digest "sha256:HEX" of the whole archive into digest (or
 * NULL). */
int tar_end(struct tar_out *out, char digest[DIGEST_LEN + 1], err_t *err);

/* Write the regular files and directories under dir (sorted by name, owners 0, modes and times
 * as they are) as a whole archive on fd: how `image save` packs what it staged. */
int tar_tree(const char *dir, int fd, err_t *err);

#endif
