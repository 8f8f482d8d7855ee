/* test_cluster.c - the overlay networks' shared state, against a real etcd (unit_etcd_start()). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster.h"
#include "json.h"
#include "unit.h"

/* A state directory whose daemon.json names the test's etcd and the loopback. */
static bool cluster_up(struct cluster *c, char *root, size_t len)
{
	err_t err;
	if (!unit_etcd_start())
		return false;
	char path[512];
	snprintf(root, len, "/tmp/minidock-unit-cluster.%d", (int)getpid());
	mkdir(root, 0700);
	snprintf(path, sizeof(path), "%s/daemon.json", root);
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	fprintf(f, "{\"cluster-store\": \"%s\", \"cluster-advertise\": \"127.0.0.1\"}\n", unit_etcd_url());
	fclose(f);
	return cluster_open(root, c, &err) == 0;
}

static void cluster_down(struct cluster *c, const char *root)
{
	char path[512];
	cluster_close(c);
	snprintf(path, sizeof(path), "%s/daemon.json", root);
	unlink(path);
	rmdir(root);
	unit_etcd_stop();
}

static void config_is_checked(void)
{
	struct cluster c;
	err_t err;
	char root[] = "/tmp/minidock-unit-noconf.XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(root));
	CU_ASSERT_EQUAL(cluster_open(root, &c, &err), -1);
	CU_ASSERT_EQUAL(err.code, ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cluster-store"));
	const char *bad[] = { "[]", "{\"cluster-store\": 1, \"cluster-advertise\": \"lo\"}",
			      "{\"cluster-store\": \"etcd://h:1\", \"cluster-advertise\": \"nosuchif0\"}",
			      "{\"cluster-store\": \"ftp://h:1\", \"cluster-advertise\": \"127.0.0.1\"}" };
	char path[600];
	snprintf(path, sizeof(path), "%s/daemon.json", root);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(path, "w");
		fputs(bad[i], f);
		fclose(f);
		CU_ASSERT_EQUAL(cluster_open(root, &c, &err), -1);
	}
	unlink(path);
	rmdir(root);
}

