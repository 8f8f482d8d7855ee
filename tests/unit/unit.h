/* unit.h - the suites of the unit tests; each test_*.c file defines one. */
#ifndef MINIDOCK_UNIT_H
#define MINIDOCK_UNIT_H

#include <CUnit/CUnit.h>

struct unit_test {
	const char *name;
	CU_TestFunc fn;
};

struct unit_suite {
	const char *name;
	const struct unit_test *tests; /* ends with { NULL, NULL } */
};

extern const struct unit_suite suite_err, suite_path, suite_fsutil, suite_json, suite_lock, suite_strip,
	suite_store, suite_sha256, suite_container, suite_network, suite_process, suite_template, suite_security,
	suite_kvstore, suite_cluster, suite_dockerfile, suite_layer, suite_registry, suite_engine;

/* A real etcd (Debian's etcd-server) in a fresh directory of unit_mktmp()'s, on loopback ports
 * of its own: false when it cannot be started. unit_etcd_stop() kills it and removes the
 * directory. */
#include <stdbool.h>
bool unit_etcd_start(void);
void unit_etcd_stop(void);
const char *unit_etcd_url(void); /* "etcd://127.0.0.1:PORT" */

/* A fresh empty directory for one test (under $TMPDIR), removed by unit_rmtmp(). */
const char *unit_mktmp(void);
void unit_rmtmp(void);

#endif
