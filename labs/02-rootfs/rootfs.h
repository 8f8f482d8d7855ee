/*
 * rootfs.h - lab 2, the container's root file system: the contract of labs/02-rootfs/rootfs.c.
 *
 * In lab 1 the container only chroot()ed into its directory. That hides the host's files from
 * path lookups, but the host's root is still the container's root mount, /proc is missing (or
 * the host's), and /dev is whatever the directory holds. Lab 2 gives the container a root of
 * its own, as Docker (runc, crun) does:
 *
 *	rootfs_prepare()  mount the container's file systems under spec->rootfs, still outside:
 *	                  the root itself (a bind mount), /proc, /sys, /dev and its devices
 *	rootfs_pivot()    make that root "/" with pivot_root(2) and detach the old root
 *	rootfs_protect()  hide (mask) and make read-only what the container must not touch
 *
 * All three run in the container's first process (lab 1's child), in its new mount and PID
 * namespaces, after its mounts were made private and before it executes the command.
 * rootfs_enter() (given, in lib/engine/rootfs.c) calls them in that order.
 */
#ifndef MINIDOCK_ROOTFS_H
#define MINIDOCK_ROOTFS_H

#include "err.h"
#include "process.h"

/* Docker's masked paths: a file gets /dev/null mounted over it, a directory an empty read-only
 * tmpfs; a path missing from this kernel is skipped. */
extern const char *const rootfs_masked_paths[];
/* Docker's read-only paths: bind-mounted over themselves, read-only. */
extern const char *const rootfs_readonly_paths[];

/*
 * Mount, under spec->rootfs (which stays where it is), what the container's root needs:
 *   - spec->rootfs bind-mounted onto itself (pivot_root needs the new root to be a mount point);
 *   - /proc: a new proc (nosuid, noexec, nodev), which shows the new PID namespace;
 *   - /sys: sysfs, read-only (nosuid, noexec, nodev);
 *   - /dev: a tmpfs (nosuid, strictatime, mode 755, 64 MiB) holding exactly the devices null
 *     (1:3), zero (1:5), full (1:7), random (1:8), urandom (1:9) and tty (5:0), mode 0666; the
 *     symlinks fd -> /proc/self/fd, stdin, stdout, stderr -> /proc/self/fd/0, 1, 2 and
 *     ptmx -> pts/ptmx; /dev/pts, a new devpts instance (newinstance, ptmxmode=0666, mode=0620,
 *     gid=5); /dev/shm, a tmpfs (mode 1777, 64 MiB, nosuid, noexec, nodev); /dev/mqueue
 *     (nosuid, noexec, nodev);
 *   - a tmpfs (mode 1777, nosuid, nodev, noexec, as Docker) on each path of spec->tmpfs.
 * Mount points missing from the image are made. Paths are resolved inside the root (path.h),
 * so an image's symlink cannot send a mount outside it.
 */
int rootfs_prepare(const struct run_spec *spec, err_t *err);

/*
 * Make rootfs (already a mount point) the root of this mount namespace with pivot_root(2),
 * then detach the old root, so that nothing of the host's file systems stays reachable, and
 * make "/" the working directory.
 */
int rootfs_pivot(const char *rootfs, err_t *err);

/*
 * After the pivot: mask rootfs_masked_paths, make rootfs_readonly_paths read-only, and when
 * spec->readonly is set, make the root itself read-only (its /proc, /dev, /sys and tmpfs
 * mounts keep their own flags).
 */
int rootfs_protect(const struct run_spec *spec, err_t *err);

/*
 * Given (lib/engine/rootfs.c): enter spec->rootfs with the three functions above, after mounting the
 * image's layers there when spec->image is set (img_mount(), lab 3). Until lab 2 is
 * written (rootfs_prepare() fails with ENOSYS) it falls back to lab 1's chroot, so that the
 * labs before it keep working.
 */
int rootfs_enter(const struct run_spec *spec, err_t *err);

#endif
