/* tar.c - see tar.h. */
#define _GNU_SOURCE
#include "tar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"

static int emit(struct tar_out *out, const void *buf, size_t len, err_t *err)
{
	if (fs_write_all(out->fd, buf, len) < 0)
		return err_sys(err, "tar: write");
	sha256_update(&out->sum, buf, len);
	return 0;
}

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
static void ustar(char h[512], const char *name, char type, const struct tar_entry *e, unsigned long long size,
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

/* Write e's headers: a pax one first when ustar cannot say it all (a path or link past 100
 * bytes, an owner or size too big for its octal field). */
static int put_header(struct tar_out *out, const struct tar_entry *e, err_t *err)
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
		if (emit(out, h, 512, err) < 0 || emit(out, pax, len, err) < 0 ||
		    (len % 512 && emit(out, block, 512 - len % 512, err) < 0))
			return -1;
	}
	ustar(h, e->path, e->type, e, e->size, e->link);
	return emit(out, h, 512, err);
}

void tar_begin(struct tar_out *out, int fd)
{
	out->fd = fd;
	sha256_init(&out->sum);
}

int tar_put(struct tar_out *out, const struct tar_entry *e, int dirfd, const char *name, err_t *err)
{
	if (put_header(out, e, err) < 0)
		return -1;
	if (e->type != TAR_FILE || e->size == 0)
		return 0;
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "tar: open %s", e->path);
	char buf[65536];
	unsigned long long left = e->size;
	while (left > 0) {
		ssize_t got = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (got <= 0) /* the file shrank while being read: the archive would lie */
			return got < 0 ? err_sys(err, "tar: read %s", e->path)
				       : err_msg(err, EIO, "tar: %s changed while being read", e->path);
		if (emit(out, buf, (size_t)got, err) < 0)
			return -1;
		left -= (unsigned long long)got;
	}
	char pad[512] = { 0 };
	return e->size % 512 ? emit(out, pad, 512 - e->size % 512, err) : 0;
}

int tar_end(struct tar_out *out, char digest[DIGEST_LEN + 1], err_t *err)
{
	char end[1024] = { 0 };
	if (emit(out, end, sizeof(end), err) < 0)
		return -1;
	if (digest)
		digest_final(&out->sum, digest);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int tree(struct tar_out *out, int dirfd, const char *prefix, err_t *err)
{
	struct dirent **names;
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", dirfd);
	int n = scandir(self, &names, NULL, by_name);
	if (n < 0)
		return err_sys(err, "tar: list %s", *prefix ? prefix : "/");
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		const char *name = names[i]->d_name;
		struct tar_entry e = { 0 };
		struct stat st;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = err_sys(err, "tar: %s%s", prefix, name);
			continue;
		}
		e.mode = st.st_mode & 07777;
		e.mtime = st.st_mtim.tv_sec;
		if (S_ISREG(st.st_mode)) {
			snprintf(e.path, sizeof(e.path), "%s%s", prefix, name);
			e.type = TAR_FILE;
			e.size = (unsigned long long)st.st_size;
			rc = tar_put(out, &e, dirfd, name, err);
		} else if (S_ISDIR(st.st_mode)) {
			snprintf(e.path, sizeof(e.path), "%s%s/", prefix, name);
			e.type = TAR_DIR;
			int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				rc = err_sys(err, "tar: open %s", e.path);
				continue;
			}
			rc = tar_put(out, &e, dirfd, name, err);
			if (rc == 0)
				rc = tree(out, sub, e.path, err);
			close(sub);
		} else {
			rc = err_msg(err, EINVAL, "tar: %s%s is neither a file nor a directory", prefix, name);
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int tar_tree(const char *dir, int fd, err_t *err)
{
	_cleanup_close_ int top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return err_sys(err, "tar: open %s", dir);
	struct tar_out out;
	tar_begin(&out, fd);
	return tree(&out, top, "", err) < 0 ? -1 : tar_end(&out, NULL, err);
}
