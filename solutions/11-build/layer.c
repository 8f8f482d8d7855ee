/*
 * layer.c - lab 11: a container's changes as a layer, and the config of the image that adds it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "lab.h"
#include "layer.h"
#include "tar.h"

/* SOLUTION BEGIN */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The entry of path with st's kind, owner, mode and (clamped) time. */
static void fill(struct tar_entry *e, const char *path, const struct stat *st, char type, long long epoch)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->path, sizeof(e->path), "%s", path);
	e->type = type;
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->mtime = st->st_mtim.tv_sec;
	if (epoch >= 0 && e->mtime > epoch)
		e->mtime = epoch;
}

/* An empty regular file path (a whiteout), with st's owner and time. */
static int put_marker(struct tar_out *out, const char *path, struct stat st, long long epoch, err_t *err)
{
	struct tar_entry e;
	st.st_mode = S_IFREG | 0644;
	fill(&e, path, &st, TAR_FILE, epoch);
	return tar_put(out, &e, -1, NULL, err);
}

/* Write directory dirfd (path prefix, "" at the top) and all below it. */
static int walk(struct tar_out *out, int dirfd, const char *prefix, long long epoch, err_t *err)
{
	struct dirent **names;
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", dirfd);
	int n = scandir(self, &names, NULL, by_name);
	if (n < 0)
		return err_sys(err, "layer: list %s", *prefix ? prefix : "/");
	int rc = 0;
	struct tar_entry e;
	for (int i = 0; i < n && rc == 0; i++) {
		const char *name = names[i]->d_name;
		char path[PATH_MAX];
		struct stat st;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s%s", prefix, name);
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = err_sys(err, "layer: %s", path);
		} else if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			/* overlayfs's whiteout: NAME was deleted, an empty .wh.NAME in the layer */
			char wh[PATH_MAX + 8];
			snprintf(wh, sizeof(wh), "%s.wh.%s", prefix, name);
			rc = put_marker(out, wh, st, epoch, err);
		} else if (S_ISREG(st.st_mode)) {
			fill(&e, path, &st, TAR_FILE, epoch);
			e.size = (unsigned long long)st.st_size;
			rc = tar_put(out, &e, dirfd, name, err);
		} else if (S_ISLNK(st.st_mode)) {
			fill(&e, path, &st, TAR_SYMLINK, epoch);
			ssize_t len = readlinkat(dirfd, name, e.link, sizeof(e.link) - 1);
			rc = len < 0 ? err_sys(err, "layer: readlink %s", path) : tar_put(out, &e, dirfd, name, err);
		} else if (S_ISDIR(st.st_mode)) {
			char dir_path[PATH_MAX + 1];
			snprintf(dir_path, sizeof(dir_path), "%s/", path);
			fill(&e, dir_path, &st, TAR_DIR, epoch);
			int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				rc = err_sys(err, "layer: open %s", path);
				break;
			}
			rc = tar_put(out, &e, dirfd, name, err);
			/* A directory the container replaced whole: nothing of the layers below shows through. */
			char opaque[2];
			if (rc == 0 && fgetxattr(sub, "trusted.overlay.opaque", opaque, sizeof(opaque)) == 1 &&
			    opaque[0] == 'y') {
				char opq[PATH_MAX + 16];
				snprintf(opq, sizeof(opq), "%s.wh..wh..opq", dir_path);
				rc = put_marker(out, opq, st, epoch, err);
			}
			if (rc == 0)
				rc = walk(out, sub, dir_path, epoch, err);
			close(sub);
		} else {
			rc = err_msg(err, EINVAL, "layer: %s is a socket, a pipe or a device: not something an image holds", path);
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}
/* SOLUTION END */

int layer_diff(const char *upper, int fd, long long epoch, char diff_id[DIGEST_LEN + 1], err_t *err)
{
	/* SOLUTION BEGIN */
	_cleanup_close_ int top = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return err_sys(err, "layer: open %s", upper);
	struct tar_out out;
	tar_begin(&out, fd);
	if (walk(&out, top, "", epoch, err) < 0)
		return -1;
	return tar_end(&out, diff_id, err);
	/* SOLUTION END: return lab_todo(err, 11, __func__); */
}

int img_child_config(const json_t *parent, const json_t *config, const char *diff_id, const char *created_by,
		     const char *created, json_t **out, err_t *err)
{
	/* SOLUTION BEGIN */
	json_t *child = parent ? json_deep_copy(parent)
			       : json_pack("{s:s, s:s, s:{s:s, s:[]}}", "architecture", "amd64", "os", "linux",
					   "rootfs", "type", "layers", "diff_ids");
	if (!child)
		return err_msg(err, ENOMEM, "image config");
	json_object_set_new(child, "config", json_deep_copy(config));
	json_object_set_new(child, "created", json_string(created));
	json_t *rootfs = json_object_get(child, "rootfs");
	json_t *diff_ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_object(rootfs) || !json_is_array(diff_ids)) {
		json_decref(child);
		return err_msg(err, EINVAL, "image config: no rootfs.diff_ids");
	}
	json_object_set_new(rootfs, "type", json_string("layers"));
	if (diff_id)
		json_array_append_new(diff_ids, json_string(diff_id));
	json_t *history = json_object_get(child, "history");
	if (!json_is_array(history))
		json_object_set_new(child, "history", history = json_array());
	json_t *entry = json_pack("{s:s, s:s}", "created", created, "created_by", created_by);
	if (!diff_id)
		json_object_set_new(entry, "empty_layer", json_true());
	json_array_append_new(history, entry);
	*out = child;
	return 0;
	/* SOLUTION END: return lab_todo(err, 11, __func__); */
}
