/*
 * main.c - the unit tests of lib/ and of the handout generator (tools/strip.c), with CUnit.
 * Prints CUnit's summary and exits non-zero when a test fails.
 */
#include <CUnit/Basic.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "fsutil.h"
#include "unit.h"

static char tmp_dir[PATH_MAX];

const char *unit_mktmp(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(tmp_dir, sizeof(tmp_dir), "%s/minidock-unit.XXXXXX", base);
	if (!mkdtemp(tmp_dir))
		return NULL;
	return tmp_dir;
}

void unit_rmtmp(void)
{
	err_t err;
	if (tmp_dir[0])
		fs_remove_tree(tmp_dir, &err);
	tmp_dir[0] = '\0';
}

int main(void)
{
	const struct unit_suite *suites[] = { &suite_err, &suite_path, &suite_fsutil,
					      &suite_json, &suite_lock, &suite_strip, &suite_store,
					      &suite_sha256, &suite_container, &suite_network, &suite_process, &suite_template,
					      &suite_security, &suite_kvstore, &suite_cluster, &suite_dockerfile, &suite_layer, &suite_registry,
					      &suite_engine };

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		CU_pSuite suite = CU_add_suite(suites[i]->name, NULL, NULL);
		for (const struct unit_test *t = suites[i]->tests; t->name; t++)
			CU_add_test(suite, t->name, t->fn);
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
