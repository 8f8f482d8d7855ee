/* build.c - see build.h. */
#define _GNU_SOURCE
#include "build.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "dockerfile.h"
#include "fsutil.h"
#include "image.h"
#include "json.h"
#include "layer.h"
#include "lock.h"
#include "log.h"
#include "path.h"
#include "sha256.h"
#include "store.h"
#include "timefmt.h"

#define DOCKERFILE_MAX (1 << 20)

/* "/proc/self/fd/N": a descriptor as a path (to reopen an O_PATH one, or to scandir() it). */
struct fd_path {
	char s[32];
};
static struct fd_path fd_path(int fd)
{
	struct fd_path p;
	snprintf(p.s, sizeof(p.s), "/proc/self/fd/%d", fd);
	return p;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* --- paths resolved inside a root ------------------------------------------------------------ */

/* openat2(root_fd, path) as if root_fd were "/": no symbolic link, no ".." leads out of it. */
static int open_in_root(int root_fd, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	while (*path == '/')
		path++;
	return (int)syscall(SYS_openat2, root_fd, *path ? path : ".", &how, sizeof(how));
}

/* Open directory dir (absolute, in the image) under root_fd, making the missing ones on the
 * way (0755, owner uid:gid), each resolved in the root: a link on the way (/var/run -> /run,
 * or a link to a directory that does not exist yet) is followed inside the root, as Docker's
 * COPY follows it, and what it names is made there. */
static int dir_in_root(int root_fd, const char *unresolved, uid_t uid, gid_t gid, err_t *err)
{
	char prefix[PATH_MAX], host[PATH_MAX];
	struct fd_path root = fd_path(root_fd);
	if (path_in_root(root.s, unresolved, host, sizeof(host), err) < 0)
		return -1;
	const char *dir = host + strlen(root.s); /* the links resolved: "/run/x" */
	if (!*dir)
		dir = "/";
	size_t len = strlen(dir);
	if (len >= sizeof(prefix))
		return err_msg(err, ENAMETOOLONG, "%s: too long", dir);
	for (size_t i = 1; i <= len; i++) {
		if (i < len && dir[i] != '/')
			continue;
		memcpy(prefix, dir, i);
		prefix[i] = '\0';
		int fd = open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno != ENOENT)
			return err_sys(err, "%s", prefix);
		char *slash = strrchr(prefix, '/');
		*slash = '\0';
		_cleanup_close_ int parent = open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY);
		if (parent < 0 || mkdirat(parent, slash + 1, 0755) < 0 || fchownat(parent, slash + 1, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return err_sys(err, "mkdir %s/%s", prefix, slash + 1);
	}
	int fd = open_in_root(root_fd, dir, O_RDONLY | O_DIRECTORY);
	return fd < 0 ? err_sys(err, "%s", dir) : fd;
}

/* --- the files a COPY takes ----------------------------------------------------------------------- */

/* Where a COPY's sources come from: the context (with .dockerignore) or an image's root. */
struct source {
	int fd;
	const struct dockerignore *ignore; /* NULL: nothing left out */
};

static bool ignored(const struct source *s, const char *rel)
{
	return s->ignore && *rel && di_excluded(s->ignore, rel);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

/* Append to *list the paths under dirfd (relative path prefix) that pattern matches. */
static int glob_walk(const struct source *s, int dirfd, const char *prefix, const char *pattern, json_t *list,
		     int depth, err_t *err)
{
	if (depth > 64)
		return err_msg(err, ELOOP, "%s: too deep", prefix);
	_cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d)
		return err_sys(err, "list %s", *prefix ? prefix : ".");
	fd = -1; /* closedir() closes it */
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		char rel[PATH_MAX];
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(rel, sizeof(rel), "%s%s%s", prefix, *prefix ? "/" : "", de->d_name);
		if (ignored(s, rel))
			continue;
		if (di_match(pattern, rel))
			json_array_append_new(list, json_string(rel));
		if (de->d_type == DT_DIR) {
			_cleanup_close_ int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				rc = glob_walk(s, sub, rel, pattern, list, depth + 1, err);
		}
	}
	closedir(d);
	return rc;
}

/* The relative paths a COPY source names: itself, or what its glob matches (sorted). */
static int expand_source(const struct source *s, const char *src, json_t *list, err_t *err)
{
	char clean[PATH_MAX], abs[PATH_MAX + 2];
	snprintf(abs, sizeof(abs), "/%s", src);
	if (path_clean(abs, clean, sizeof(clean), err) < 0)
		return -1;
	const char *rel = clean + 1; /* "" for the whole context */
	if (!has_glob(rel)) {
		_cleanup_close_ int fd = open_in_root(s->fd, rel, O_PATH);
		if (fd < 0 || ignored(s, rel))
			return err_msg(err, ENOENT, "file not found in build context or excluded by .dockerignore: stat %s: "
				       "file does not exist", src);
		json_array_append_new(list, json_string(rel));
		return 0;
	}
	size_t before = json_array_size(list);
	_cleanup_json_ json_t *found = json_array();
	if (glob_walk(s, s->fd, "", rel, found, 0, err) < 0)
		return -1;
	/* readdir's order is the file system's: sort, so a build copies the same way each time */
	size_t n = json_array_size(found);
	const char **names = calloc(n ? n : 1, sizeof(*names));
	for (size_t i = 0; i < n; i++)
		names[i] = json_string_value(json_array_get(found, i));
	qsort(names, n, sizeof(*names), by_string);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_string(names[i]));
	free(names);
	if (json_array_size(list) == before)
		return err_msg(err, ENOENT, "no source files were specified (nothing matches %s)", src);
	return 0;
}

/* Open entry name of dirfd ("": dirfd itself, an O_PATH descriptor) with flags, never
 * following a link. */
static int open_entry(int dirfd, const char *name, int flags)
{
	return *name ? openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC) : open(fd_path(dirfd).s, flags | O_CLOEXEC);
}

/* What each_entry() calls for each entry name (path rel) of directory dirfd. */
typedef int (*entry_fn)(const struct source *s, int dirfd, const char *name, const char *rel, void *ctx, int depth,
			err_t *err);

/* Call fn for each entry of directory dirfd (path rel), in name order, but those the source's
 * .dockerignore leaves out. */
static int each_entry(const struct source *s, int dirfd, const char *rel, entry_fn fn, void *ctx, int depth,
		      err_t *err)
{
	struct dirent **names;
	int count = scandir(fd_path(dirfd).s, &names, NULL, by_name);
	if (count < 0)
		return err_sys(err, "list %s", rel);
	int rc = 0;
	for (int i = 0; i < count; i++) {
		char sub[PATH_MAX];
		const char *e = names[i]->d_name;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e);
		if (rc == 0 && strcmp(e, ".") != 0 && strcmp(e, "..") != 0 && !ignored(s, sub))
			rc = fn(s, dirfd, e, sub, ctx, depth + 1, err);
		free(names[i]);
	}
	free(names);
	return rc;
}

/*
 * The checksum of what a COPY takes (Docker's "file:HEX"): for each entry, its path, kind,
 * mode, size, link target and bytes, in name order. Owners and times are left out, as Docker's:
 * a fresh checkout of the same files hits the cache.
 */
