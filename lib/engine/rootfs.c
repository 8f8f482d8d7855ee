/*
 * rootfs.c - rootfs_enter(), and the lists of paths Docker hides or protects (see rootfs.h).
 */
#define _GNU_SOURCE
#include "rootfs.h"

#include "image.h"
#include "log.h"

#include <errno.h>
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

int rootfs_enter(const struct run_spec *spec, err_t *err)
{
	/* An image's container: its overlay root first, in this mount namespace only (lab 3). */
	if (spec->image && img_mount(spec->root, spec->image, spec->container_dir, err) < 0)
		return -1;
	if (rootfs_prepare(spec, err) < 0) {
		if (err->code != ENOSYS || spec->readonly || spec->tmpfs[0])
			return -1; /* --read-only and --tmpfs need lab 2: keep its "not implemented" */
		/* Lab 2 is not written yet: do what lab 1 asks, a plain chroot. */
		log_debug("lab 2 not written yet: chroot %s", spec->rootfs);
		if (chroot(spec->rootfs) < 0)
			return err_sys(err, "chroot \"%s\"", spec->rootfs);
		if (chdir("/") < 0)
			return err_sys(err, "chdir /");
		return 0;
	}
	if (rootfs_pivot(spec->rootfs, err) < 0)
		return -1;
	return rootfs_protect(spec, err);
}
