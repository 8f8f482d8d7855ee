/*
 * cmd_cp.c - `minidock cp`: copy files between a container and the host, both ways.
 *
 *	minidock cp web:/etc/hosts ./hosts       from the container
 *	minidock cp ./site web:/var/www          into it
 *
 * The danger is the container's own symlinks: its /etc could be a link to "/etc", which from
 * the host is the host's /etc. So every path inside the container is resolved with openat2()
 * and RESOLVE_IN_ROOT, under a descriptor of the container's root: the kernel resolves ".."
 * and absolute links as if that directory were "/", and nothing resolves outside it. Below the
 * first directory, entries are opened one name at a time relative to their parent with
 * O_NOFOLLOW, and a symlink is copied as a symlink, never followed.
 *
 * The container's root is /proc/PID/root while it runs (its own mount namespace's view). A
 * stopped container's overlay is mounted here, in a mount namespace this process makes for
 * itself (unshare): the host never sees it, and it goes when minidock exits.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "container.h"
#include "fsutil.h"
#include "image.h"
#include "json.h"

static int cp_main(int argc, char **argv, const struct cli_ctx *ctx);

const struct command cmd_cp = {
	.name = "cp",
	.usage = "CONTAINER:SRC_PATH DEST_PATH\n        minidock cp SRC_PATH CONTAINER:DEST_PATH",
	.summary = "Copy files between a container and the host",
	.help = "A directory is copied with what it holds; SRC_PATH ending in /. copies only what it holds.\n"
		"Symlinks are copied as symlinks; inside the container, none is followed out of its root.\n",
	.run = cp_main,
};

/* Open path under root_fd as the container would see it (RESOLVE_IN_ROOT), with flags. */
static int open_in_root(int root_fd, const char *path, int flags, err_t *err)
{
	struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	if (fd < 0)
		return err_sys(err, "%s", path);
	return fd;
}

/* The container's root, opened. See the top of the file for the two cases. */
static int open_root(const struct container *c, int *out_fd, err_t *err)
{
	char path[PATH_MAX + 32];
	const char *image = json_str(c->doc, "Image");

	if (ctr_monitor_alive(c) && ctr_pid(c) > 0) {
		snprintf(path, sizeof(path), "/proc/%d/root", (int)ctr_pid(c));
	} else if (image && *image) {
		/* unshare -m; mount --make-rprivate /; then the overlay, seen only by this process. */
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			return err_sys(err, "a mount namespace to mount container %.12s's root in", c->id);
		/* As at start: a volatile overlay's work/work must go before it is mounted again. */
		snprintf(path, sizeof(path), "%s/work/work", c->dir);
		if (fs_remove_tree(path, err) < 0 || img_mount(c->root, image + strlen("sha256:"), c->dir, err) < 0)
			return err_wrap(err, "container %.12s's root", c->id);
		snprintf(path, sizeof(path), "%s/merged", c->dir);
	} else {
		snprintf(path, sizeof(path), "%s", json_str(c->doc, "Rootfs") ? json_str(c->doc, "Rootfs") : "");
	}
	*out_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return *out_fd < 0 ? err_sys(err, "container %.12s's root %s", c->id, path) : 0;
}

/* Copy the regular file name of src_dir to name in dst_dir, with its mode. */
static int copy_file(int src_dir, const char *src_name, int dst_dir, const char *dst_name, mode_t mode, err_t *err)
{
	_cleanup_close_ int in = openat(src_dir, src_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return err_sys(err, "open %s", src_name);
	_cleanup_close_ int out = openat(dst_dir, dst_name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0)
		return err_sys(err, "create %s", dst_name);
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, "read %s", src_name);
		if (n == 0)
			break;
		if (fs_write_all(out, buf, (size_t)n) < 0)
			return err_sys(err, "write %s", dst_name);
	}
	return fchmod(out, mode) < 0 ? err_sys(err, "chmod %s", dst_name) : 0;
}

static int copy_tree(int src_dir, const char *src_name, int dst_dir, const char *dst_name, int depth, err_t *err);

