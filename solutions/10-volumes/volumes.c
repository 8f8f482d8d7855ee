/*
 * volumes.c - lab 10: mounting volumes, bind mounts and tmpfs into a container's root.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "lab.h"
#include "volumes.h"

/* SOLUTION BEGIN */
/* openat2(root_fd, path, O_PATH) resolved as if root_fd were "/". */
static int open_in_root(int root_fd, const char *path)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
}
/* SOLUTION END */

int vol_open_target(int root_fd, const char *target, bool dir, int *out_fd, err_t *err)
{
	/* SOLUTION BEGIN */
	char prefix[PATH_MAX];
	size_t len = strlen(target);

	if (len >= sizeof(prefix))
		return err_msg(err, ENAMETOOLONG, "mount point %s: too long", target);
	int fd = open_in_root(root_fd, target);
	if (fd < 0 && errno != ENOENT)
		return err_sys(err, "mount point %s", target);
	/* Missing: walk it, "/a", "/a/b", ..., making what is missing, each step resolved again from
	 * the root (the parent made one step ago may have been swapped meanwhile: no matter). */
	for (size_t end = 1; fd < 0 && end <= len; end++) {
		if (end < len && target[end] != '/')
			continue;
		memcpy(prefix, target, end);
		prefix[end] = '\0';
		fd = open_in_root(root_fd, prefix);
		if (fd >= 0) {
			if (end < len) {
				close(fd);
				fd = -1;
			}
			continue;
		}
		if (errno != ENOENT)
			return err_sys(err, "mount point %s", prefix);
		char *slash = strrchr(prefix, '/');
		*slash = '\0';
		_cleanup_close_ int parent = open_in_root(root_fd, *prefix ? prefix : "/");
		*slash = '/';
		if (parent < 0)
			return err_sys(err, "mount point %s", prefix);
		bool last = end == len;
		if (!last || dir) {
			if (mkdirat(parent, slash + 1, 0755) < 0 && errno != EEXIST)
				return err_sys(err, "make mount point %s", prefix);
		} else {
			int file = openat(parent, slash + 1, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (file < 0)
				return err_sys(err, "make mount point %s", prefix);
			close(file);
		}
		fd = open_in_root(root_fd, prefix);
		if (fd < 0)
			return err_sys(err, "mount point %s", prefix);
		if (!last) {
			close(fd);
			fd = -1;
		}
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return err_sys(err, "mount point %s", target);
	}
	if (dir != S_ISDIR(st.st_mode)) {
		close(fd);
		return err_msg(err, ENOTDIR, "mount point %s: %s", target,
			       dir ? "not a directory, and the source is one" : "a directory, and the source is a file");
	}
	*out_fd = fd;
	return 0;
	/* SOLUTION END: return lab_todo(err, 10, __func__); */
}

/* SOLUTION BEGIN */
/* Does directory fd hold anything? (-1 when it cannot be read) */
static int has_entries(int fd)
{
	int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = dup_fd < 0 ? NULL : fdopendir(dup_fd);
	struct dirent *e;
	int found = 0;

	if (!dir) {
		if (dup_fd >= 0)
			close(dup_fd);
		return -1;
	}
	while (!found && (e = readdir(dir)) != NULL)
		found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(dir);
	return found;
}
/* SOLUTION END */

int vol_copy_up(int target_fd, const char *source, err_t *err)
{
	/* SOLUTION BEGIN */
	_cleanup_close_ int to = open(source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int from = openat(target_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (to < 0 || from < 0)
		return err_sys(err, "copy up into %s", source);
	int full = has_entries(to), image_has = has_entries(from);
	if (full < 0 || image_has < 0)
		return err_sys(err, "copy up into %s", source);
	if (full || !image_has)
		return 0; /* a volume with data keeps it; nothing to copy from an empty directory */
	return fs_copy_tree(from, to, NULL, err);
	/* SOLUTION END: return lab_todo(err, 10, __func__); */
}

/* SOLUTION BEGIN */
/* A new tmpfs, options "k=v,k=v" (size, mode, uid, gid, nr_inodes) given to fsconfig(). */
static int new_tmpfs(const char *options, bool readonly, err_t *err)
{
	_cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	char opts[256];

	if (fs < 0)
		return err_sys(err, "fsopen tmpfs");
	/* mount -t tmpfs -o OPTIONS tmpfs TARGET: "tmpfs" is what /proc/mounts shows as its source. */
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "tmpfs", 0) < 0)
		return err_sys(err, "tmpfs source");
	snprintf(opts, sizeof(opts), "%s", options ? options : "");
	for (char *save = NULL, *opt = strtok_r(opts, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(opt, '=');
		if (eq)
			*eq = '\0';
		if (fsconfig(fs, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, opt, eq ? eq + 1 : NULL, 0) < 0)
			return err_sys(err, "tmpfs option %s", opt);
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return err_sys(err, "make a tmpfs");
	int mnt = fsmount(fs, FSMOUNT_CLOEXEC,
			  MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | (readonly ? MOUNT_ATTR_RDONLY : 0));
	return mnt < 0 ? err_sys(err, "fsmount tmpfs") : mnt;
}

/* A private copy of source's mount tree, not attached anywhere yet, read-only when asked. */
static int clone_tree(const char *source, bool readonly, err_t *err)
{
	int mnt = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (mnt < 0)
		return err_sys(err, "open_tree %s", source);
	struct mount_attr attr = { .attr_set = readonly ? MOUNT_ATTR_RDONLY : 0, .propagation = MS_PRIVATE };
	if (mount_setattr(mnt, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
		close(mnt);
		return err_sys(err, "make %s private%s", source, readonly ? " and read-only" : "");
	}
	return mnt;
}
/* SOLUTION END */

int vol_mount(int root_fd, const struct vol_mount *m, err_t *err)
{
	/* SOLUTION BEGIN */
	bool dir = true;
	struct stat st;

	if (m->type != VOL_TMPFS) {
		if (stat(m->source, &st) < 0)
			return err_sys(err, "source %s", m->source);
		dir = S_ISDIR(st.st_mode);
	}
	_cleanup_close_ int target = -1;
	if (vol_open_target(root_fd, m->target, dir, &target, err) < 0)
		return -1;
	if (m->type == VOL_VOLUME && m->copy_up && vol_copy_up(target, m->source, err) < 0)
		return -1;
	_cleanup_close_ int mnt = m->type == VOL_TMPFS ? new_tmpfs(m->tmpfs_options, m->readonly, err)
							: clone_tree(m->source, m->readonly, err);
	if (mnt < 0)
		return -1;
	/* Attached where target_fd is: the path is not looked up again. */
	if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return err_sys(err, "mount on %s", m->target);
	return 0;
	/* SOLUTION END: return lab_todo(err, 10, __func__); */
}
