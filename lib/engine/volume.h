/*
 * volume.h - volumes and a container's mounts (given: volume.c), the frame of lab 10
 * (labs/10-volumes/volumes.h).
 *
 * A volume is a directory minidock keeps for data that outlives containers:
 *
 *	ROOT/volumes/NAME/volume.json   Name, Driver ("local"), CreatedAt, Labels, Options, Anonymous
 *	ROOT/volumes/NAME/_data         its files: what the container sees at its mount point
 *
 * The local driver's options are Docker's: none (a directory), type=tmpfs (a tmpfs of its own
 * in each container that mounts it), type=none,o=bind,device=/host/dir (that directory).
 * NAME is Docker's form, [a-zA-Z0-9][a-zA-Z0-9_.-]+, checked before it names a file.
 *
 * A container's mounts are its "Mounts", as `docker inspect` shows them: Type (volume, bind,
 * tmpfs), Name, Source, Destination, Driver, Mode, RW, Propagation; minidock adds NoCopy
 * (volume-nocopy) and TmpfsOptions. They are made at create from -v, --mount, --volumes-from and
 * the image's VOLUME (vol_mounts_make()), and a volume is in use from then on, even by a stopped
 * container, until the container is removed.
 */
#ifndef MINIDOCK_VOLUME_H
#define MINIDOCK_VOLUME_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define VOL_NAME_MAX 128

struct vol_mount;

/* Is name a volume name (Docker's [a-zA-Z0-9][a-zA-Z0-9_.-]+, at most VOL_NAME_MAX - 1)? */
bool vol_name_valid(const char *name);

/*
 * Make volume name (NULL: an anonymous volume, named with 64 random hex digits) with the local
 * driver's options opts and labels (objects of strings, or NULL); its name in out_name. A volume
 * of that name that exists is kept as it is (Docker's create is idempotent); *out_made says if
 * this call made it. Made aside and renamed into place: it exists whole or not at all.
 */
int vol_create(const char *root, const char *name, const json_t *opts, const json_t *labels, bool anonymous,
	       char out_name[VOL_NAME_MAX], bool *out_made, err_t *err);

/* Volume name's description, as `volume inspect` shows it (with Mountpoint), every field
 * type-checked. ENOENT "no such volume: NAME". */
int vol_load(const char *root, const char *name, json_t **out, err_t *err);

/* Every volume, by name (an array of vol_load()'s; damaged ones reported on stderr, skipped). */
int vol_list(const char *root, json_t **out, err_t *err);

/* Remove volume name, whoever uses it (ctr_volume_remove(), container.h, asks first). */
int vol_delete(const char *root, const char *name, err_t *err);

/* Was vol (vol_load()'s) made for one container (-v /path, VOLUME): Docker's anonymous label? */
bool vol_is_anonymous(const json_t *vol);

/*
 * The container's Mounts, from -v values (binds), --mount values (mounts), the Mounts of the
 * --volumes-from containers (inherited: an array, modes already set, or NULL) and the image's
 * Config.Volumes (image_volumes, an object or NULL): named volumes made when missing,
 * anonymous ones made, bind sources checked (made as a directory when -v names a missing one;
 * "/" and ROOT refused, unless privileged: --privileged asks for the host anyway), two mounts on
 * one destination refused. On failure, the volumes it made are removed again.
 */
int vol_mounts_make(const char *root, char *const *binds, char *const *mounts, const json_t *inherited,
		    const json_t *image_volumes, bool privileged, json_t **out, err_t *err);

/*
 * The mounts of a container for lab 10 (struct vol_mount, volumes.h), from its Mounts, each
 * checked again (a state file is not trusted: a volume's source is rebuilt from its name, never
 * read). A malloc'd array in *out (its strings point into doc), *out_n of them.
 */
int vol_mounts_of(const char *root, const json_t *doc, struct vol_mount **out, size_t *out_n, err_t *err);

#endif
