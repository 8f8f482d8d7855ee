/* test_fsutil.c - atomic writes, reading with a limit, mkdir -p, rm -rf. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "unit.h"

/* Number of entries in dir other than . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void write_then_read(void)
{
	const char *dir = unit_mktmp();
	char path[PATH_MAX];
	err_t err;
	char *data;
	size_t len;
	struct stat st;

	snprintf(path, sizeof(path), "%s/f", dir);
	CU_ASSERT_EQUAL(fs_write_atomic(path, "one", 3, 0600, &err), 0);
	CU_ASSERT_EQUAL(fs_write_atomic(path, "second", 6, 0640, &err), 0);
	CU_ASSERT_EQUAL_FATAL(fs_read_file(path, 100, &data, &len, &err), 0);
	CU_ASSERT_EQUAL(len, 6);
	CU_ASSERT_STRING_EQUAL(data, "second");
	free(data);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0640);
	CU_ASSERT_EQUAL(count_entries(dir), 1); /* no temporary file left */
	unit_rmtmp();
}

static void failed_write_leaves_nothing(void)
{
	const char *dir = unit_mktmp();
	char path[PATH_MAX];
	err_t err;

	/* The target is a non-empty directory: rename fails, and the temp file must go. */
	snprintf(path, sizeof(path), "%s/d", dir);
	mkdir(path, 0755);
	char inner[PATH_MAX];
	snprintf(inner, sizeof(inner), "%s/d/x", dir);
	CU_ASSERT_EQUAL(fs_write_atomic(inner, "x", 1, 0644, &err), 0);
	CU_ASSERT_EQUAL(fs_write_atomic(path, "data", 4, 0644, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));
	CU_ASSERT_EQUAL(count_entries(dir), 1);
	unit_rmtmp();
}

static void read_limit(void)
{
	const char *dir = unit_mktmp();
	char path[PATH_MAX];
	err_t err;
	char *data = NULL;

	snprintf(path, sizeof(path), "%s/big", dir);
	char buf[10000];
	memset(buf, 'x', sizeof(buf));
	CU_ASSERT_EQUAL(fs_write_atomic(path, buf, sizeof(buf), 0644, &err), 0);
	CU_ASSERT_EQUAL(fs_read_file(path, 5000, &data, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, EFBIG);
	CU_ASSERT_EQUAL(fs_read_file(path, 10000, &data, NULL, &err), 0);
	free(data);
	snprintf(path, sizeof(path), "%s/missing", dir);
	CU_ASSERT_EQUAL(fs_read_file(path, 10, &data, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, ENOENT);
	unit_rmtmp();
}

static void mkdir_p_and_remove_tree(void)
{
	const char *dir = unit_mktmp();
	char path[PATH_MAX], file[PATH_MAX], link[PATH_MAX];
	err_t err;
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	CU_ASSERT_EQUAL(fs_mkdir_p(path, 0755, &err), 0);
	CU_ASSERT_EQUAL(fs_mkdir_p(path, 0755, &err), 0); /* again: fine */
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	snprintf(file, sizeof(file), "%s/a/file", dir);
	CU_ASSERT_EQUAL(fs_write_atomic(file, "x", 1, 0644, &err), 0);
	snprintf(path, sizeof(path), "%s/a/file/sub", dir);
	CU_ASSERT_EQUAL(fs_mkdir_p(path, 0755, &err), -1);
	CU_ASSERT_EQUAL(err.code, ENOTDIR);

	/* A symlink to outside is removed, not followed. */
	char outside[PATH_MAX];
	snprintf(outside, sizeof(outside), "%s/outside", dir);
	mkdir(outside, 0755);
	snprintf(file, sizeof(file), "%s/outside/keep", dir);
	fs_write_atomic(file, "k", 1, 0644, &err);
	snprintf(link, sizeof(link), "%s/a/b/escape", dir);
	CU_ASSERT_EQUAL(symlink(outside, link), 0);
	snprintf(path, sizeof(path), "%s/a", dir);
	CU_ASSERT_EQUAL(fs_remove_tree(path, &err), 0);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	CU_ASSERT_EQUAL(access(file, F_OK), 0);
	CU_ASSERT_EQUAL(fs_remove_tree(path, &err), 0); /* missing: fine */
	unit_rmtmp();
}

static const struct unit_test tests[] = {
	{ "atomic write replaces, keeps mode, leaves no temp", write_then_read },
	{ "a failed write leaves nothing behind", failed_write_leaves_nothing },
	{ "read respects its limit and reports ENOENT", read_limit },
	{ "mkdir -p and rm -rf (symlinks not followed)", mkdir_p_and_remove_tree },
	{ NULL, NULL },
};
const struct unit_suite suite_fsutil = { "fsutil", tests };
