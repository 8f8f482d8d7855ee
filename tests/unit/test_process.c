/* test_process.c - lab 1's proc_environ(): Docker's environment, in order, in linear time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "process.h"
#include "unit.h"

static void defaults_and_replacement(void)
{
	char *user[] = { "A=1", "B=2", "A=3", "PATH=/mine", "EMPTY=", NULL };
	char **env;
	err_t err;
	CU_ASSERT_EQUAL_FATAL(proc_environ("box", user, &env, &err), 0);
	/* A later K replaces an earlier one in its place; HOME is not here (proc_spawn adds it). */
	const char *want[] = { "PATH=/mine", "HOSTNAME=box", "A=3", "B=2", "EMPTY=", NULL };
	for (size_t i = 0; want[i] || env[i]; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(env[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(want[i]);
		CU_ASSERT_STRING_EQUAL(env[i], want[i]);
	}
	strv_free(env);
}

static void refused_entries(void)
{
	char *empty[] = { "", NULL }, *no_key[] = { "=x", NULL };
	char **env;
	err_t err;
	CU_ASSERT_EQUAL(proc_environ("box", empty, &env, &err), -1);
	CU_ASSERT_EQUAL(err.code, EINVAL);
	CU_ASSERT_EQUAL(proc_environ("box", no_key, &env, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "\"=x\""));
}

/* 90,000 entries, each key twice: the second replaces the first. (A list searched from the
 * start for every entry takes half a minute here; make bench times it, this checks it.) */
static void many_entries(void)
{
	enum { N = 90000 };
	char **user = calloc(2 * N + 1, sizeof(char *));
	CU_ASSERT_PTR_NOT_NULL_FATAL(user);
	for (size_t i = 0; i < 2 * N; i++) {
		user[i] = malloc(32);
		snprintf(user[i], 32, "K%zu=%s", i % N, i < N ? "first" : "second");
	}
	char **env;
	err_t err;
	CU_ASSERT_EQUAL_FATAL(proc_environ("box", user, &env, &err), 0);
	size_t n = 0;
	while (env[n])
		n++;
	CU_ASSERT_EQUAL(n, 2 + N);
	CU_ASSERT_STRING_EQUAL(env[2], "K0=second");
	CU_ASSERT_STRING_EQUAL(env[2 + N - 1], "K89999=second");
	strv_free(env);
	strv_free(user);
}

static const struct unit_test tests[] = {
	{ "proc_environ: PATH, HOSTNAME, then -e, a later key replacing in place", defaults_and_replacement },
	{ "proc_environ: an empty entry or one without a key is refused", refused_entries },
	{ "proc_environ: 180,000 entries (90,000 keys set twice)", many_entries },
	{ NULL, NULL },
};
const struct unit_suite suite_process = { "process", tests };
