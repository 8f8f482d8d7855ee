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

/* SOLUTION BEGIN */
/* The devices the OCI runtime spec requires in every container's /dev. */
static const struct {
	const char *name;
	unsigned int major, minor;
} devices[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
	const char *name, *target;
} dev_links[] = {
	{ "fd", "/proc/self/fd" },     { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },
};

#define N(array) (sizeof(array) / sizeof((array)[0]))

/*
 * Mount fstype on path, a path inside rootfs resolved safely (an image may make /proc a
 * symlink to anywhere). The mount point is made when missing. The resolved host path is left
 * in out_target when it is not NULL.
 */
static int mount_inside(const char *rootfs, const char *path, const char *fstype, unsigned long flags,
			const char *data, char *out_target, err_t *err)
{
	char target[PATH_MAX];

	if (path_in_root(rootfs, path, target, sizeof(target), err) < 0)
		return -1;
	if (fs_mkdir_p(target, 0755, err) < 0)
		return err_wrap(err, "mount point %s", path);
	if (mount(fstype, target, fstype, flags, data) < 0)
		return err_sys(err, "mount %s on %s", fstype, path);
	if (out_target)
		snprintf(out_target, PATH_MAX, "%s", target);
	return 0;
}

/* /dev: a small tmpfs with the standard devices, links and the pts, shm, mqueue mounts. */
static int make_dev(const char *rootfs, err_t *err)
{
	char dev[PATH_MAX], path[PATH_MAX + 32];

	/* mount -t tmpfs -o nosuid,strictatime,mode=755,size=65536k tmpfs ROOTFS/dev */
	if (mount_inside(rootfs, "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", dev,
			 err) < 0)
		return -1;
	for (size_t i = 0; i < N(devices); i++) {
		/* mknod -m 666 /dev/null c 1 3 (and chmod: mknod's mode passes through the umask) */
		snprintf(path, sizeof(path), "%s/%s", dev, devices[i].name);
		if (mknod(path, S_IFCHR | 0666, makedev(devices[i].major, devices[i].minor)) < 0 ||
		    chmod(path, 0666) < 0)
			return err_sys(err, "mknod /dev/%s", devices[i].name);
	}
	for (size_t i = 0; i < N(dev_links); i++) {
		/* ln -s /proc/self/fd /dev/fd */
		snprintf(path, sizeof(path), "%s/%s", dev, dev_links[i].name);
		if (symlink(dev_links[i].target, path) < 0)
			return err_sys(err, "symlink /dev/%s", dev_links[i].name);
	}
	/* mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts:
	 * a new instance, so the container's terminals are its own. */
	if (mount_inside(rootfs, "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
			 "newinstance,ptmxmode=0666,mode=0620,gid=5", NULL, err) < 0)
		return -1;
	/* mount -t tmpfs -o nosuid,noexec,nodev,mode=1777,size=65536k shm /dev/shm */
	if (mount_inside(rootfs, "/dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k",
			 NULL, err) < 0)
		return -1;
	/* mount -t mqueue -o nosuid,noexec,nodev mqueue /dev/mqueue: the IPC namespace's queues */
	return mount_inside(rootfs, "/dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL, NULL, err);
}
/* SOLUTION END */

int rootfs_prepare(const struct run_spec *spec, err_t *err)
{
	/* SOLUTION BEGIN */
	const char *rootfs = spec->rootfs;

	/* mount --rbind ROOTFS ROOTFS: pivot_root needs the new root to be a mount point. */
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_sys(err, "bind-mount %s onto itself", rootfs);
	/* mount -t proc -o nosuid,noexec,nodev proc ROOTFS/proc: mounted from inside the new PID
	 * namespace, it lists only the container's processes. */
	if (mount_inside(rootfs, "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL, NULL, err) < 0)
		return -1;
	/* mount -t sysfs -o ro,nosuid,noexec,nodev sysfs ROOTFS/sys */
	if (mount_inside(rootfs, "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL, NULL,
			 err) < 0)
		return -1;
	if (make_dev(rootfs, err) < 0)
		return -1;
	for (char **dir = spec->tmpfs; *dir; dir++) {
		/* mount -t tmpfs -o nosuid,nodev,noexec,mode=1777 tmpfs ROOTFS/DIR (--tmpfs DIR), as
		 * Docker: scratch space for data, not for programs. */
		if (mount_inside(rootfs, *dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777", NULL, err) < 0)
			return err_wrap(err, "--tmpfs");
	}
	return 0;
	/* SOLUTION END: return lab_todo(err, 2, __func__); */
}

int rootfs_pivot(const char *rootfs, err_t *err)
{
	/* SOLUTION BEGIN */
	/* cd ROOTFS; pivot_root . . : with both arguments ".", the old root ends up mounted on top
	 * of the new one, at "/", where we can detach it without a directory to put it in. */
	if (chdir(rootfs) < 0)
		return err_sys(err, "chdir %s", rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return err_sys(err, "pivot_root %s", rootfs);
	/* mount --make-rslave . : our unmount must not travel to any mount the old root shares. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return err_sys(err, "make the old root a slave");
	/* umount -l . : detach the old root (and the host's whole tree with it). */
	if (umount2(".", MNT_DETACH) < 0)
		return err_sys(err, "detach the old root");
	if (chdir("/") < 0)
		return err_sys(err, "chdir /");
	return 0;
	/* SOLUTION END: return lab_todo(err, 2, __func__); */
}

int rootfs_protect(const struct run_spec *spec, err_t *err)
{
	/* SOLUTION BEGIN */
	struct stat st;

	for (const char *const *p = rootfs_masked_paths; *p; p++) {
		if (stat(*p, &st) < 0) {
			if (errno == ENOENT)
				continue; /* this kernel has no such file: nothing to hide */
			return err_sys(err, "mask %s", *p);
		}
		if (S_ISDIR(st.st_mode)) {
			/* mount -t tmpfs -o ro,nr_inodes=1 tmpfs DIR: an empty directory in its place */
			if (mount("tmpfs", *p, "tmpfs", MS_RDONLY, "nr_inodes=1") < 0)
				return err_sys(err, "mask %s", *p);
		} else if (mount("/dev/null", *p, NULL, MS_BIND, NULL) < 0) {
			/* mount --bind /dev/null FILE: reads give nothing, writes go nowhere */
			return err_sys(err, "mask %s", *p);
		}
	}
	for (const char *const *p = rootfs_readonly_paths; *p; p++) {
		if (stat(*p, &st) < 0) {
			if (errno == ENOENT)
				continue;
			return err_sys(err, "make %s read-only", *p);
		}
		/* mount --bind P P; mount -o remount,bind,ro P: a read-only view of P */
		if (mount(*p, *p, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, *p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0)
			return err_sys(err, "make %s read-only", *p);
	}
	/* mount -o remount,bind,ro / (--read-only): the mounts on top keep their own flags. */
	if (spec->readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return err_sys(err, "make the root read-only");
	return 0;
	/* SOLUTION END: return lab_todo(err, 2, __func__); */
}
