/*
 * lock.h - one lock around every change to minidock's state directory.
 *
 * Several minidock commands can run at once (`run -d` twenty times in a loop, `rm` while
 * `logs -f` follows). Each command that changes state takes an exclusive flock(2) on
 * ROOT/lock first. The kernel drops a flock when its file descriptor is closed, including
 * when the process dies, so a `kill -9` never leaves the state locked.
 */
#ifndef MINIDOCK_LOCK_H
#define MINIDOCK_LOCK_H

#include <sys/types.h>

#include "err.h"

/* Take the exclusive lock of the state directory root (created if missing) and return its
 * file descriptor in *out_fd; closing it releases the lock. Blocks while another holds it. */
int lock_state(const char *root, int *out_fd, err_t *err);

/* The same on any file path (made with mode if missing): a lock of its own, such as the
 * overlay networks' devices of a host (ov_net.c). */
int lock_path(const char *path, mode_t mode, int *out_fd, err_t *err);

#endif
