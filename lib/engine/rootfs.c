/*
 * rootfs.c - rootfs_enter(), and the lists of paths Docker hides or protects (see rootfs.h).
 */
#define _GNU_SOURCE
#include "cleanup.h"
#include "rootfs.h"
#include "volumes.h"

#include "image.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>


const char *const rootfs_masked_paths[] = {
	"/proc/acpi",         "/proc/asound",       "/proc/interrupts",  "/proc/kcore",
	"/proc/keys",         "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi",
	"/proc/timer_list",   "/proc/timer_stats",  "/sys/devices/virtual/powercap",
	"/sys/firmware",      NULL,
};

const char *const rootfs_readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* --privileged, as Docker: every device node of the host's /dev (its top level) in the
 * container's /dev too, made while the host's /dev is still in sight. */
static int copy_host_devices(const char *rootfs, err_t *err)
{
	DIR *dev = opendir("/dev");
	struct dirent *entry;
	struct stat st;
	char path[PATH_MAX];

	if (!dev)
		return err_sys(err, "--privileged: open /dev");
	while ((entry = readdir(dev))) {
		if (fstatat(dirfd(dev), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) || strcmp(entry->d_name, "console") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/dev/%s", rootfs, entry->d_name);
		if (mknod(path, st.st_mode, st.st_rdev) < 0 && errno != EEXIST) {
			err_sys(err, "--privileged: mknod %s", path);
			closedir(dev);
			return -1;
		}
	}
	closedir(dev);
	return 0;
}

int rootfs_enter(const struct run_spec *spec, err_t *err)
{
	bool privileged = spec->security && spec->security->privileged;

	/* An image's container: its overlay root first, in this mount namespace only (lab 3). */
	if (spec->image && img_mount(spec->root, spec->image, spec->container_dir, err) < 0)
		return -1;
	if (rootfs_prepare(spec, err) < 0) {
		if (err->code != ENOSYS || spec->readonly || spec->tmpfs[0] || spec->n_mounts)
			return -1; /* --read-only and --tmpfs need lab 2: keep its "not implemented" */
		/* Lab 2 is not written yet: do what lab 1 asks, a plain chroot. */
		log_debug("lab 2 not written yet: chroot %s", spec->rootfs);
		if (chroot(spec->rootfs) < 0)
			return err_sys(err, "chroot \"%s\"", spec->rootfs);
		if (chdir("/") < 0)
			return err_sys(err, "chdir /");
		return 0;
	}
	if (privileged && copy_host_devices(spec->rootfs, err) < 0)
		return -1;
	/* Lab 10: volumes, binds and tmpfs, shallower first, each target resolved in the root. */
	if (spec->n_mounts) {
		_cleanup_close_ int root_fd = open(spec->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root_fd < 0)
			return err_sys(err, "open %s", spec->rootfs);
		for (size_t i = 0; i < spec->n_mounts; i++)
			if (vol_mount(root_fd, &spec->mounts[i], err) < 0)
				return err_wrap(err, "mount on %s", spec->mounts[i].target);
	}
	if (rootfs_pivot(spec->rootfs, err) < 0)
		return -1;
	if (!privileged)
		return rootfs_protect(spec, err);
	/* --privileged: nothing masked, nothing read-only (but the root with --read-only), and a
	 * /sys the container may write to. */
	if (mount(NULL, "/sys", NULL, MS_REMOUNT | MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) < 0)
		return err_sys(err, "--privileged: remount /sys read-write");
	if (spec->readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return err_sys(err, "make the root read-only");
	return 0;
}
