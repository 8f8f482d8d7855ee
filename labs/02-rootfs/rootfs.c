/*
 * rootfs.c - lab 2: a root file system of the container's own (see rootfs.h for the
 * contract, course.md chapter 2 for the ideas).
 *
 * Everything here runs in the container's first process, in its own mount namespace, whose
 * mounts lab 1 made private. That namespace is this design's safety net: the mounts below
 * exist only inside it, and when the process exits, or fails half-way and exits, the kernel
 * takes every one of them away. Nothing needs undoing by hand.
 *
 * The order matters. The new root is built while the host's tree is still visible (we need
 * the host's path to it); then pivot_root swaps the two roots and the old one is detached;
 * only then are paths masked, because "/proc/kcore" must mean the container's /proc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsutil.h"
#include "lab.h"
#include "path.h"
#include "rootfs.h"


int rootfs_prepare(const struct run_spec *spec, err_t *err)
{
	/* TODO(lab 2): write this (see course.md, chapter 2). */
	return lab_todo(err, 2, __func__);
}

int rootfs_pivot(const char *rootfs, err_t *err)
{
	/* TODO(lab 2): write this (see course.md, chapter 2). */
	return lab_todo(err, 2, __func__);
}

int rootfs_protect(const struct run_spec *spec, err_t *err)
{
	/* TODO(lab 2): write this (see course.md, chapter 2). */
	return lab_todo(err, 2, __func__);
}
