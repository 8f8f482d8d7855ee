/* test_kvstore.c - the cluster store's client against a real etcd (Debian's etcd-server),
 * started here on ports of its own, on the loopback only. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvstore.h"
#include "unit.h"

static pid_t etcd_pid;
static char url[64];

const char *unit_etcd_url(void)
{
	return url;
}

bool unit_etcd_start(void)
{
	const char *dir = unit_mktmp();
	int port = 20000 + (int)(getpid() % 20000);
	char client[64], peer[64], data[512];
	snprintf(client, sizeof(client), "http://127.0.0.1:%d", port);
	snprintf(peer, sizeof(peer), "http://127.0.0.1:%d", port + 1);
	snprintf(data, sizeof(data), "%s/etcd", dir ? dir : "/tmp");
	snprintf(url, sizeof(url), "etcd://127.0.0.1:%d", port);
	char cluster[96];
	snprintf(cluster, sizeof(cluster), "unit=%s", peer);
	etcd_pid = fork();
	if (etcd_pid == 0) {
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execlp("etcd", "etcd", "--name", "unit", "--data-dir", data, "--listen-client-urls", client,
		       "--advertise-client-urls", client, "--listen-peer-urls", peer, "--initial-advertise-peer-urls",
		       peer, "--initial-cluster", cluster, (char *)NULL);
		_exit(127);
	}
	struct kv kv;
	err_t err;
	if (kv_open(&kv, url, &err) < 0)
		return false;
	for (int i = 0; i < 200; i++) {
		char *value = NULL;
		if (kv_get(&kv, "/ready", &value, &err) == 0 || err.code == ENOENT) {
			free(value);
			kv_close(&kv);
			return true;
		}
		struct timespec pause = { 0, 50000000 };
		nanosleep(&pause, NULL);
	}
	kv_close(&kv);
	return false;
}

void unit_etcd_stop(void)
{
	if (etcd_pid > 0) {
		kill(etcd_pid, SIGKILL);
		waitpid(etcd_pid, NULL, 0);
	}
	etcd_pid = 0;
	unit_rmtmp();
}

static void base64_round_trips_and_refuses(void)
{
	const char *texts[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar", "/minidock/networks/web" };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *enc = kv_base64_encode(texts[i], strlen(texts[i]));
		size_t len;
		char *dec = kv_base64_decode(enc, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(dec);
		CU_ASSERT_EQUAL(len, strlen(texts[i]));
		CU_ASSERT_STRING_EQUAL(dec, texts[i]);
		free(enc);
		free(dec);
	}
	char *enc = kv_base64_encode("foobar", 6);
	CU_ASSERT_STRING_EQUAL(enc, "Zm9vYmFy");
	free(enc);
	size_t len;
	const char *bad[] = { "Zm9", "Zm9v!mFy", "Z=9v", "Zm==Zm9v", "====" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_PTR_NULL(kv_base64_decode(bad[i], &len));
}

static void urls_are_checked(void)
{
	struct kv kv;
	err_t err;
	const char *bad[] = { "", "etcd://", "consul://h:1", "etcd://h", "etcd://u:p@h:1/x", "http://h:1/v2" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(kv_open(&kv, bad[i], &err), -1);
	/* Nothing listens there: a clear error, not a hang. */
	CU_ASSERT_EQUAL_FATAL(kv_open(&kv, "etcd://127.0.0.1:1", &err), 0);
	char *value;
	CU_ASSERT_EQUAL(kv_get(&kv, "/x", &value, &err), -1);
	CU_ASSERT_EQUAL(err.code, ECONNREFUSED);
	kv_close(&kv);
}

static void keys_values_transactions_and_leases(void)
{
	if (!unit_etcd_start()) {
		unit_etcd_stop();
		CU_FAIL_FATAL("etcd cannot be started here (make deps installs etcd-server)");
	}
	struct kv kv;
	err_t err;
	char *value = NULL;
	CU_ASSERT_EQUAL_FATAL(kv_open(&kv, url, &err), 0);
	CU_ASSERT_EQUAL(kv_put(&kv, "/md/a", "one", 0, &err), 0);
	CU_ASSERT_EQUAL(kv_get(&kv, "/md/a", &value, &err), 0);
	CU_ASSERT_STRING_EQUAL(value, "one");
	free(value);
	CU_ASSERT_EQUAL(kv_get(&kv, "/md/none", &value, &err), -1);
	CU_ASSERT_EQUAL(err.code, ENOENT);
	/* Create: once only. */
	CU_ASSERT_EQUAL(kv_create(&kv, "/md/b", "first", 0, &err), 0);
	CU_ASSERT_EQUAL(kv_create(&kv, "/md/b", "second", 0, &err), -1);
	CU_ASSERT_EQUAL(err.code, EEXIST);
	CU_ASSERT_EQUAL(kv_get(&kv, "/md/b", &value, &err), 0);
	CU_ASSERT_STRING_EQUAL(value, "first");
	free(value);
	/* A prefix lists its keys, not its neighbour's ("/md0" sorts right after "/md/"). */
	CU_ASSERT_EQUAL(kv_put(&kv, "/md0", "out", 0, &err), 0);
	json_t *all = NULL;
	CU_ASSERT_EQUAL(kv_list(&kv, "/md/", &all, &err), 0);
	CU_ASSERT_EQUAL(json_object_size(all), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(all, "/md/b")), "first");
	json_decref(all);
	CU_ASSERT_EQUAL(kv_delete(&kv, "/md/", true, &err), 0);
	CU_ASSERT_EQUAL(kv_list(&kv, "/md/", &all, &err), 0);
	CU_ASSERT_EQUAL(json_object_size(all), 0);
	json_decref(all);
	CU_ASSERT_EQUAL(kv_get(&kv, "/md0", &value, &err), 0);
	free(value);
	/* A lease holds keys; revoking it deletes them; an ended lease cannot be kept alive. */
	int64_t lease = 0;
	CU_ASSERT_EQUAL_FATAL(kv_lease_grant(&kv, 30, &lease, &err), 0);
	CU_ASSERT_EQUAL(kv_put(&kv, "/md/held", "x", lease, &err), 0);
	CU_ASSERT_EQUAL(kv_lease_keepalive(&kv, lease, &err), 0);
	CU_ASSERT_EQUAL(kv_lease_revoke(&kv, lease, &err), 0);
	CU_ASSERT_EQUAL(kv_get(&kv, "/md/held", &value, &err), -1);
	CU_ASSERT_EQUAL(kv_lease_keepalive(&kv, lease, &err), -1);
	kv_close(&kv);
	unit_etcd_stop();
}

static const struct unit_test tests[] = {
	{ "base64 round trips, and what is not base64 is refused", base64_round_trips_and_refuses },
	{ "store URLs are checked; no server is an error, not a hang", urls_are_checked },
	{ "keys, values, create-once transactions, prefixes and leases against etcd", keys_values_transactions_and_leases },
	{ NULL, NULL },
};

const struct unit_suite suite_kvstore = { "kvstore", tests };
