/*
 * path.c - see path.h.
 *
 * path_in_root() walks the unsafe path one component at a time, keeping two strings: `done`,
 * the part already resolved (a clean absolute path inside the root), and `todo`, what is left.
 * A symlink met on the way is read and its target is put in front of `todo`: an absolute
 * target restarts `done` at the root, a relative one continues from the link's directory.
 * `..` removes the last component of `done` and never goes above the root.
 */
#include "path.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SYMLINKS 40

/* Drop the last component of an absolute clean path ("/a/b" -> "/a", "/a" -> ""). */
static void drop_last(char *done)
{
	char *slash = strrchr(done, '/');
	if (slash)
		*slash = '\0';
}

int path_in_root(const char *root, const char *unsafe, char *out, size_t size, err_t *err)
{
	char done[PATH_MAX] = ""; /* "" is the root itself; otherwise "/a/b" */
	char todo[PATH_MAX];
	char full[PATH_MAX];
	int links = 0;

	if (snprintf(todo, sizeof(todo), "%s", unsafe) >= (int)sizeof(todo))
		return err_set(err, ENAMETOOLONG, "path %s", unsafe);

	while (todo[0] != '\0') {
		/* Split the first component off todo. */
		char *p = todo;
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		char comp[NAME_MAX + 1];
		if (n > NAME_MAX)
			return err_set(err, ENAMETOOLONG, "path %s", unsafe);
		memcpy(comp, p, n);
		comp[n] = '\0';
		memmove(todo, p + n, strlen(p + n) + 1);

		if (n == 0 || strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			drop_last(done);
			continue;
		}
		size_t dlen = strlen(done);
		if (dlen + 1 + n >= sizeof(done))
			return err_set(err, ENAMETOOLONG, "path %s", unsafe);
		done[dlen] = '/';
		memcpy(done + dlen + 1, comp, n + 1);

		if (snprintf(full, sizeof(full), "%s%s", root, done) >= (int)sizeof(full))
			return err_set(err, ENAMETOOLONG, "path %s", unsafe);
		struct stat st;
		if (lstat(full, &st) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue; /* keep the rest as written: nothing there to follow */
			return err_sys(err, "resolve %s in %s", unsafe, root);
		}
		if (!S_ISLNK(st.st_mode))
			continue;

		if (++links > MAX_SYMLINKS)
			return err_set(err, ELOOP, "resolve %s in %s", unsafe, root);
		char target[PATH_MAX];
		ssize_t len = readlink(full, target, sizeof(target) - 1);
		if (len < 0)
			return err_sys(err, "readlink %s", full);
		target[len] = '\0';
		/* todo = target + "/" + todo */
		char rest[PATH_MAX];
		if (snprintf(rest, sizeof(rest), "%s/%s", target, todo) >= (int)sizeof(rest))
			return err_set(err, ENAMETOOLONG, "path %s", unsafe);
		memcpy(todo, rest, sizeof(todo));
		drop_last(done); /* the link itself is replaced by its target */
		if (target[0] == '/')
			done[0] = '\0';
	}
	if (snprintf(out, size, "%s%s", root, done[0] ? done : "/") >= (int)size)
		return err_set(err, ENAMETOOLONG, "path %s", unsafe);
	return 0;
}

int path_clean(const char *path, char *out, size_t size, err_t *err)
{
	char buf[PATH_MAX];
	size_t len = 0;
	int absolute = path[0] == '/';
	const char *p = path;

	buf[0] = '\0';
	while (*p) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(buf, '/');
			const char *last = slash ? slash + 1 : buf;
			if (len > 0 && strcmp(last, "..") != 0) {
				len = slash ? (size_t)(slash - buf) : 0; /* pop the last component */
				buf[len] = '\0';
			} else if (!absolute) {
				if (len + 4 >= sizeof(buf)) /* a relative path keeps its leading ".." */
					return err_set(err, ENAMETOOLONG, "path %s", path);
				len += (size_t)sprintf(buf + len, "%s..", len ? "/" : "");
			} /* else: ".." of "/" is "/" */
		} else {
			if (len + n + 2 >= sizeof(buf))
				return err_set(err, ENAMETOOLONG, "path %s", path);
			if (len)
				buf[len++] = '/';
			memcpy(buf + len, p, n);
			len += n;
			buf[len] = '\0';
		}
		p += n;
	}
	int w;
	if (absolute)
		w = snprintf(out, size, "/%s", buf);
	else
		w = snprintf(out, size, "%s", len ? buf : ".");
	if (w >= (int)size)
		return err_set(err, ENAMETOOLONG, "path %s", path);
	return 0;
}
