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
#include <sys/xattr.h>
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

/* --- copying a tree ------------------------------------------------------------------------------ */

/* A regular file seen more than once (a hard link): where its first copy is, from the layer's
 * root. */
struct seen {
	dev_t dev;
	ino_t ino;
	char path[PATH_MAX];
};

struct copy {
	const struct fs_ids *ids;   /* NULL: owners kept */
	int to_root;        /* the copy's root directory */
	struct seen *seen;  /* hard links met so far */
	size_t n_seen, room;
	char path[PATH_MAX]; /* the entry being copied, from the layer's root (for messages) */
};

/* The owner st's copy gets. */
static int shifted(const struct copy *s, const struct stat *st, uid_t *uid, gid_t *gid, err_t *err)
{
	*uid = st->st_uid;
	*gid = st->st_gid;
	if (!s->ids)
		return 0;
	if (st->st_uid >= s->ids->count || st->st_gid >= s->ids->count)
		return err_msg(err, EOVERFLOW, "%s: owner %u:%u is beyond the %u ids of the range", s->path[0] ? s->path : "/",
			       (unsigned)st->st_uid, (unsigned)st->st_gid, (unsigned)s->ids->count);
	*uid += s->ids->uid;
	*gid += s->ids->gid;
	return 0;
}

/* Copy regular file name of from (size bytes) to a new file in to. */
static int copy_data(int from, int to, const char *name, const struct stat *st, err_t *err)
{
	_cleanup_close_ int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (in < 0 || out < 0)
		return err_sys(err, "copy %s", name);
	for (off_t left = st->st_size; left > 0;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
		if (n <= 0) {
			char buf[65536];
			n = read(in, buf, sizeof(buf));
			if (n <= 0 || fs_write_all(out, buf, (size_t)n) < 0)
				return err_sys(err, "copy %s", name);
		}
		left -= n;
	}
	return 0;
}

static int copy_dir(struct copy *s, int from, int to, err_t *err);

/* Copy entry name of directory from into to, owners shifted. */
static int copy_entry(struct copy *s, int from, int to, const char *name, err_t *err)
{
	struct stat st;
	uid_t uid;
	gid_t gid;

	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "%s", s->path);
	if (shifted(s, &st, &uid, &gid, err) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(to, name, 0700) < 0)
			return err_sys(err, "mkdir %s", s->path);
		_cleanup_close_ int sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub_from < 0 || sub_to < 0)
			return err_sys(err, "open %s", s->path);
		return copy_dir(s, sub_from, sub_to, err);
	}
	if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
		for (size_t i = 0; i < s->n_seen; i++)
			if (s->seen[i].dev == st.st_dev && s->seen[i].ino == st.st_ino)
				return linkat(s->to_root, s->seen[i].path, to, name, 0) < 0 ? err_sys(err, "link %s", s->path) : 0;
		if (s->n_seen == s->room) {
			size_t room = s->room ? 2 * s->room : 16;
			struct seen *more = realloc(s->seen, room * sizeof(*more));
			if (!more)
				return err_msg(err, ENOMEM, "out of memory");
			s->seen = more;
			s->room = room;
		}
		s->seen[s->n_seen] = (struct seen){ .dev = st.st_dev, .ino = st.st_ino };
		snprintf(s->seen[s->n_seen++].path, PATH_MAX, "%s", s->path + 1); /* relative to to_root */
	}
	if (S_ISREG(st.st_mode)) {
		if (copy_data(from, to, name, &st, err) < 0)
			return -1;
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);
		if (n < 0)
			return err_sys(err, "readlink %s", s->path);
		target[n] = '\0';
		if (symlinkat(target, to, name) < 0)
			return err_sys(err, "symlink %s", s->path);
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
		/* Among them, overlayfs's whiteouts: character devices 0:0. */
		if (mknodat(to, name, st.st_mode & S_IFMT, st.st_rdev) < 0)
			return err_sys(err, "mknod %s", s->path);
	} else {
		return 0; /* a socket: nothing to copy */
	}
	/* Owner before mode: chown clears the set-user-ID bit. A symbolic link has no mode. */
	struct timespec times[2] = { st.st_atim, st.st_mtim };
	if (fchownat(to, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (!S_ISLNK(st.st_mode) && fchmodat(to, name, st.st_mode & 07777, 0) < 0) ||
	    utimensat(to, name, times, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "set the owner, mode and times of %s", s->path);
	return 0;
}

/* Copy the entries of from into to, then to's own owner, mode, opaque mark and times. */
static int copy_dir(struct copy *s, int from, int to, err_t *err)
{
	struct stat st;
	uid_t uid;
	gid_t gid;
	size_t len = strlen(s->path);
	int dup_fd = dup(from);
	DIR *dir = dup_fd < 0 ? NULL : fdopendir(dup_fd);
	struct dirent *e;
	int rc = 0;

	if (!dir) {
		if (dup_fd >= 0)
			close(dup_fd);
		return err_sys(err, "open %s", s->path);
	}
	while (rc == 0 && (e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(s->path + len, sizeof(s->path) - len, "/%s", e->d_name) >= (int)(sizeof(s->path) - len))
			rc = err_msg(err, ENAMETOOLONG, "%s: path too long", s->path);
		else
			rc = copy_entry(s, from, to, e->d_name, err);
		s->path[len] = '\0';
	}
	closedir(dir);
	if (rc < 0)
		return -1;
	if (fstat(from, &st) < 0)
		return err_sys(err, "%s", s->path);
	if (shifted(s, &st, &uid, &gid, err) < 0)
		return -1;
	/* A directory that hides the layers below it (lab 3's trusted.overlay.opaque). */
	char opaque[4];
	ssize_t n = fgetxattr(from, "trusted.overlay.opaque", opaque, sizeof(opaque));
	struct timespec times[2] = { st.st_atim, st.st_mtim };
	if (fchown(to, uid, gid) < 0 || fchmod(to, st.st_mode & 07777) < 0 ||
	    (n > 0 && fsetxattr(to, "trusted.overlay.opaque", opaque, (size_t)n, 0) < 0) || futimens(to, times) < 0)
		return err_sys(err, "set the owner, mode and times of %s", s->path[0] ? s->path : "/");
	return 0;
}

int fs_copy_tree(int from, int to, const struct fs_ids *ids, err_t *err)
{
	struct copy s = { .ids = ids, .to_root = to };
	int rc = copy_dir(&s, from, to, err);
	free(s.seen);
	return rc;
}
