/* test_json.c - JSON files: stable output, clear errors on bad input. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "unit.h"

static void round_trip_is_stable(void)
{
	const char *dir = unit_mktmp();
	char path[PATH_MAX];
	err_t err;
	json_t *v = json_pack("{s:s, s:i, s:[s]}", "b", "x", "a", 1, "c", "y");
	json_t *back = NULL;
	char *text;

	snprintf(path, sizeof(path), "%s/v.json", dir);
	CU_ASSERT_EQUAL(json_write_file(path, v, &err), 0);
	CU_ASSERT_EQUAL_FATAL(fs_read_file(path, 1000, &text, NULL, &err), 0);
	CU_ASSERT_STRING_EQUAL(text, "{\"a\":1,\"b\":\"x\",\"c\":[\"y\"]}\n"); /* sorted keys */
	free(text);
	CU_ASSERT_EQUAL_FATAL(json_read_file(path, 1000, &back, &err), 0);
	CU_ASSERT_TRUE(json_equal(v, back));
	CU_ASSERT_STRING_EQUAL(json_str(back, "b"), "x");
	CU_ASSERT_PTR_NULL(json_str(back, "a")); /* not a string */
	CU_ASSERT_PTR_NULL(json_str(back, "missing"));
	json_decref(v);
	json_decref(back);
	unit_rmtmp();
}

/* replace: the new value whatever was there; create: only where nothing was, else EEXIST and
 * the file as it was. Neither leaves its temporary file. */
static void replace_and_create(void)
{
	const char *dir = unit_mktmp();
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	err_t err;
	json_t *one = json_pack("{s:i}", "n", 1), *two = json_pack("{s:i}", "n", 2), *back = NULL;

	snprintf(path, sizeof(path), "%s/v.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	CU_ASSERT_EQUAL(json_create_file(path, one, &err), 0);
	CU_ASSERT_EQUAL(json_create_file(path, two, &err), -1);
	CU_ASSERT_EQUAL(err.code, EEXIST);
	CU_ASSERT_EQUAL_FATAL(json_read_file(path, 1000, &back, &err), 0);
	CU_ASSERT_TRUE(json_equal(back, one));
	json_decref(back);
	CU_ASSERT_EQUAL(json_replace_file(path, two, &err), 0);
	CU_ASSERT_EQUAL_FATAL(json_read_file(path, 1000, &back, &err), 0);
	CU_ASSERT_TRUE(json_equal(back, two));
	CU_ASSERT_EQUAL(access(tmp, F_OK), -1);
	json_decref(back);
	json_decref(one);
	json_decref(two);
	unit_rmtmp();
}

static void malformed_json_names_the_place(void)
{
	const char *dir = unit_mktmp();
	char path[PATH_MAX];
	err_t err;
	json_t *v = NULL;

	snprintf(path, sizeof(path), "%s/bad.json", dir);
	fs_write_atomic(path, "{\"a\": 1,\n \"b\": }", 17, 0644, &err);
	CU_ASSERT_EQUAL(json_read_file(path, 1000, &v, &err), -1);
	CU_ASSERT_EQUAL(err.code, EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "line 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));
	fs_write_atomic(path, "{\"a\":1,\"a\":2}", 13, 0644, &err);
	CU_ASSERT_EQUAL(json_read_file(path, 1000, &v, &err), -1); /* duplicate keys */
	unit_rmtmp();
}

static const struct unit_test tests[] = {
	{ "write then read gives the same value, sorted keys", round_trip_is_stable },
	{ "replace writes whatever was there; create only where nothing was (EEXIST)", replace_and_create },
	{ "malformed JSON: EINVAL naming file and line", malformed_json_names_the_place },
	{ NULL, NULL },
};
const struct unit_suite suite_json = { "json", tests };
