/*
 * path.h - joining a path inside a root directory, safely.
 *
 * A container's root is a directory on the host, full of symlinks the image chose:
 * `/etc/passwd -> /../../../../etc/shadow` is legal in a tar file. Opening
 * root + "/etc/passwd" from the host would follow that link out of the root. path_in_root()
 * resolves each component the way the kernel would *after* a chroot to root: `..` stops at
 * the root and an absolute symlink starts again at the root. What it returns is a host path
 * that stays inside root (as long as nobody changes the tree while it is used).
 */
#ifndef MINIDOCK_PATH_H
#define MINIDOCK_PATH_H

#include <stddef.h>

#include "err.h"

/*
 * Resolve unsafe (a path as seen inside the container, absolute or not) under root and write
 * root + the resolved path to out (size bytes). The last component need not exist; missing
 * components are kept as they are. Fails with ELOOP after 40 symlinks and ENAMETOOLONG when
 * out is too small.
 */
int path_in_root(const char *root, const char *unsafe, char *out, size_t size, err_t *err);

/* Lexically clean a path: collapse "//", drop "." and trailing "/", resolve ".." without
 * going above "/" (for absolute paths). Writes to out (size bytes). */
int path_clean(const char *path, char *out, size_t size, err_t *err);

#endif
