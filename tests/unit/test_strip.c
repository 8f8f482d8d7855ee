/* test_strip.c - the handout generator: regions become stubs, bad markers are refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strip.h"
#include "unit.h"

/* strip(in) == want? */
static void check(const char *in, const char *want)
{
	char *out = NULL;
	size_t len;
	err_t err;
	int rc = handout_strip(in, strlen(in), 7, &out, &len, &err);
	if (rc != 0)
		fprintf(stderr, "\n  strip failed: %s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "\n  got:\n%s\n  want:\n%s\n", out, want);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(len, strlen(want));
	free(out);
}

static void refused(const char *in, const char *words)
{
	char *out = NULL;
	size_t len;
	err_t err;
	CU_ASSERT_EQUAL(handout_strip(in, strlen(in), 7, &out, &len, &err), -1);
	CU_ASSERT_EQUAL(err.code, EINVAL);
	if (!strstr(err.msg, words))
		fprintf(stderr, "\n  message \"%s\" lacks \"%s\"\n", err.msg, words);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, words));
	CU_ASSERT_PTR_NULL(out);
}

static void region_becomes_stub(void)
{
	check("int f(err_t *err)\n{\n\t/* SOLUTION BEGIN */\n\treturn 42;\n"
	      "\t/* SOLUTION END: return lab_todo(err, 7, __func__); */\n}\n",
	      "int f(err_t *err)\n{\n\t/* TODO(lab 7): write this (see course.md, chapter 7). */\n"
	      "\treturn lab_todo(err, 7, __func__);\n}\n");
}

static void region_without_stub_disappears(void)
{
	check("a\n/* SOLUTION BEGIN */\nstatic int helper(void) { return 1; }\n/* SOLUTION END */\nb\n",
	      "a\nb\n");
}

static void text_outside_regions_is_kept_exactly(void)
{
	check("no markers\r\n\tat all\n", "no markers\r\n\tat all\n");
	check("", "");
	check("last line without newline", "last line without newline");
}

static void bad_markers_are_refused(void)
{
	refused("/* SOLUTION END */\n", "without SOLUTION BEGIN");
	refused("/* SOLUTION BEGIN */\nx\n", "never closed");
	refused("/* SOLUTION BEGIN */\n/* SOLUTION BEGIN */\n/* SOLUTION END */\n", "inside the region");
	refused("x; /* SOLUTION BEGIN */\n", "line of its own");
	refused("/* SOLUTION BEGIN */\n/* SOLUTION END return 1; */\n", "malformed");
	refused("ok\n/* SOLUTION BEGIN */\n", "line 2");
}

static const struct unit_test tests[] = {
	{ "a region with a stub becomes TODO + stub", region_becomes_stub },
	{ "a region without a stub disappears", region_without_stub_disappears },
	{ "text outside regions is kept byte for byte", text_outside_regions_is_kept_exactly },
	{ "bad markers are refused with the line", bad_markers_are_refused },
	{ NULL, NULL },
};
const struct unit_suite suite_strip = { "strip", tests };