static int sum_entry(const struct source *s, int dirfd, const char *name, const char *rel, void *ctx, int depth,
		     err_t *err)
{
	struct sha256 *sum = ctx;
	struct stat st;
	if (depth > 64)
		return err_msg(err, ELOOP, "%s: too deep", rel);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0)
		return err_sys(err, "%s", rel);
	char head[PATH_MAX + 64];
	int n = snprintf(head, sizeof(head), "%s%c%o %lld", rel, 0, (unsigned)st.st_mode, (long long)st.st_size);
	sha256_update(sum, head, (size_t)n + 1);
	if (S_ISLNK(st.st_mode)) {
		char link[PATH_MAX];
		ssize_t len = readlinkat(dirfd, name, link, sizeof(link));
		if (len < 0)
			return err_sys(err, "readlink %s", rel);
		sha256_update(sum, link, (size_t)len);
	} else if (S_ISREG(st.st_mode)) {
		_cleanup_close_ int fd = open_entry(dirfd, name, O_RDONLY);
		if (fd < 0)
			return err_sys(err, "open %s", rel);
		char buf[65536];
		ssize_t got;
		while ((got = read(fd, buf, sizeof(buf))) > 0)
			sha256_update(sum, buf, (size_t)got);
		if (got < 0)
			return err_sys(err, "read %s", rel);
	} else if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int fd = open_entry(dirfd, name, O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return err_sys(err, "open %s", rel);
		return each_entry(s, fd, rel, sum_entry, sum, depth, err);
	}
	return 0;
}

/* Who owns what a COPY writes: root, or --chown's. */
struct owner {
	uid_t uid;
	gid_t gid;
	bool keep; /* ADD of an archive without --chown: the archive's owners */
};

/* Where copy_child() copies the entries of a directory to. */
struct copy_to {
	int dirfd;
	const struct owner *owner;
};

static int copy_entry(const struct source *s, int src_dirfd, const char *name, const char *rel, int dst_dirfd,
		      const char *dst_name, const struct owner *o, int depth, err_t *err);

static int copy_child(const struct source *s, int dirfd, const char *name, const char *rel, void *ctx, int depth,
		      err_t *err)
{
	const struct copy_to *to = ctx;
	return copy_entry(s, dirfd, name, rel, to->dirfd, name, to->owner, depth, err);
}

/* Make dst_dirfd/dst_name a copy of src_dirfd/name ("": src_dirfd itself, an O_PATH descriptor
 * opened on the source), its mode and time kept, owned by o; a directory's contents merged
 * into what is there. */
