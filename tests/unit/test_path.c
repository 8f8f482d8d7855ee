/* test_path.c - joining paths inside a root: the symlink escapes an image can try. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "unit.h"

static char root[PATH_MAX];

/* in_root("a/b") == root + "/expected"? */
static void check(const char *unsafe, const char *expected)
{
	char out[PATH_MAX], want[PATH_MAX];
	err_t err;
	CU_ASSERT_EQUAL_FATAL(path_in_root(root, unsafe, out, sizeof(out), &err), 0);
	snprintf(want, sizeof(want), "%s%s", root, expected);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "\n  path_in_root(%s) = %s, want %s\n", unsafe, out, want);
	CU_ASSERT_STRING_EQUAL(out, want);
}

static void with_tree(void (*body)(void))
{
	const char *dir = unit_mktmp();
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(root, sizeof(root), "%s", dir);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/etc", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/abs", root);
	CU_ASSERT_EQUAL(symlink("/../../../../etc/shadow", p), 0);
	snprintf(p, sizeof(p), "%s/etc/rel", root);
	CU_ASSERT_EQUAL(symlink("../../../../../tmp", p), 0);
	snprintf(p, sizeof(p), "%s/etc/sibling", root);
	CU_ASSERT_EQUAL(symlink("abs", p), 0);
	snprintf(p, sizeof(p), "%s/loop", root);
	CU_ASSERT_EQUAL(symlink("loop", p), 0);
	body();
	unit_rmtmp();
}

static void plain_paths(void)
{
	check("/etc/passwd", "/etc/passwd");
	check("etc/passwd", "/etc/passwd");
	check("/", "/");
	check("", "/");
	check("//etc/./x/", "/etc/x");
}

static void dotdot_stops_at_root(void)
{
	check("/../../../etc", "/etc");
	check("/etc/../../x", "/x");
}

static void absolute_symlinks_restart_at_root(void)
{
	check("/etc/abs", "/etc/shadow");
	check("/etc/sibling", "/etc/shadow");
}

static void relative_symlinks_stay_inside(void)
{
	check("/etc/rel/file", "/tmp/file");
}

static void symlink_loops_fail(void)
{
	char out[PATH_MAX];
	err_t err;
	CU_ASSERT_EQUAL(path_in_root(root, "/loop/x", out, sizeof(out), &err), -1);
}

static void t_plain(void) { with_tree(plain_paths); }
static void t_dotdot(void) { with_tree(dotdot_stops_at_root); }
static void t_abs(void) { with_tree(absolute_symlinks_restart_at_root); }
static void t_rel(void) { with_tree(relative_symlinks_stay_inside); }
static void t_loop(void) { with_tree(symlink_loops_fail); }

static void clean(const char *in, const char *want)
{
	char out[PATH_MAX];
	err_t err;
	CU_ASSERT_EQUAL_FATAL(path_clean(in, out, sizeof(out), &err), 0);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "\n  path_clean(%s) = %s, want %s\n", in, out, want);
	CU_ASSERT_STRING_EQUAL(out, want);
}

static void t_clean(void)
{
	clean("/a//b/./c/", "/a/b/c");
	clean("/a/b/../c", "/a/c");
	clean("/../a", "/a");
	clean("a/../../b", "../b");
	clean("", ".");
	clean("/", "/");
	clean("./", ".");
}

static void t_too_long(void)
{
	char small[8];
	err_t err;
	CU_ASSERT_EQUAL(path_clean("/a/long/path", small, sizeof(small), &err), -1);
}

static const struct unit_test tests[] = {
	{ "plain paths join", t_plain },
	{ ".. stops at the root", t_dotdot },
	{ "absolute symlinks restart at the root", t_abs },
	{ "relative symlinks stay inside", t_rel },
	{ "symlink loops fail", t_loop },
	{ "path_clean", t_clean },
	{ "a result too long for the buffer fails", t_too_long },
	{ NULL, NULL },
};
const struct unit_suite suite_path = { "path", tests };