static void networks_vnis_and_addresses(void)
{
	struct cluster c;
	char root[256];
	err_t err;
	if (!cluster_up(&c, root, sizeof(root))) {
		cluster_down(&c, root);
		CU_FAIL_FATAL("etcd cannot be started here (make deps installs etcd-server)");
	}
	json_t *a = NULL, *b = NULL, *again = NULL;
	CU_ASSERT_EQUAL_FATAL(ov_net_create(&c, "front", NULL, NULL, true, &a, &err), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "Subnet")), "10.0.0.0/24");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "Gateway")), "10.0.0.1");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "VNI")), OV_VNI_FIRST);
	CU_ASSERT_EQUAL_FATAL(ov_net_create(&c, "back", NULL, NULL, false, &b, &err), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(b, "Subnet")), "10.0.1.0/24");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(b, "VNI")), OV_VNI_FIRST + 1);
	CU_ASSERT_EQUAL(ov_net_create(&c, "front", "10.9.0.0/24", NULL, false, &again, &err), -1);
	CU_ASSERT_EQUAL(err.code, EEXIST);
	CU_ASSERT_EQUAL(ov_net_create(&c, "../x", NULL, NULL, false, &again, &err), -1);
	CU_ASSERT_EQUAL(ov_net_create(&c, "odd", "10.9.0.0/33", NULL, false, &again, &err), -1);

	/* Addresses: the lowest free, never one twice, even from many processes at once. */
	struct in_addr addr;
	CU_ASSERT_EQUAL(ov_attach(&c, a, "c1", "web", 0, &addr, &err), 0);
	CU_ASSERT_STRING_EQUAL(inet_ntoa(addr), "10.0.0.2");
	/* A real container's ID (64 digits) is listed; its MAC is 02:42 and the address. */
	const char *long_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	json_t *listed = NULL;
	CU_ASSERT_EQUAL(ov_attach(&c, a, long_id, "db", 0, &addr, &err), 0);
	CU_ASSERT_EQUAL_FATAL(ov_endpoints(&c, a, &listed, &err), 0);
	CU_ASSERT_STRING_EQUAL(json_str(json_object_get(listed, long_id), "MacAddress"), "02:42:0a:00:00:03");
	json_decref(listed);
	CU_ASSERT_EQUAL(ov_rename(&c, a, long_id, "db2", &err), 0); /* `rename`: the DNS's name */
	CU_ASSERT_EQUAL_FATAL(ov_endpoints(&c, a, &listed, &err), 0);
	CU_ASSERT_STRING_EQUAL(json_str(json_object_get(listed, long_id), "Name"), "db2");
	json_decref(listed);
	CU_ASSERT_EQUAL(ov_detach(&c, a, long_id, &err), 0);
	enum { N = 8 };
	pid_t kids[N];
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			struct cluster mine;
			char id[16];
			snprintf(id, sizeof(id), "k%d", i);
			_exit(cluster_open(root, &mine, &err) == 0 &&
					      ov_attach(&mine, a, id, id, 0, &addr, &err) == 0
				      ? 0
				      : 1);
		}
	}
	int fine = 0;
	for (int i = 0; i < N; i++) {
		int status;
		waitpid(kids[i], &status, 0);
		fine += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	CU_ASSERT_EQUAL(fine, N);
	json_t *eps = NULL;
	CU_ASSERT_EQUAL_FATAL(ov_endpoints(&c, a, &eps, &err), 0);
	CU_ASSERT_EQUAL(json_object_size(eps), N + 1);
	json_t *seen = json_object();
	const char *id;
	json_t *ep;
	json_object_foreach(eps, id, ep)
		json_object_set(seen, json_string_value(json_object_get(ep, "IPv4Address")), ep);
	CU_ASSERT_EQUAL(json_object_size(seen), N + 1); /* all different */
	json_decref(seen);
	json_decref(eps);

	/* Removal: refused while endpoints remain; then the name and the VNI are free again. */
	CU_ASSERT_EQUAL(ov_net_remove(&c, "front", &err), -1);
	CU_ASSERT_EQUAL(err.code, EBUSY);
	CU_ASSERT_EQUAL(ov_detach(&c, a, "c1", &err), 0);
	for (int i = 0; i < N; i++) {
		char kid[16];
		snprintf(kid, sizeof(kid), "k%d", i);
		CU_ASSERT_EQUAL(ov_detach(&c, a, kid, &err), 0);
	}
	CU_ASSERT_EQUAL(ov_net_remove(&c, "front", &err), 0);
	CU_ASSERT_EQUAL(ov_net_get(&c, "front", &again, &err), -1);
	CU_ASSERT_EQUAL(err.code, ENOENT);
	json_t *third = NULL;
	CU_ASSERT_EQUAL(ov_net_create(&c, "third", NULL, NULL, false, &third, &err), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(third, "VNI")), OV_VNI_FIRST);

	/* A lease holds an address: revoked (its host died), the address is free again. */
	int64_t lease;
	CU_ASSERT_EQUAL_FATAL(kv_lease_grant(&c.kv, 30, &lease, &err), 0);
	CU_ASSERT_EQUAL(ov_attach(&c, b, "held", "h", lease, &addr, &err), 0);
	CU_ASSERT_STRING_EQUAL(inet_ntoa(addr), "10.0.1.2");
	CU_ASSERT_EQUAL(kv_lease_revoke(&c.kv, lease, &err), 0);
	CU_ASSERT_EQUAL(ov_attach(&c, b, "next", "n", 0, &addr, &err), 0);
	CU_ASSERT_STRING_EQUAL(inet_ntoa(addr), "10.0.1.2");

	json_decref(a);
	json_decref(b);
	json_decref(third);
	cluster_down(&c, root);
}

static const struct unit_test tests[] = {
	{ "daemon.json is read and checked; no store says how to name one", config_is_checked },
	{ "overlay networks, VNIs and addresses in etcd: unique across processes, freed, leased", networks_vnis_and_addresses },
	{ NULL, NULL },
};

const struct unit_suite suite_cluster = { "cluster", tests };