static int copy_entry(const struct source *s, int src_dirfd, const char *name, const char *rel, int dst_dirfd,
		      const char *dst_name, const struct owner *o, int depth, err_t *err)
{
	struct stat st, old;
	if (depth > 64)
		return err_msg(err, ELOOP, "%s: too deep", rel);
	if (fstatat(src_dirfd, name, &st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0)
		return err_sys(err, "%s", rel);
	bool exists = fstatat(dst_dirfd, dst_name, &old, AT_SYMLINK_NOFOLLOW) == 0;
	if (exists && (S_ISDIR(old.st_mode) != S_ISDIR(st.st_mode))) {
		if (S_ISDIR(old.st_mode))
			return err_msg(err, EISDIR, "cannot overwrite directory %s with non-directory %s", dst_name, rel);
		if (unlinkat(dst_dirfd, dst_name, 0) < 0)
			return err_sys(err, "replace %s", dst_name);
		exists = false;
	}
	struct timespec times[2] = { st.st_mtim, st.st_mtim };
	if (S_ISREG(st.st_mode)) {
		_cleanup_close_ int in = open_entry(src_dirfd, name, O_RDONLY);
		if (exists)
			unlinkat(dst_dirfd, dst_name, 0); /* a link or a file shared with a lower layer */
		_cleanup_close_ int out = openat(dst_dirfd, dst_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (in < 0 || out < 0)
			return err_sys(err, "copy %s", rel);
		char buf[65536];
		ssize_t got;
		while ((got = read(in, buf, sizeof(buf))) > 0)
			if (fs_write_all(out, buf, (size_t)got) < 0)
				return err_sys(err, "write %s", dst_name);
		if (got < 0 || fchown(out, o->uid, o->gid) < 0 || fchmod(out, st.st_mode & 07777) < 0 ||
		    futimens(out, times) < 0)
			return err_sys(err, "copy %s", rel);
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		char link[PATH_MAX];
		ssize_t len = readlinkat(src_dirfd, name, link, sizeof(link) - 1);
		if (len < 0)
			return err_sys(err, "readlink %s", rel);
		link[len] = '\0';
		if (exists)
			unlinkat(dst_dirfd, dst_name, 0);
		if (symlinkat(link, dst_dirfd, dst_name) < 0 || fchownat(dst_dirfd, dst_name, o->uid, o->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    utimensat(dst_dirfd, dst_name, times, AT_SYMLINK_NOFOLLOW) < 0)
			return err_sys(err, "symlink %s", rel);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return err_msg(err, EINVAL, "%s is a socket, a pipe or a device: COPY takes files, directories and links", rel);
	if (!exists && mkdirat(dst_dirfd, dst_name, 0700) < 0)
		return err_sys(err, "mkdir %s", dst_name);
	_cleanup_close_ int out = openat(dst_dirfd, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int in = open_entry(src_dirfd, name, O_RDONLY | O_DIRECTORY);
	if (in < 0 || out < 0)
		return err_sys(err, "copy %s", rel);
	int rc = each_entry(s, in, rel, copy_child, &(struct copy_to){ out, o }, depth, err);
	if (strcmp(dst_name, ".") == 0)
		return rc; /* a directory's contents into dest: dest keeps its own owner and mode */
	if (rc == 0 && (fchown(out, o->uid, o->gid) < 0 || fchmod(out, st.st_mode & 07777) < 0 || futimens(out, times) < 0))
		rc = err_sys(err, "copy %s", rel);
	return rc;
}

/* Is the file open on fd (O_PATH) a tar archive ADD unpacks (plain, gzip or zstd)? */
static struct archive *open_archive(int fd)
{
	struct archive *a = archive_read_new();
	struct archive_entry *entry;
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	int in = open(fd_path(fd).s, O_RDONLY | O_CLOEXEC);
	if (in < 0 || archive_read_open_fd(a, in, 65536) != ARCHIVE_OK || archive_read_next_header(a, &entry) != ARCHIVE_OK) {
		archive_read_free(a);
		if (in >= 0)
			close(in);
		return NULL;
	}
	archive_read_free(a); /* opened again from the start by unpack() */
	close(in);
	a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	return a;
}

/* ADD of a local archive: its entries into directory dir_fd, each path resolved inside it. */
static int unpack(struct archive *a, int src_fd, int dir_fd, const char *rel, const struct owner *o, err_t *err)
{
	_cleanup_close_ int in = open(fd_path(src_fd).s, O_RDONLY | O_CLOEXEC);
	struct archive_entry *entry;
	int rc = 0, r;
	if (in < 0 || archive_read_open_fd(a, in, 65536) != ARCHIVE_OK)
		return err_msg(err, EIO, "%s: %s", rel, archive_error_string(a));
	while (rc == 0 && (r = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
		char clean[PATH_MAX], path[PATH_MAX + 2];
		snprintf(path, sizeof(path), "/%s", archive_entry_pathname(entry));
		if (path_clean(path, clean, sizeof(clean), err) < 0)
			return -1;
		if (strcmp(clean, "/") == 0)
			continue;
		char *slash = strrchr(clean, '/');
		*slash = '\0';
		_cleanup_close_ int parent = dir_in_root(dir_fd, *clean ? clean : "/", 0, 0, err);
		if (parent < 0)
			return -1;
		const char *base = slash + 1;
		mode_t type = archive_entry_filetype(entry);
		uid_t uid = o->keep ? (uid_t)archive_entry_uid(entry) : o->uid;
		gid_t gid = o->keep ? (gid_t)archive_entry_gid(entry) : o->gid;
		struct stat old;
		bool exists = fstatat(parent, base, &old, AT_SYMLINK_NOFOLLOW) == 0;
		if (exists && !(S_ISDIR(old.st_mode) && type == AE_IFDIR) && unlinkat(parent, base, S_ISDIR(old.st_mode) ? AT_REMOVEDIR : 0) < 0)
			return err_sys(err, "%s: replace %s", rel, archive_entry_pathname(entry));
		struct timespec times[2] = { { archive_entry_mtime(entry), 0 }, { archive_entry_mtime(entry), 0 } };
		unsigned mode = archive_entry_perm(entry);
		if (archive_entry_hardlink(entry)) {
			char target[PATH_MAX], tclean[PATH_MAX];
			snprintf(target, sizeof(target), "/%s", archive_entry_hardlink(entry));
			if (path_clean(target, tclean, sizeof(tclean), err) < 0)
				return -1;
			_cleanup_close_ int t = open_in_root(dir_fd, tclean, O_PATH);
			if (t < 0 || linkat(t, "", parent, base, AT_EMPTY_PATH) < 0)
				rc = err_sys(err, "%s: link %s", rel, archive_entry_pathname(entry));
		} else if (type == AE_IFREG) {
			_cleanup_close_ int out = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (out < 0)
				return err_sys(err, "%s: %s", rel, archive_entry_pathname(entry));
			const void *buf;
			size_t size;
			la_int64_t offset;
			while ((r = archive_read_data_block(a, &buf, &size, &offset)) == ARCHIVE_OK)
				if (pwrite(out, buf, size, offset) != (ssize_t)size)
					return err_sys(err, "%s: write %s", rel, archive_entry_pathname(entry));
			if (r != ARCHIVE_EOF)
				return err_msg(err, EIO, "%s: %s", rel, archive_error_string(a));
			if (ftruncate(out, archive_entry_size(entry)) < 0 || fchown(out, uid, gid) < 0 || fchmod(out, mode) < 0 ||
			    futimens(out, times) < 0)
				rc = err_sys(err, "%s: %s", rel, archive_entry_pathname(entry));
		} else if (type == AE_IFDIR) {
			if ((!exists && mkdirat(parent, base, 0700) < 0) || fchownat(parent, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
			    fchmodat(parent, base, mode, 0) < 0)
				rc = err_sys(err, "%s: %s", rel, archive_entry_pathname(entry));
		} else if (type == AE_IFLNK) {
			if (symlinkat(archive_entry_symlink(entry), parent, base) < 0 ||
			    fchownat(parent, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
				rc = err_sys(err, "%s: %s", rel, archive_entry_pathname(entry));
		} else {
			rc = err_msg(err, EINVAL, "%s: %s is a device, a pipe or a socket: not unpacked", rel,
				     archive_entry_pathname(entry));
		}
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = err_msg(err, EIO, "%s: %s", rel, archive_error_string(a));
	return rc;
}

int build_unpack_context(int fd, const char *dir, err_t *err)
{
	_cleanup_close_ int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return err_sys(err, "%s", dir);
	struct archive *a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_format_tar(a);
	int rc = unpack(a, fd, dir_fd, "the context (a tar on stdin)", &(struct owner){ .keep = true }, err);
	archive_read_free(a);
	return rc;
}

/* --- scratch space ---------------------------------------------------------------------------- */

int build_tmp_dir(const char *root, const char *prefix, char *out, size_t size, int *out_lock, err_t *err)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/tmp", root);
	if (fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	/* What a build, commit or save killed on the way left: its directory's lock is free. */
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char path[PATH_MAX + 300];
		static const char *const prefixes[] = { "build-", "commit-", "save-", "pull-", "push-" };
		bool ours = false;
		for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
			ours |= strncmp(de->d_name, prefixes[i], strlen(prefixes[i])) == 0;
		if (!ours)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		err_t ignored;
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
			log_debug("removing %s, left by a build that died", path);
			fs_remove_tree(path, &ignored);
		}
	}
	if (d)
		closedir(d);
	snprintf(out, size, "%s/%s-XXXXXX", dir, prefix);
	if (!mkdtemp(out))
		return err_sys(err, "mkdtemp %s", out);
	*out_lock = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*out_lock < 0 || flock(*out_lock, LOCK_EX) < 0) {
		err_sys(err, "lock %s", out);
		fs_remove_tree(out, &(err_t){ 0 });
		return -1;
	}
	return 0;
}

/* --- images: committing a step, finding it in the cache -------------------------------------- */

struct builder {
	const struct build_opts *o;
	char tmp[PATH_MAX];     /* ROOT/tmp/build-XXXXXX: this build's scratch space */
	int ctx_fd;             /* the context */
	struct dockerignore ignore;
	struct dockerfile df;
	struct df_stage *stages;
	size_t n_stages;
	json_t *globals;        /* the ARGs before the first FROM */
	json_t *stage_ids;      /* each stage's image id ("sha256:HEX", or "" for one with no layer) */
	json_t *stage_docs;     /* and its config document (null for FROM scratch and no step) */
	int step, n_steps;
	int n_mounts;           /* scratch directory names */
};

/* The image so far, in one stage. */
struct image {
	char id[DIGEST_LEN + 1]; /* "sha256:HEX", or "" (scratch, or no layer yet: not in the store) */
	json_t *doc;             /* its config document, or NULL (scratch) */
	json_t *config;          /* the "config" being built */
	json_t *vars;            /* the build's variables: ARGs and ENVs */
	bool cmd_from_base;
	char *author;  /* MAINTAINER, commit -a */
	char *comment; /* commit -m: its history entry's comment */
};

static void image_release(struct image *im)
{
	json_decref(im->doc);
	json_decref(im->config);
	json_decref(im->vars);
	free(im->author);
	free(im->comment);
	memset(im, 0, sizeof(*im));
}

/* When images are made: SOURCE_DATE_EPOCH's time, so that a build can give the same ids, or now. */
static void build_time(long long epoch, char out[TIME_RFC3339_LEN])
{
	if (epoch < 0) {
		time_now_rfc3339(out);
		return;
	}
	struct timespec t = { .tv_sec = (time_t)epoch };
	time_rfc3339(&t, out);
}

/* The cache key of a step: the image before it, what it did, and the config it leaves. */
static void step_key(const struct image *im, const char *created_by, char out[DIGEST_HEX_LEN + 1])
{
	_cleanup_free_ char *config = json_dumps(im->config, JSON_COMPACT | JSON_SORT_KEYS);
	struct sha256 sum;
	unsigned char raw[32];
	sha256_init(&sum);
	sha256_update(&sum, im->id, strlen(im->id) + 1);
	sha256_update(&sum, created_by, strlen(created_by) + 1);
	sha256_update(&sum, config ? config : "", config ? strlen(config) : 0);
	sha256_final(&sum, raw);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", raw[i]);
}

/* An image an earlier build made with key from im's image: its id into out. */
static bool cache_find(const struct builder *b, const struct image *im, const char *key, char out[DIGEST_LEN + 1])
{
	_cleanup_json_ json_t *store = NULL;
	err_t ignored;
	const char *id;
	json_t *entry;
	if (b->o->no_cache || !*im->id || store_read(b->o->root, &store, &ignored) < 0)
		return false;
	json_object_foreach(json_object_get(store, "images"), id, entry) {
		const char *parent = json_str(entry, "Parent"), *k = json_str(entry, "BuildKey");
		if (parent && k && strcmp(parent, im->id) == 0 && strcmp(k, key) == 0) {
			snprintf(out, DIGEST_LEN + 1, "sha256:%s", id);
			return true;
		}
	}
	return false;
}

/* Move a layer into the store: its directory (upper, moved) and its tar (moved), unless the
 * store has them already. Under the state lock. */
static int keep_layer(const char *root, const char *upper, const char *tar, const char *diff_id, err_t *err)
{
	char dir[PATH_MAX], blob[PATH_MAX];
	if (store_layer_path(root, diff_id, dir, sizeof(dir), err) < 0)
		return -1;
	snprintf(blob, sizeof(blob), "%s/layers", root);
	if (fs_mkdir_p(blob, 0700, err) < 0)
		return -1;
	snprintf(blob, sizeof(blob), "%s/blobs/sha256", root);
	if (fs_mkdir_p(blob, 0700, err) < 0)
		return -1;
	snprintf(blob, sizeof(blob), "%s/blobs/sha256/%s", root, diff_id + 7);
	if (access(dir, F_OK) < 0 && rename(upper, dir) < 0)
		return err_sys(err, "move layer %s into the store", diff_id);
	if (access(blob, F_OK) < 0 && rename(tar, blob) < 0)
		return err_sys(err, "move layer %s's tar into the store", diff_id);
	return 0;
}

/*
 * Commit the step: im's image plus the layer (upper and tar made by layer_diff(), or NULL) with
 * created_by; im becomes the new image. An image with no layer at all (FROM scratch, no COPY
 * yet) cannot be stored (images.json holds images with layers): it lives in im only.
 */
static int commit_step(const struct builder *b, struct image *im, const char *upper, const char *tar,
		       const char *diff_id, const char *created_by, const char *key, err_t *err)
{
	const char *root = b->o->root;
	char created[TIME_RFC3339_LEN], hex[DIGEST_HEX_LEN + 1], path[PATH_MAX];
	json_t *child = NULL;
	build_time(b->o->epoch, created);
	if (img_child_config(im->doc, im->config, diff_id, created_by, created, &child, err) < 0)
		return -1;
	if (im->author)
		json_object_set_new(child, "author", json_string(im->author));
	json_t *history = json_object_get(child, "history");
	if (im->comment && json_array_size(history) > 0)
		json_object_set_new(json_array_get(history, json_array_size(history) - 1), "comment",
				    json_string(im->comment));
	_cleanup_free_ char *text = json_dumps(child, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *layers = json_object_get(json_object_get(child, "rootfs"), "diff_ids");
	if (!text || !json_is_array(layers)) {
		json_decref(child);
		return err_msg(err, EINVAL, "image config: no rootfs.diff_ids");
	}
	sha256_hex(text, strlen(text), hex);
	if (json_array_size(layers) > 0) {
		_cleanup_close_ int lock = -1;
		_cleanup_json_ json_t *store = NULL;
		snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root, hex);
		if (lock_state(root, &lock, err) < 0 || (diff_id && upper && keep_layer(root, upper, tar, diff_id, err) < 0) ||
		    fs_write_atomic(path, text, strlen(text), 0644, err) < 0 || store_read(root, &store, err) < 0) {
			json_decref(child);
			return -1;
		}
		json_t *images = json_object_get(store, "images");
		json_t *entry = json_object_get(images, hex);
		if (!entry) {
			entry = json_pack("{s:[], s:[], s:O, s:s}", "RepoTags", "RepoDigests", "Layers", layers, "Created", created);
			json_object_set_new(images, hex, entry);
		}
		if (*im->id && !json_object_get(entry, "Parent"))
			json_object_set_new(entry, "Parent", json_string(im->id));
		if (key && !json_object_get(entry, "BuildKey"))
			json_object_set_new(entry, "BuildKey", json_string(key));
		if (store_write(root, store, err) < 0) {
			json_decref(child);
			return -1;
		}
		snprintf(im->id, sizeof(im->id), "sha256:%s", hex);
	}
	json_decref(im->doc);
	im->doc = child;
	return 0;
}

/* Take image id (from the cache, or a base) as the image so far. */
static int use_image(const struct builder *b, struct image *im, const char *id, err_t *err)
{
	json_t *doc;
	if (img_read_config(b->o->root, id + 7, &doc, err) < 0)
		return -1;
	json_decref(im->doc);
	im->doc = doc;
	snprintf(im->id, sizeof(im->id), "%s", id);
	json_t *config = json_object_get(doc, "config");
	json_decref(im->config);
	im->config = json_is_object(config) ? json_deep_copy(config) : json_object();
	return 0;
}

/*
 * What the runtime wrote into a container's upper directory for it (ctr_net.c: /etc/hosts,
 * /etc/hostname, /etc/resolv.conf) is the container's, not the image's: out of the layer, as
 * Docker keeps them out of its images (a RUN that edits them loses the edit there too). /etc
 * itself goes when nothing else is left in it.
 */
static void drop_runtime_files(const char *upper)
{
	static const char *const files[] = { "etc/hosts", "etc/hostname", "etc/resolv.conf" };
	_cleanup_close_ int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	for (size_t i = 0; fd >= 0 && i < sizeof(files) / sizeof(files[0]); i++)
		if (fstatat(fd, files[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			unlinkat(fd, files[i], 0);
	if (fd >= 0)
		unlinkat(fd, "etc", AT_REMOVEDIR); /* fails, as it should, unless empty */
}

/* The layer of directory upper: its tar in the build's scratch space, its diff_id. */
static int make_layer(const struct builder *b, const char *upper, char *tar, size_t size, char diff_id[DIGEST_LEN + 1],
		      err_t *err)
{
	snprintf(tar, size, "%s/layer.tar", b->tmp);
	_cleanup_close_ int fd = open(tar, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_sys(err, "%s", tar);
	if (layer_diff(upper, fd, b->o->epoch, diff_id, err) < 0)
		return -1;
	/*
	 * A step that changed nothing (RUN echo) makes no layer: the history says empty_layer. Its
	 * tar would be the same 1024 zero bytes as every other such step's, and the store keeps one
	 * directory per diff_id: the same directory twice in an overlay's lowerdir is refused (ELOOP).
	 */
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size == 1024)
		diff_id[0] = '\0';
	return fsync(fd) < 0 ? err_sys(err, "%s", tar) : 0;
}

/* A step's layer: upper directory as a tar (layer_diff()), committed with the step. */
static int layer_step(const struct builder *b, struct image *im, const char *upper, const char *created_by,
		      const char *key, err_t *err)
{
	char tar[PATH_MAX], diff_id[DIGEST_LEN + 1];
	if (make_layer(b, upper, tar, sizeof(tar), diff_id, err) < 0)
		return -1;
	return commit_step(b, im, upper, tar, *diff_id ? diff_id : NULL, created_by, key, err);
}

/* --- the steps ------------------------------------------------------------------------------------ */

/* A new empty directory b->tmp/NAME-N for a step's overlay (upper, work, merged inside). */
static int scratch_dir(struct builder *b, const char *name, char *out, size_t size, err_t *err)
{
	snprintf(out, size, "%s/%s-%d", b->tmp, name, ++b->n_mounts);
	static const char *const subs[] = { "upper", "work", "merged" };
	char sub[PATH_MAX + 16];
	for (size_t i = 0; i < 3; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", out, subs[i]);
		if (fs_mkdir_p(sub, 0755, err) < 0)
			return -1;
	}
	return 0;
}

static size_t count_strv(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* "|2 A=1 B=2 " before a RUN's command in its history, as Docker's: the build's variables that
 * are not in the image's Env, which the command sees. Into *env as K=V strings too. */
static char *run_vars(const struct image *im, char ***env)
{
	json_t *image_env = json_object_get(im->config, "Env");
	size_t n = 0, cap = json_object_size(im->vars) + 1;
	char **v = calloc(cap, sizeof(char *));
	const char *key;
	json_t *value;
	json_object_foreach(im->vars, key, value) {
		bool in_env = false;
		size_t i;
		json_t *e;
		json_array_foreach(image_env, i, e) {
			const char *s = json_string_value(e);
			in_env |= s && strncmp(s, key, strlen(key)) == 0 && s[strlen(key)] == '=';
		}
		if (!in_env && json_is_string(value) && v && asprintf(&v[n], "%s=%s", key, json_string_value(value)) > 0)
			n++;
	}
	*env = v;
	if (n == 0)
		return strdup("");
	char *prefix = NULL;
	if (asprintf(&prefix, "|%zu ", n) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char *longer = NULL;
		if (asprintf(&longer, "%s%s ", prefix, v[i]) < 0) {
			free(prefix);
			return NULL;
		}
		free(prefix);
		prefix = longer;
	}
	return prefix;
}

/* RUN: the command in a container of the image so far; its changes are the layer. */
static int run_step(struct builder *b, struct image *im, const struct df_instr *in, err_t *err)
{
	const struct build_opts *o = b->o;
	json_t *shell = json_object_get(im->config, "Shell");
	size_t n_shell = json_is_array(shell) ? json_array_size(shell) : 2, n = 0;
	char **argv = calloc(n_shell + 2 + count_strv(in->json), sizeof(char *));
	if (in->json) {
		for (size_t i = 0; in->json[i]; i++)
			argv[n++] = in->json[i];
	} else {
		for (size_t i = 0; i < n_shell; i++)
			argv[n++] = (char *)(json_is_array(shell) ? json_string_value(json_array_get(shell, i))
							  : i == 0 ? "/bin/sh" : "-c");
		argv[n++] = in->args;
	}
	if (n == 0) {
		free(argv);
		return err_msg(err, EINVAL, "Dockerfile line %d: RUN with an empty command", in->line);
	}
	char **env = NULL, *vars = run_vars(im, &env);
	char *command = NULL, *created_by = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&command, &len);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "", argv[i]);
	fclose(f);
	int rc = -1;
	if (!vars || !env || !command || asprintf(&created_by, "%s%s", vars, command) < 0) {
		err_msg(err, ENOMEM, "RUN");
		goto out;
	}
	char key[DIGEST_HEX_LEN + 1], id[DIGEST_LEN + 1], ctr_id[65] = "";
	step_key(im, created_by, key);
	if (cache_find(b, im, key, id)) {
		fprintf(o->out, " ---> Using cache\n");
		rc = use_image(b, im, id, err);
		goto out;
	}
	if (!*im->id) {
		err_msg(err, EINVAL, "Dockerfile line %d: RUN needs an image to run in: this stage is FROM scratch and "
			"has no files yet", in->line);
		goto out;
	}
	fflush(o->out);
	int status = o->run(o, im->id, argv, env, ctr_id, err);
	struct container c;
	bool have_ctr = *ctr_id && ctr_load(o->root, ctr_id, &c, err) == 0;
	if (status == 0 && have_ctr) {
		char upper[PATH_MAX + 8];
		snprintf(upper, sizeof(upper), "%s/upper", c.dir);
		drop_runtime_files(upper);
		rc = layer_step(b, im, upper, created_by, key, err);
	} else if (status > 0) {
		err_msg(err, EIO, "The command '%s' returned a non-zero code: %d", command, status);
	} else if (status == 0) {
		err_wrap(err, "RUN");
	}
	if (have_ctr) {
		err_t ignored;
		fprintf(o->out, "Removing intermediate container %.12s\n", c.id);
		ctr_remove(&c, true, &ignored);
		ctr_release(&c);
	}
out:
	free(argv);
	strv_free(env);
	free(vars);
	free(command);
	free(created_by);
	return rc;
}

/* --chown=USER[:GROUP]: numbers, or names from the image's /etc/passwd and /etc/group. */
static int lookup_id(int root_fd, const char *file, const char *name, unsigned *id, unsigned *primary)
{
	char *end;
	unsigned long n = strtoul(name, &end, 10);
	if (*name && !*end && n <= 0x7fffffff) {
		*id = (unsigned)n;
		return 0;
	}
	_cleanup_close_ int fd = open_in_root(root_fd, file, O_RDONLY);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f)
		return -1;
	fd = -1;
	char line[1024];
	int rc = -1;
	while (rc < 0 && fgets(line, sizeof(line), f)) {
		char *fields[4] = { line }, *p = line;
		for (int i = 1; i < 4 && (p = strchr(p, ':')); i++)
			*p++ = '\0', fields[i] = p;
		if (fields[2] && strcmp(fields[0], name) == 0) {
			*id = (unsigned)strtoul(fields[2], NULL, 10);
			if (primary && fields[3])
				*primary = (unsigned)strtoul(fields[3], NULL, 10);
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

static int parse_chown(int root_fd, const char *spec, struct owner *o, err_t *err)
{
	char user[256];
	snprintf(user, sizeof(user), "%s", spec);
	char *group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	unsigned uid = 0, gid = 0, primary = 0;
	if (!*user || lookup_id(root_fd, "/etc/passwd", user, &uid, &primary) < 0)
		return err_msg(err, EINVAL, "unable to convert uid/gid chown string to host mapping: can't find uid for "
			       "user %s: no such user", user);
	gid = primary;
	if (group && (!*group || lookup_id(root_fd, "/etc/group", group, &gid, NULL) < 0))
		return err_msg(err, EINVAL, "unable to convert uid/gid chown string to host mapping: can't find gid for "
			       "group %s: no such group", group);
	if (!group && strspn(user, "0123456789") == strlen(user))
		gid = uid; /* --chown=1000 is 1000:1000, as Docker's */
	o->uid = uid;
	o->gid = gid;
	o->keep = false;
	return 0;
}

/* The value of flag --NAME= of in, or NULL. */
static const char *flag(const struct df_instr *in, const char *name)
{
	size_t len = strlen(name);
	for (char **f = in->flags; *f; f++)
		if (strncmp(*f + 2, name, len) == 0 && (*f)[2 + len] == '=')
			return *f + 3 + len;
	return NULL;
}

/* A mounted image: a root to copy from (COPY --from), or to copy into. */
struct mounted {
	char dir[PATH_MAX];
	char merged[PATH_MAX + 16];
	bool mounted;
};

static int mount_image(struct builder *b, const char *id, struct mounted *m, err_t *err)
{
	if (scratch_dir(b, "mnt", m->dir, sizeof(m->dir), err) < 0)
		return -1;
	snprintf(m->merged, sizeof(m->merged), "%s/%s", m->dir, *id ? "merged" : "upper");
	if (!*id)
		return 0; /* no layer yet: the new files go straight into the upper directory */
	if (img_mount(b->o->root, id + 7, m->dir, err) < 0)
		return -1;
	m->mounted = true;
	return 0;
}

static void unmount_image(struct mounted *m)
{
	if (m->mounted && umount2(m->merged, MNT_DETACH) < 0)
		log_debug("umount %s: %s", m->merged, strerror(errno));
	m->mounted = false;
}

/* The image COPY --from=WHAT names: an earlier stage (its name or number) or an image. */
static int from_image(const struct builder *b, size_t stage, const char *what, char out[DIGEST_LEN + 1], err_t *err)
{
	char *end;
	unsigned long index = strtoul(what, &end, 10);
	for (size_t i = 0; i < stage; i++) {
		const char *name = b->stages[i].name;
		if ((name && strcasecmp(name, what) == 0) || (*what && !*end && index == i)) {
			snprintf(out, DIGEST_LEN + 1, "%s", json_string_value(json_array_get(b->stage_ids, i)));
			if (!*out)
				return err_msg(err, EINVAL, "COPY --from=%s: that stage has no files (FROM scratch)", what);
			return 0;
		}
	}
	if (*what && !*end)
		return err_msg(err, EINVAL, "COPY --from=%s: no such stage before this one", what);
	_cleanup_json_ json_t *store = NULL;
	char hex[DIGEST_HEX_LEN + 1];
	if (store_read(b->o->root, &store, err) < 0 || img_resolve(store, what, hex, err) < 0)
		return -1;
	snprintf(out, DIGEST_LEN + 1, "sha256:%s", hex);
	return 0;
}

/* COPY and ADD: files of the context (or of an earlier stage) into the image so far. */
static int copy_step(struct builder *b, struct image *im, size_t stage, const struct df_instr *in, err_t *err)
{
	const struct build_opts *o = b->o;
	bool add = strcmp(in->cmd, "add") == 0;
	const char *keyword = add ? "ADD" : "COPY";
	const char *from = flag(in, "from"), *chown = flag(in, "chown");
	char **words = NULL;
	json_t *list = json_array();
	struct mounted src_mount = { 0 }, dst = { 0 };
	char *created_by = NULL;
	int rc = -1, root_fd = -1;
	size_t n = 0;

	/* The arguments, variables replaced (Docker's rule for COPY and ADD, both forms). */
	if (in->json) {
		words = calloc(count_strv(in->json) + 1, sizeof(char *));
		for (; words && in->json[n]; n++)
			if (df_expand(in->json[n], 0, im->vars, &words[n], err) < 0)
				goto out;
	} else {
		char **raw = NULL;
		if (df_words(in->args, b->df.escape, &raw, err) < 0)
			goto out;
		words = calloc(count_strv(raw) + 1, sizeof(char *));
		for (; words && raw[n]; n++)
			if (df_expand(raw[n], b->df.escape, im->vars, &words[n], err) < 0) {
				df_strv_free(raw);
				goto out;
			}
		df_strv_free(raw);
	}
	if (n < 2) {
		err_msg(err, EINVAL, "Dockerfile line %d: %s requires at least two arguments", in->line, keyword);
		goto out;
	}
	const char *dest = words[n - 1];
	for (size_t i = 0; i < n - 1; i++)
		if (strstr(words[i], "://")) {
			err_msg(err, EINVAL, "Dockerfile line %d: %s %s: sources from URLs are not supported, only local files",
				in->line, keyword, words[i]);
			goto out;
		}

	/* Where the sources are: the context, or an earlier stage's (or an image's) root. */
	struct source src = { .fd = b->ctx_fd, .ignore = &b->ignore };
	char from_id[DIGEST_LEN + 1] = "";
	_cleanup_close_ int from_fd = -1;
	if (from) {
		if (from_image(b, stage, from, from_id, err) < 0 || mount_image(b, from_id, &src_mount, err) < 0)
			goto out;
		if ((from_fd = open(src_mount.merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			err_sys(err, "%s", src_mount.merged);
			goto out;
		}
		src = (struct source){ .fd = from_fd, .ignore = NULL };
	}
	for (size_t i = 0; i < n - 1; i++)
		if (expand_source(&src, words[i], list, err) < 0) {
			err_wrap(err, "Dockerfile line %d: %s failed", in->line, keyword);
			goto out;
		}

	/* The cache key: what the files hold (Docker's "file:HEX in DEST"). */
	struct sha256 sum;
	char hex[DIGEST_HEX_LEN + 1], key[DIGEST_HEX_LEN + 1], id[DIGEST_LEN + 1];
	bool single_dir = false;
	sha256_init(&sum);
	size_t i;
	json_t *rel;
	json_array_foreach(list, i, rel) {
		_cleanup_close_ int fd = open_in_root(src.fd, json_string_value(rel), O_PATH);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0) {
			err_sys(err, "%s", json_string_value(rel));
			goto out;
		}
		single_dir = S_ISDIR(st.st_mode);
		if (sum_entry(&src, fd, "", json_string_value(rel), &sum, 0, err) < 0)
			goto out;
	}
	unsigned char raw[32];
	sha256_final(&sum, raw);
	for (int k = 0; k < 32; k++)
		sprintf(hex + 2 * k, "%02x", raw[k]);
	const char *kind = json_array_size(list) > 1 ? "multi" : single_dir ? "dir" : "file";
	if (asprintf(&created_by, "/bin/sh -c #(nop) %s %s%s%s%s:%s in %s ", keyword, chown ? "--chown=" : "",
		     chown ? chown : "", chown ? " " : "", kind, hex, dest) < 0) {
		err_msg(err, ENOMEM, "%s", keyword);
		goto out;
	}
	step_key(im, created_by, key);
	if (cache_find(b, im, key, id)) {
		fprintf(o->out, " ---> Using cache\n");
		rc = use_image(b, im, id, err);
		goto out;
	}

	/* The copy, into an overlay of the image so far: its upper directory is the layer. */
	if (mount_image(b, im->id, &dst, err) < 0)
		goto out;
	if ((root_fd = open(dst.merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err_sys(err, "%s", dst.merged);
		goto out;
	}
	struct owner owner = { 0, 0, add && !chown };
	if (chown && parse_chown(root_fd, chown, &owner, err) < 0) {
		err_wrap(err, "Dockerfile line %d: %s", in->line, keyword);
		goto out;
	}
	const char *workdir = json_str(im->config, "WorkingDir");
	json_array_foreach(list, i, rel) {
		const char *r = json_string_value(rel);
		_cleanup_close_ int fd = open_in_root(src.fd, r, O_PATH);
		struct stat st, dst_st;
		char target[PATH_MAX], parent_path[PATH_MAX];
		if (fd < 0 || fstat(fd, &st) < 0) {
			err_sys(err, "%s", r);
			goto out;
		}
		/* dest is a directory when written with a trailing / or when the image has one there */
		char dest_abs[PATH_MAX], dest_clean[PATH_MAX];
		snprintf(dest_abs, sizeof(dest_abs), "%s%s%s", dest[0] == '/' ? "" : (workdir && *workdir ? workdir : "/"),
			 dest[0] == '/' ? "" : "/", dest);
		if (path_clean(dest_abs, dest_clean, sizeof(dest_clean), err) < 0)
			goto out;
		_cleanup_close_ int dest_fd = open_in_root(root_fd, dest_clean, O_PATH);
		bool dest_is_dir = dest_fd >= 0 && fstat(dest_fd, &dst_st) == 0 && S_ISDIR(dst_st.st_mode);
		struct archive *archive = add && S_ISREG(st.st_mode) ? open_archive(fd) : NULL;
		const char *base = strrchr(r, '/') ? strrchr(r, '/') + 1 : r;
		if (df_copy_target(workdir, dest, *base ? base : ".", S_ISDIR(st.st_mode) || archive, dest_is_dir,
				   json_array_size(list), target, sizeof(target), err) < 0) {
			if (archive)
				archive_read_free(archive);
			err_wrap(err, "Dockerfile line %d: %s", in->line, keyword);
			goto out;
		}
		if (S_ISDIR(st.st_mode) || archive) {
			_cleanup_close_ int dir = dir_in_root(root_fd, target, owner.uid, owner.gid, err);
			int done = -1;
			if (dir >= 0 && archive)
				done = unpack(archive, fd, dir, r, &owner, err);
			else if (dir >= 0)
				done = copy_entry(&src, fd, "", r, dir, ".", &owner, 0, err);
			if (archive)
				archive_read_free(archive);
			if (done < 0)
				goto out;
			continue;
		}
		snprintf(parent_path, sizeof(parent_path), "%s", target);
		char *slash = strrchr(parent_path, '/');
		*slash = '\0';
		_cleanup_close_ int parent = dir_in_root(root_fd, *parent_path ? parent_path : "/", 0, 0, err);
		if (parent < 0 || copy_entry(&src, fd, "", r, parent, slash + 1, &owner, 0, err) < 0)
			goto out;
	}
	close(root_fd);
	root_fd = -1;
	unmount_image(&dst);
	char upper[PATH_MAX + 8];
	snprintf(upper, sizeof(upper), "%s/upper", dst.dir);
	rc = layer_step(b, im, upper, created_by, key, err);
out:
	if (root_fd >= 0)
		close(root_fd);
	unmount_image(&dst);
	unmount_image(&src_mount);
	strv_free(words);
	json_decref(list);
	free(created_by);
	return rc;
}

/* The text of an instruction, as `Step N/M :` and errors show it. */
static char *instr_text(const struct df_instr *in)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	for (const char *c = in->cmd; *c; c++)
		fputc(toupper((unsigned char)*c), f);
	for (char **fl = in->flags; *fl; fl++)
		fprintf(f, " %s", *fl);
	fprintf(f, " %s", in->args);
	fclose(f);
	return text;
}

/* Any other instruction: the config only (df_apply()), an image with no layer. */
static int config_step(struct builder *b, struct image *im, const struct df_instr *in, const char *text, err_t *err)
{
	char key[DIGEST_HEX_LEN + 1], id[DIGEST_LEN + 1];
	_cleanup_free_ char *created_by = NULL;
	if (df_apply(im->config, in, b->df.escape, im->vars, b->o->build_args, b->globals, &im->cmd_from_base,
		     &im->author, err) < 0)
		return -1;
	if (asprintf(&created_by, "/bin/sh -c #(nop)  %s", text) < 0)
		return err_msg(err, ENOMEM, "%s", text);
	step_key(im, created_by, key);
	if (cache_find(b, im, key, id)) {
		fprintf(b->o->out, " ---> Using cache\n");
		return use_image(b, im, id, err);
	}
	return commit_step(b, im, NULL, NULL, NULL, created_by, key, err);
}

/* FROM: the stage's base, an earlier stage, an image of the store, or nothing (scratch). */
static int from_step(struct builder *b, struct image *im, size_t stage, err_t *err)
{
	const struct df_stage *st = &b->stages[stage];
	im->vars = json_object();
	if (st->base_stage >= 0) {
		const char *id = json_string_value(json_array_get(b->stage_ids, (size_t)st->base_stage));
		if (*id)
			return use_image(b, im, id, err) < 0 ? -1 : 0;
		json_t *doc = json_array_get(b->stage_docs, (size_t)st->base_stage);
		im->doc = json_deep_copy(doc);
		im->config = json_deep_copy(json_object_get(doc, "config"));
	} else if (strcmp(st->base, "scratch") == 0) {
		im->config = json_object();
	} else {
		_cleanup_json_ json_t *store = NULL;
		char hex[DIGEST_HEX_LEN + 1], id[DIGEST_LEN + 1];
		if (store_read(b->o->root, &store, err) < 0 || img_resolve(store, st->base, hex, err) < 0)
			return err_wrap(err, "FROM %s (minidock does not pull yet: load the image first)", st->base);
		snprintf(id, sizeof(id), "sha256:%s", hex);
		if (use_image(b, im, id, err) < 0)
			return -1;
	}
	if (!im->config)
		im->config = json_object();
	/* The image's environment is the build's too: ENV PATH=$PATH:/x. */
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(im->config, "Env"), i, e) {
		const char *s = json_string_value(e), *eq = s ? strchr(s, '=') : NULL;
		if (eq)
			json_object_setn_new(im->vars, s, (size_t)(eq - s), json_string(eq + 1));
	}
	im->cmd_from_base = json_object_get(im->config, "Cmd") != NULL;
	return 0;
}

/* Read the Dockerfile: -f FILE (relative to where minidock runs, as Docker's; inside the
 * context for a context sent as a tar), "-" for stdin, or CONTEXT/Dockerfile. */
static int read_dockerfile(const struct builder *b, char **text, size_t *len, err_t *err)
{
	const char *path = b->o->dockerfile;
	if (path && strcmp(path, "-") == 0) {
		FILE *f = open_memstream(text, len);
		char buf[4096];
		size_t got;
		while (f && (got = fread(buf, 1, sizeof(buf), stdin)) > 0 && *len + got <= DOCKERFILE_MAX)
			fwrite(buf, 1, got, f);
		if (!f || fclose(f) != 0)
			return err_sys(err, "read the Dockerfile from stdin");
		return 0;
	}
	if (path && !b->o->dockerfile_in_context)
		return fs_read_file(path, DOCKERFILE_MAX, text, len, err);
	/* the context's own file, resolved inside it: a link there reaches nothing outside */
	_cleanup_close_ int fd = open_in_root(b->ctx_fd, path ? path : "Dockerfile", O_RDONLY);
	if (fd < 0)
		return err_msg(err, ENOENT, "unable to prepare context: %s not found in the context", path ? path : "Dockerfile");
	return fs_read_file(fd_path(fd).s, DOCKERFILE_MAX, text, len, err);
}

/* The whole build, once the Dockerfile is read. */
static int build_stages(struct builder *b, char out_id[DIGEST_LEN + 1], err_t *err)
{
	const struct build_opts *o = b->o;
	struct image im = { 0 };
	int rc = 0;
	for (size_t s = 0; s < b->n_stages && rc == 0; s++) {
		const struct df_stage *st = &b->stages[s];
		image_release(&im);
		const struct df_instr *from = &b->df.instr[st->first - 1];
		_cleanup_free_ char *from_text = instr_text(from);
		fprintf(o->out, "Step %d/%d : %s\n", ++b->step, b->n_steps, from_text ? from_text : "FROM");
		if ((rc = from_step(b, &im, s, err)) < 0) {
			err_wrap(err, "Dockerfile line %d", from->line);
			break;
		}
		if (*im.id)
			fprintf(o->out, " ---> %.12s\n", im.id + 7);
		for (size_t i = st->first; i < st->end && rc == 0; i++) {
			const struct df_instr *in = &b->df.instr[i];
			_cleanup_free_ char *text = instr_text(in);
			if (!text)
				return err_msg(err, ENOMEM, "build");
			fprintf(o->out, "Step %d/%d : %s\n", ++b->step, b->n_steps, text);
			if (strcmp(in->cmd, "run") == 0)
				rc = run_step(b, &im, in, err);
			else if (strcmp(in->cmd, "copy") == 0 || strcmp(in->cmd, "add") == 0)
				rc = copy_step(b, &im, s, in, err);
			else
				rc = config_step(b, &im, in, text, err);
			if (rc < 0 && strncmp(err->msg, "Dockerfile line", 15) != 0)
				err_wrap(err, "Dockerfile line %d", in->line);
			else if (rc == 0 && *im.id)
				fprintf(o->out, " ---> %.12s\n", im.id + 7);
		}
		json_array_append_new(b->stage_ids, json_string(im.id));
		json_array_append(b->stage_docs, im.doc ? im.doc : json_null());
	}
	/* --label: on the last image, as one more step of the config. */
	if (rc == 0 && json_object_size(o->labels) > 0) {
		_cleanup_free_ char *created_by = NULL;
		char *list = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&list, &len);
		const char *k;
		json_t *v;
		json_t *labels = json_object_get(im.config, "Labels");
		if (!json_is_object(labels))
			json_object_set_new(im.config, "Labels", labels = json_object());
		json_object_foreach((json_t *)o->labels, k, v) {
			json_object_set(labels, k, v);
			fprintf(f, " %s=%s", k, json_string_value(v));
		}
		fclose(f);
		char key[DIGEST_HEX_LEN + 1], id[DIGEST_LEN + 1];
		if (asprintf(&created_by, "/bin/sh -c #(nop)  LABEL%s", list) < 0)
			rc = err_msg(err, ENOMEM, "--label");
		free(list);
		if (rc == 0) {
			step_key(&im, created_by, key);
			rc = cache_find(b, &im, key, id) ? use_image(b, &im, id, err)
							 : commit_step(b, &im, NULL, NULL, NULL, created_by, key, err);
		}
	}
	if (rc == 0 && !*im.id)
		rc = err_msg(err, EINVAL, "the image has no layer: minidock stores images with files only (FROM scratch "
			     "needs a COPY or ADD)");
	if (rc == 0)
		snprintf(out_id, DIGEST_LEN + 1, "%s", im.id);
	image_release(&im);
	return rc;
}

int build_image(const struct build_opts *o, char out_id[DIGEST_LEN + 1], err_t *err)
{
	struct builder b = { .o = o, .ctx_fd = -1, .stage_ids = json_array(), .stage_docs = json_array() };
	_cleanup_close_ int tmp_lock = -1;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int rc = -1;
	err_t ignored;

	b.ctx_fd = open(o->context, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b.ctx_fd < 0) {
		err_sys(err, "unable to prepare context: path \"%s\"", o->context);
		goto out;
	}
	if (read_dockerfile(&b, &text, &len, err) < 0 || df_parse(text, len, &b.df, err) < 0)
		goto out;
	/* .dockerignore: what COPY never sees. */
	_cleanup_close_ int ignore_fd = open_in_root(b.ctx_fd, ".dockerignore", O_RDONLY);
	_cleanup_free_ char *ignore_text = NULL;
	size_t ignore_len = 0;
	if (ignore_fd >= 0 && (fs_read_file(fd_path(ignore_fd).s, DOCKERFILE_MAX, &ignore_text, &ignore_len, err) < 0 ||
			       di_parse(ignore_text, ignore_len, &b.ignore, err) < 0)) {
		err_wrap(err, ".dockerignore");
		goto out;
	}
	if (df_stages(&b.df, o->build_args, o->target, &b.stages, &b.n_stages, &b.globals, err) < 0)
		goto out;
	for (size_t s = 0; s < b.n_stages; s++)
		b.n_steps += 1 + (int)(b.stages[s].end - b.stages[s].first);

	/* The build's scratch space, and a mount namespace of its own for the overlays of COPY. */
	if (build_tmp_dir(o->root, "build", b.tmp, sizeof(b.tmp), &tmp_lock, err) < 0) {
		b.tmp[0] = '\0';
		goto out;
	}
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		err_sys(err, "build: a mount namespace of its own");
		goto out;
	}
	if (build_stages(&b, out_id, err) < 0)
		goto out;
	for (char *const *t = o->tags; t && *t; t++)
		if (build_tag(o->root, out_id, *t, err) < 0)
			goto out;
	if (o->quiet) {
		printf("%s\n", out_id);
	} else {
		fprintf(o->out, "Successfully built %.12s\n", out_id + 7);
		for (char *const *t = o->tags; t && *t; t++)
			fprintf(o->out, "Successfully tagged %s\n", *t);
	}
	rc = 0;
out:
	if (b.tmp[0])
		fs_remove_tree(b.tmp, &ignored);
	if (b.ctx_fd >= 0)
		close(b.ctx_fd);
	df_free(&b.df);
	di_free(&b.ignore);
	if (b.stages)
		df_stages_free(b.stages, b.n_stages);
	json_decref(b.globals);
	json_decref(b.stage_ids);
	json_decref(b.stage_docs);
	return rc;
}

int build_tag(const char *root, const char *id, const char *ref, err_t *err)
{
	char name[256], tag[256], digest[80], full[600];
	_cleanup_close_ int lock = -1;
	_cleanup_json_ json_t *store = NULL;
	if (img_ref_parse(ref, name, tag, digest, err) < 0)
		return -1;
	if (*digest)
		return err_msg(err, EINVAL, "invalid reference format: \"%s\": a tag, not a digest", ref);
	snprintf(full, sizeof(full), "%s:%s", name, tag);
	if (lock_state(root, &lock, err) < 0 || store_read(root, &store, err) < 0)
		return -1;
	const char *other;
	json_t *entry, *image = json_object_get(json_object_get(store, "images"), id + 7);
	if (!image)
		return err_msg(err, ENOENT, "No such image: %s", id);
	json_object_foreach(json_object_get(store, "images"), other, entry) {
		json_t *tags = json_object_get(entry, "RepoTags");
		for (size_t k = json_array_size(tags); k-- > 0;)
			if (strcmp(json_string_value(json_array_get(tags, k)), full) == 0 && entry != image)
				json_array_remove(tags, k);
	}
	json_t *tags = json_object_get(image, "RepoTags");
	size_t k;
	json_t *t;
	json_array_foreach(tags, k, t)
		if (strcmp(json_string_value(t), full) == 0)
			return 0;
	json_array_append_new(tags, json_string(full));
	return store_write(root, store, err);
}

int build_commit(const char *root, const char *image_id, const char *upper, const json_t *config,
		 const char *created_by, const char *ref, const char *author, const char *comment,
		 char out_id[DIGEST_LEN + 1], err_t *err)
{
	struct build_opts o = { .root = root, .epoch = -1, .no_cache = true };
	struct builder b = { .o = &o };
	struct image im = { 0 };
	char tar[PATH_MAX], diff_id[DIGEST_LEN + 1];
	int rc = -1;
	err_t ignored;

	_cleanup_close_ int tmp_lock = -1;
	if (build_tmp_dir(root, "commit", b.tmp, sizeof(b.tmp), &tmp_lock, err) < 0)
		return -1;
	if (use_image(&b, &im, image_id, err) < 0)
		goto out;
	json_decref(im.config);
	im.config = json_deep_copy(config);
	im.author = author && *author ? strdup(author) : NULL;
	im.comment = comment && *comment ? strdup(comment) : NULL;
	/* The layer from a copy of the upper directory: the container keeps its own. */
	char copy[PATH_MAX + 8];
	snprintf(copy, sizeof(copy), "%s/upper", b.tmp);
	_cleanup_close_ int from = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (from < 0) {
		err_sys(err, "%s", upper);
		goto out;
	}
	if (mkdir(copy, 0755) < 0) {
		err_sys(err, "%s", copy);
		goto out;
	}
	_cleanup_close_ int to = open(copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (to < 0) {
		err_sys(err, "%s", copy);
		goto out;
	}
	if (fs_copy_tree(from, to, NULL, err) < 0)
		goto out;
	drop_runtime_files(copy);
	if (make_layer(&b, copy, tar, sizeof(tar), diff_id, err) < 0 ||
	    commit_step(&b, &im, copy, tar, *diff_id ? diff_id : NULL, created_by, NULL, err) < 0)
		goto out;
	snprintf(out_id, DIGEST_LEN + 1, "%s", im.id);
	rc = ref ? build_tag(root, out_id, ref, err) : 0;
out:
	image_release(&im);
	fs_remove_tree(b.tmp, &ignored);
	return rc;
}
