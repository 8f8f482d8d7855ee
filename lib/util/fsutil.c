/* fsutil.c - see fsutil.h. */
#define _GNU_SOURCE
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, err_t *err)
{
	char tmp[PATH_MAX];
	char dir[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return err_set(err, ENAMETOOLONG, "write %s", path);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "write %s: create temporary file", path);
	if (fchmod(fd, mode) < 0 || fs_write_all(fd, data, len) < 0 || fsync(fd) < 0 ||
	    rename(tmp, path) < 0) {
		err_sys(err, "write %s", path);
		unlink(tmp);
		return -1;
	}
	/* The rename is durable only once the directory holding it is flushed too. */
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	return 0;
}

int fs_read_file(const char *path, size_t max, char **out_data, size_t *out_len, err_t *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", path);

	size_t cap = 4096, len = 0;
	_cleanup_free_ char *buf = malloc(cap + 1);
	if (!buf)
		return err_sys(err, "read %s", path);
	for (;;) {
		if (len == cap) {
			if (cap >= max) {
				/* Full: fine if this is the end of the file, too big otherwise. */
				char extra;
				ssize_t more = read(fd, &extra, 1);
				if (more < 0)
					return err_sys(err, "read %s", path);
				if (more == 0)
					break;
				return err_set(err, EFBIG, "read %s: larger than %zu bytes", path, max);
			}
			cap = cap * 2 > max ? max : cap * 2;
			char *bigger = realloc(buf, cap + 1);
			if (!bigger)
				return err_sys(err, "read %s", path);
			buf = bigger;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, "read %s", path);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (out_len)
		*out_len = len;
	*out_data = take_ptr(&buf);
	return 0;
}

int fs_mkdir_p(const char *path, mode_t mode, err_t *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return err_set(err, ENAMETOOLONG, "mkdir %s", path);
	memcpy(buf, path, len + 1);
	/* The whole path first: most often its parent exists, and that is one call. Else back up,
	 * one component at a time, to the deepest prefix that exists ... */
	size_t made = len;
	while (mkdir(buf, mode) < 0) {
		if (errno == EEXIST)
			break;
		char *slash = strrchr(buf, '/');
		if (errno != ENOENT || !slash || slash == buf)
			return err_sys(err, "mkdir %s", buf);
		*slash = '\0';
		made = (size_t)(slash - buf);
	}
	/* ... and make each one below it in turn, putting back the slashes that were cut. */
	while (made < len) {
		buf[made] = '/';
		made += strlen(buf + made);
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return err_sys(err, "mkdir %s", buf);
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return err_sys(err, "mkdir %s", path);
	if (!S_ISDIR(st.st_mode))
		return err_set(err, ENOTDIR, "mkdir %s", path);
	return 0;
}

static int remove_at(int parent_fd, const char *name, dev_t dev, const char *path, err_t *err)
{
	struct stat st;

	if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_sys(err, "remove %s", path);
	if (S_ISDIR(st.st_mode)) {
		if (st.st_dev != dev)
			return err_set(err, EBUSY, "remove %s: a mount point", path);
		int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return err_sys(err, "remove %s", path);
		DIR *dir = fdopendir(fd);
		if (!dir) {
			close(fd);
			return err_sys(err, "remove %s", path);
		}
		struct dirent *de;
		int rc = 0;
		while (rc == 0 && (de = readdir(dir))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char child[PATH_MAX];
			snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
			rc = remove_at(dirfd(dir), de->d_name, dev, child, err);
		}
		closedir(dir);
		if (rc < 0)
			return -1;
		if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			return err_sys(err, "remove %s", path);
		return 0;
	}
	if (unlinkat(parent_fd, name, 0) < 0 && errno != ENOENT)
		return err_sys(err, "remove %s", path);
	return 0;
}

int fs_remove_tree(const char *path, err_t *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_sys(err, "remove %s", path);
	return remove_at(AT_FDCWD, path, st.st_dev, path, err);
}
