/*
 * volumes.h - lab 10, volumes: the contract of labs/10-volumes/volumes.c.
 *
 * A container's own files live and die with it (lab 3's upper directory). What must outlive
 * it, or be shared, is mounted into its root from elsewhere on the host (course.md, chapter 10):
 *
 *	volume   a directory minidock keeps, ROOT/volumes/NAME/_data    -v NAME:/data
 *	bind     a host path the user names                             -v /srv/site:/site:ro
 *	tmpfs    memory, gone with the container                        --mount type=tmpfs,dst=/run
 *
 * Given (lib/engine/volume.c): the store of volumes (volume create, ls, inspect, rm, prune,
 * which containers use one), the flags that describe mounts (-v, --mount, --volumes-from, the
 * image's VOLUME) and the container's Mounts. The container's first process, once lab 2 mounted
 * /proc, /sys and /dev in its root and before it pivots into it, calls vol_mount() for each of
 * its mounts, in order (lib/engine/rootfs.c).
 *
 * The danger is the target. "/data" is looked up inside the container's root, which an image,
 * or a container sharing a volume, controls: a directory on the way may be a symbolic link to
 * "/", or become one between the moment it is checked and the moment it is mounted on (the race
 * Docker fixed in 2019, CVE-2018-15664). So the target is resolved by the kernel inside the root
 * (openat2() with RESOLVE_IN_ROOT), held as a descriptor, and mounted on through that descriptor
 * (the new mount API: open_tree(), fsmount(), move_mount()); its path is never looked up again.
 */
#ifndef MINIDOCK_VOLUMES_H
#define MINIDOCK_VOLUMES_H

#include <stdbool.h>

#include "err.h"

enum vol_type { VOL_VOLUME, VOL_BIND, VOL_TMPFS };

/* One mount of a container (volume.h's vol_mounts_of() makes them from its Mounts). */
struct vol_mount {
	enum vol_type type;
	const char *source;        /* host path: a volume's _data, a bind's source; NULL for tmpfs */
	const char *target;        /* where inside the container: absolute and clean */
	bool readonly;             /* :ro, readonly */
	bool copy_up;              /* a volume that may receive the image's files (no volume-nocopy) */
	const char *tmpfs_options; /* tmpfs: "size=64m,mode=1777"-like, or NULL */
};

/*
 * Open target inside the directory root_fd as the container will see it: ".." stops at the
 * root and a symbolic link, absolute or not, is followed inside it (openat2(2) with
 * RESOLVE_IN_ROOT). A missing component is made, mode 0755, and the walk goes on from it: a
 * directory, or for the last one with dir false an empty file (a file bound on a file). Gives an
 * O_PATH descriptor (close-on-exec) of what it found in *out_fd. Never a host path outside
 * root_fd, whatever the tree holds or becomes meanwhile.
 */
int vol_open_target(int root_fd, const char *target, bool dir, int *out_fd, err_t *err);

/*
 * Docker's copy-up: when the directory source is empty and the directory target_fd (the
 * image's, where the volume goes) is not, copy target_fd's tree into source with owners, modes
 * and times (fs_copy_tree(), fsutil.h). Nothing otherwise: a volume with data keeps it.
 */
int vol_copy_up(int target_fd, const char *source, err_t *err);

/*
 * Mount m in the root root_fd: open its target (vol_open_target(): a directory, unless a bind's
 * source is a file), copy up into a volume when m->copy_up, then
 *   - volume and bind: a recursive copy of the source's mount tree (open_tree() with
 *     OPEN_TREE_CLONE | AT_RECURSIVE), made private (Docker's rprivate) and, with m->readonly,
 *     read-only (mount_setattr()) before it is attached;
 *   - tmpfs: a new tmpfs (fsopen(), fsconfig() with m->tmpfs_options, fsmount()) with nosuid,
 *     nodev and noexec, as Docker's;
 * attached on the target's descriptor (move_mount()). A read-only mount refuses every write.
 */
int vol_mount(int root_fd, const struct vol_mount *m, err_t *err);

#endif