/* Copy what directory src (open) holds into directory dst (open). */
static int copy_children(int src, int dst, int depth, err_t *err)
{
	int dup_fd = fcntl(src, F_DUPFD_CLOEXEC, 3);
	DIR *dir = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *de;
	int rc = 0;

	if (!dir) {
		if (dup_fd >= 0)
			close(dup_fd);
		return err_sys(err, "read directory");
	}
	while (rc == 0 && (de = readdir(dir)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			rc = copy_tree(src, de->d_name, dst, de->d_name, depth + 1, err);
	closedir(dir);
	return rc;
}

/* Copy entry src_name of src_dir to dst_name in dst_dir: a file, a directory with what it
 * holds, or a symlink as a symlink. Devices, sockets and fifos are left out. */
static int copy_tree(int src_dir, const char *src_name, int dst_dir, const char *dst_name, int depth, err_t *err)
{
	struct stat st;

	if (depth > 256)
		return err_msg(err, ELOOP, "%s: nested too deep", src_name);
	if (fstatat(src_dir, src_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "%s", src_name);
	if (S_ISREG(st.st_mode))
		return copy_file(src_dir, src_name, dst_dir, dst_name, st.st_mode & 07777, err);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(src_dir, src_name, target, sizeof(target) - 1);
		if (n < 0)
			return err_sys(err, "readlink %s", src_name);
		target[n] = '\0';
		unlinkat(dst_dir, dst_name, 0);
		return symlinkat(target, dst_dir, dst_name) < 0 ? err_sys(err, "symlink %s", dst_name) : 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (mkdirat(dst_dir, dst_name, st.st_mode & 07777) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", dst_name);
	_cleanup_close_ int src = openat(src_dir, src_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int dst = openat(dst_dir, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0 || dst < 0)
		return err_sys(err, "open directory %s", src < 0 ? src_name : dst_name);
	if (copy_children(src, dst, depth, err) < 0)
		return -1;
	return fchmod(dst, st.st_mode & 07777) < 0 ? err_sys(err, "chmod %s", dst_name) : 0;
}

/* One side of a copy: a path on the host (root_fd -1) or under a container's root. */
struct side {
	int root_fd;
	const char *path;
};

/* Open the directory that holds side's last component, and that component's name, into
 * *out_dir and out_name ("." when the path ends in "/." or is "/": its contents). */
static int open_parent(const struct side *s, int *out_dir, char *out_name, err_t *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", *s->path ? s->path : ".");
	/* Trailing slashes say nothing of the name (a/b/ is b). */
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	const char *parent = slash ? (slash == path ? "/" : path) : ".";
	if (slash)
		*slash = '\0';
	if (strcmp(name, "") == 0 || strcmp(name, "..") == 0) {
		name = ".";
		parent = *path ? path : "/";
	}
	snprintf(out_name, NAME_MAX + 1, "%s", name);
	if (s->root_fd >= 0)
		*out_dir = open_in_root(s->root_fd, parent, O_RDONLY | O_DIRECTORY, err);
	else if ((*out_dir = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		err_sys(err, "%s", parent);
	return *out_dir < 0 ? -1 : 0;
}

static int copy(const struct side *from, const struct side *to, err_t *err)
{
	char src_name[NAME_MAX + 1], dst_name[NAME_MAX + 1];
	_cleanup_close_ int src_dir = -1;
	_cleanup_close_ int dst_parent = -1;
	struct stat src_st, dst_st = { 0 };

	if (open_parent(from, &src_dir, src_name, err) < 0)
		return err_wrap(err, "copy from");
	if (fstatat(src_dir, src_name, &src_st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "copy from %s", from->path);
	if (open_parent(to, &dst_parent, dst_name, err) < 0)
		return err_wrap(err, "copy to");
	/* Docker's rules: into DEST when it is a directory; as DEST when it is not there. DEST is
	 * looked at as the container sees it (a link of its own resolves inside its root). */
	bool contents = strcmp(src_name, ".") == 0;
	_cleanup_close_ int dst = to->root_fd >= 0 ? open_in_root(to->root_fd, to->path, O_PATH, err)
						   : open(to->path, O_PATH | O_CLOEXEC);
	if (dst < 0 && errno != ENOENT)
		return err_sys(err, "copy to %s", to->path);
	if (dst >= 0 && fstat(dst, &dst_st) == 0 && S_ISDIR(dst_st.st_mode)) {
		_cleanup_close_ int into = openat(dst, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (into < 0)
			return err_sys(err, "%s", to->path);
		if (contents) {
			_cleanup_close_ int src = openat(src_dir, src_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			return src < 0 ? err_sys(err, "%s", from->path) : copy_children(src, into, 0, err);
		}
		return copy_tree(src_dir, src_name, into, src_name, 0, err);
	}
	if (dst >= 0 && S_ISDIR(src_st.st_mode))
		return err_msg(err, ENOTDIR, "cannot copy a directory to a file: %s", to->path);
	if (strcmp(dst_name, ".") == 0)
		return err_msg(err, EINVAL, "bad destination %s", to->path);
	if (contents) {
		if (mkdirat(dst_parent, dst_name, 0755) < 0 && errno != EEXIST)
			return err_sys(err, "mkdir %s", to->path);
		_cleanup_close_ int made = openat(dst_parent, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int src = openat(src_dir, src_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (made < 0 || src < 0)
			return err_sys(err, "%s", made < 0 ? to->path : from->path);
		return copy_children(src, made, 0, err);
	}
	return copy_tree(src_dir, src_name, dst_parent, dst_name, 0, err);
}

/* "NAME:PATH" names a container's path; a path with a '/' before its first ':' does not. */
static char *container_part(char *arg)
{
	char *colon = strchr(arg, ':');
	if (!colon || colon == arg || memchr(arg, '/', (size_t)(colon - arg)))
		return NULL;
	*colon = '\0';
	return colon + 1;
}

static int cp_main(int argc, char **argv, const struct cli_ctx *ctx)
{
	if (argc > 1 && argv[1][0] == '-' && argv[1][1])
		return cli_usage_error(&cmd_cp, "unknown flag: %s", argv[1]);
	if (argc != 3)
		return cli_args_error(&cmd_cp, "requires exactly 2 arguments");
	_cleanup_free_ char *src_arg = strdup(argv[1]);
	_cleanup_free_ char *dst_arg = strdup(argv[2]);
	if (!src_arg || !dst_arg)
		return EXIT_MINIDOCK_ERROR;
	char *src_path = container_part(src_arg), *dst_path = container_part(dst_arg);
	if (!src_path == !dst_path) {
		fprintf(stderr, "minidock: cp: %s\n", src_path ? "copying between containers is not supported"
							 : "must specify at least one container source");
		return EXIT_ARGS_ERROR;
	}
	const char *name = src_path ? src_arg : dst_arg;
	const char *inside = src_path ? src_path : dst_path;
	if (*inside != '/') /* Docker: relative to the container's root (its working directory is not known here) */
		inside = *inside ? inside : "/";
	struct container c = { .doc = NULL };
	err_t err;
	if (ctr_load(ctx->root, name, &c, &err) < 0)
		return cli_fail(&err), EXIT_ARGS_ERROR;
	_cleanup_close_ int root_fd = -1;
	int status = 0;
	if (open_root(&c, &root_fd, &err) < 0) {
		status = (cli_fail(&err), EXIT_ARGS_ERROR);
	} else {
		struct side container = { .root_fd = root_fd, .path = inside };
		struct side host = { .root_fd = -1, .path = src_path ? argv[2] : argv[1] };
		if (copy(src_path ? &container : &host, src_path ? &host : &container, &err) < 0) {
			if (err.code == ENOENT && src_path)
				fprintf(stderr, "minidock: No such container:path: %s:%s\n", name, src_path);
			else
				cli_fail(&err);
			status = EXIT_ARGS_ERROR;
		}
	}
	ctr_release(&c);
	return status;
}
