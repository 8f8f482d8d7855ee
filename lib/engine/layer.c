/* layer.c - see layer.h. */
#define _GNU_SOURCE
#include "layer.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "sha256.h"

/* The tar stream goes to the file and through the digest. */
struct sink {
	int fd;
	struct sha256 sum;
};

static int emit(struct sink *s, const void *buf, size_t len, err_t *err)
{
	if (fs_write_all(s->fd, buf, len) < 0)
		return err_sys(err, "layer: write");
	sha256_update(&s->sum, buf, len);
	return 0;
}

/* What one tar entry says. */
struct entry {
	char path[PATH_MAX + 2];
	char link[PATH_MAX];
	char type; /* '0' file, '2' symbolic link, '5' directory */
	unsigned mode;
	unsigned long long uid, gid, size;
	long long mtime;
};

/* n in octal, right-aligned in width-1 digits and a NUL; false when it does not fit. */
static bool octal(char *field, size_t width, unsigned long long n)
{
	char digits[32];
	int len = snprintf(digits, sizeof(digits), "%0*llo", (int)(width - 1), n);
	if ((size_t)len > width - 1)
		return false;
	memcpy(field, digits, width);
	return true;
}

/* A pax extended header record, "LEN KEY=VALUE\n", where LEN counts the whole record. */
static void pax_record(char *out, size_t size, const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3, len = body + 1;
	while (snprintf(NULL, 0, "%zu", len) + body != len)
		len++;
	snprintf(out + strlen(out), size - strlen(out), "%zu %s=%s\n", len, key, value);
}

/* One 512-byte ustar header (with its checksum) for name, type, size, ... */
static void ustar(char h[512], const char *name, char type, const struct entry *e, unsigned long long size,
		  const char *link)
{
	memset(h, 0, 512);
	memcpy(h, name, strnlen(name, 100));
	octal(h + 100, 8, e->mode & 07777);
	if (!octal(h + 108, 8, e->uid))
		octal(h + 108, 8, 0); /* said in the pax header */
	if (!octal(h + 116, 8, e->gid))
		octal(h + 116, 8, 0);
	if (!octal(h + 124, 12, size))
		octal(h + 124, 12, 0);
	octal(h + 136, 12, (unsigned long long)(e->mtime < 0 ? 0 : e->mtime));
	h[156] = type;
	memcpy(h + 157, link, strnlen(link, 100));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
}

/* Write entry e's headers: a pax one first when ustar cannot say it all (a path or link past
 * 100 bytes, an owner or size too big for its octal field). */
static int put_header(struct sink *s, const struct entry *e, err_t *err)
{
	char h[512], pax[3 * PATH_MAX] = "", number[32];
	char probe[12];
	if (strlen(e->path) > 100)
		pax_record(pax, sizeof(pax), "path", e->path);
	if (strlen(e->link) > 100)
		pax_record(pax, sizeof(pax), "linkpath", e->link);
	if (!octal(probe, 8, e->uid))
		snprintf(number, sizeof(number), "%llu", e->uid), pax_record(pax, sizeof(pax), "uid", number);
	if (!octal(probe, 8, e->gid))
		snprintf(number, sizeof(number), "%llu", e->gid), pax_record(pax, sizeof(pax), "gid", number);
	if (!octal(probe, 12, e->size))
		snprintf(number, sizeof(number), "%llu", e->size), pax_record(pax, sizeof(pax), "size", number);
	if (*pax) {
		size_t len = strlen(pax);
		char block[512] = { 0 };
		ustar(h, "././@PaxHeader", 'x', e, len, "");
		if (emit(s, h, 512, err) < 0 || emit(s, pax, len, err) < 0 ||
		    (len % 512 && emit(s, block, 512 - len % 512, err) < 0))
			return -1;
	}
	ustar(h, e->path, e->type, e, e->size, e->link);
	return emit(s, h, 512, err);
}

/* Write entry e, with a regular file's data read from dirfd/name. */
static int put(struct sink *s, const struct entry *e, int dirfd, const char *name, err_t *err)
{
	if (put_header(s, e, err) < 0)
		return -1;
	if (e->type != '0' || e->size == 0)
		return 0;
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "layer: open %s", e->path);
	char buf[65536];
	unsigned long long left = e->size;
	while (left > 0) {
		ssize_t got = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (got <= 0) /* the file shrank while being read: the layer would lie */
			return got < 0 ? err_sys(err, "layer: read %s", e->path)
				       : err_msg(err, EIO, "layer: %s changed while being read", e->path);
		if (emit(s, buf, (size_t)got, err) < 0)
			return -1;
		left -= (unsigned long long)got;
	}
	char pad[512] = { 0 };
	return e->size % 512 ? emit(s, pad, 512 - e->size % 512, err) : 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The entry of path with st's kind, owner, mode and (clamped) time. */
static void fill(struct entry *e, const char *path, const struct stat *st, char type, long long epoch)
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

/* Write directory dirfd (path prefix, "" at the top) and all below it. */
static int walk(struct sink *s, int dirfd, const char *prefix, long long epoch, err_t *err)
{
	struct dirent **names;
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", dirfd);
	int n = scandir(self, &names, NULL, by_name);
	if (n < 0)
		return err_sys(err, "layer: list %s", *prefix ? prefix : "/");
	int rc = 0;
	struct entry e;
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
			st.st_mode = 0644;
			fill(&e, wh, &st, '0', epoch);
			rc = put_header(s, &e, err);
		} else if (S_ISREG(st.st_mode)) {
			fill(&e, path, &st, '0', epoch);
			e.size = (unsigned long long)st.st_size;
			rc = put(s, &e, dirfd, name, err);
		} else if (S_ISLNK(st.st_mode)) {
			fill(&e, path, &st, '2', epoch);
			ssize_t len = readlinkat(dirfd, name, e.link, sizeof(e.link) - 1);
			rc = len < 0 ? err_sys(err, "layer: readlink %s", path) : put_header(s, &e, err);
		} else if (S_ISDIR(st.st_mode)) {
			char dir_path[PATH_MAX + 1];
			snprintf(dir_path, sizeof(dir_path), "%s/", path);
			fill(&e, dir_path, &st, '5', epoch);
			if ((rc = put_header(s, &e, err)) < 0)
				break;
			int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				rc = err_sys(err, "layer: open %s", path);
				break;
			}
			/* A directory the container replaced whole: nothing of the layers below shows through. */
			char opaque[2];
			if (fgetxattr(sub, "trusted.overlay.opaque", opaque, sizeof(opaque)) == 1 && opaque[0] == 'y') {
				char opq[PATH_MAX + 16];
				snprintf(opq, sizeof(opq), "%s.wh..wh..opq", dir_path);
				st.st_mode = 0644;
				fill(&e, opq, &st, '0', epoch);
				rc = put_header(s, &e, err);
			}
			if (rc == 0)
				rc = walk(s, sub, dir_path, epoch, err);
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

int layer_diff(const char *upper, int fd, long long epoch, char diff_id[DIGEST_LEN + 1], err_t *err)
{
	_cleanup_close_ int top = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return err_sys(err, "layer: open %s", upper);
	struct sink sink = { .fd = fd };
	sha256_init(&sink.sum);
	char end[1024] = { 0 }; /* two zero blocks end a tar archive */
	if (walk(&sink, top, "", epoch, err) < 0 || emit(&sink, end, sizeof(end), err) < 0)
		return -1;
	digest_final(&sink.sum, diff_id);
	return 0;
}
