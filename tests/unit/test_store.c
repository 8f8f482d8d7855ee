/* test_store.c - image references as Docker writes them, and finding an image by one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "unit.h"

static void parses(const char *ref, const char *name, const char *tag, const char *digest)
{
	char n[256], t[256], d[80];
	err_t err;
	int rc = img_ref_parse(ref, n, t, d, &err);
	if (rc != 0)
		fprintf(stderr, "\n  %s: %s\n", ref, err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(n, name);
	CU_ASSERT_STRING_EQUAL(t, tag);
	CU_ASSERT_STRING_EQUAL(d, digest);
}

static void refused(const char *ref)
{
	char n[256], t[256], d[80];
	err_t err;
	CU_ASSERT_EQUAL(img_ref_parse(ref, n, t, d, &err), -1);
	CU_ASSERT_EQUAL(err.code, EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "invalid reference format"));
}

#define HEX "a99ed367641a7d78a69b9349be85d7b2cad16463c8258550df4f8d4271edb9d5"

static void references(void)
{
	parses("busybox", "busybox", "latest", "");
	parses("busybox:1.36", "busybox", "1.36", "");
	parses("docker.io/library/busybox:latest", "busybox", "latest", "");
	parses("localhost:5000/team/app:v2", "localhost:5000/team/app", "v2", "");
	parses("localhost:5000/team/app", "localhost:5000/team/app", "latest", "");
	parses("busybox@sha256:" HEX, "busybox", "latest", "sha256:" HEX);
	refused("");
	refused("BusyBox");
	refused("busybox:");
	refused("busybox:-x");
	refused("busybox@sha256:abc");
	refused("/abs");
	/* Docker's grammar: no ".." component, no ':' in a name without a registry, no empty one. */
	refused("../../x:1");
	refused("a:b:c");
	refused("a//b");
	refused("a/");
	refused("a..b");
	refused("-a");
	refused("a_");
	refused("a___b");
	refused("reg.io:port/x");
	parses("a__b/c-d--e/f.g:v.1", "a__b/c-d--e/f.g", "v.1", "");
	parses("reg.example.io/team/app", "reg.example.io/team/app", "latest", "");
}

/* store_read(): every entry checked; a damaged one set aside with the reason, never used. */
static void damaged_entries(void)
{
	const char *dir = unit_mktmp();
	char path[512];
	snprintf(path, sizeof(path), "%s/images.json", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "{\"images\": {"
		   "\"%s\": {\"RepoTags\": [\"ok:1\"], \"RepoDigests\": [], \"Layers\": [\"sha256:%s\"]},"
		   "\"%.63s1\": {\"RepoTags\": [], \"RepoDigests\": [], \"Layers\": [5]},"
		   "\"%.63s2\": {\"RepoTags\": [], \"RepoDigests\": [], "
		   "\"Layers\": [\"sha256:../../../../../../../../../../../../../../../../tmp/victim///\"]},"
		   "\"%.63s3\": [1, 2, 3],"
		   "\"%.63s4\": {\"RepoTags\": [7], \"RepoDigests\": [], \"Layers\": [\"sha256:%s\"]},"
		   "\"../x\": {\"RepoTags\": [], \"RepoDigests\": [], \"Layers\": [\"sha256:%s\"]}}}",
		HEX, HEX, HEX, HEX, HEX, HEX, HEX, HEX);
	fclose(f);
	json_t *store;
	err_t err;
	CU_ASSERT_EQUAL_FATAL(store_read(dir, &store, &err), 0);
	CU_ASSERT_EQUAL(json_object_size(json_object_get(store, "images")), 1);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(json_object_get(store, "images"), HEX));
	json_t *damaged = json_object_get(store, "damaged");
	CU_ASSERT_EQUAL(json_object_size(damaged), 5);
	/* Kept as it was, with a reason: nothing is lost when the store is written back. */
	CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(json_object_get(damaged, "../x"), "Reason")));
	CU_ASSERT_EQUAL(store_write(dir, store, &err), 0);
	json_decref(store);
	CU_ASSERT_EQUAL_FATAL(store_read(dir, &store, &err), 0);
	CU_ASSERT_EQUAL(json_object_size(json_object_get(store, "damaged")), 5);
	CU_ASSERT_EQUAL(json_object_size(json_object_get(store, "images")), 1);
	json_decref(store);
	unit_rmtmp();
}

/* store_layer_path() makes a path of nothing but "sha256:" and 64 hex digits. */
static void layer_paths(void)
{
	char path[256];
	err_t err;
	CU_ASSERT_EQUAL(store_layer_path("/r", "sha256:" HEX, path, sizeof(path), &err), 0);
	CU_ASSERT_STRING_EQUAL(path, "/r/layers/" HEX);
	const char *bad[] = { "sha256:../../../../../../../../../../../../../../../../../../tmp/x/",
			      "sha256:" HEX "0", "sha256:A99ed367641a7d78a69b9349be85d7b2cad16463c8258550df4f8d4271edb9d5",
			      "sha512:" HEX, HEX, "", NULL };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(store_layer_path("/r", bad[i], path, sizeof(path), &err), -1);
		CU_ASSERT_EQUAL(err.code, EINVAL);
	}
	CU_ASSERT_EQUAL(img_read_config("/r", "../../etc/shadow", NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, EINVAL);
}

static void resolving(void)
{
	json_t *store = json_pack("{s:{s:{s:[s], s:[s]}, s:{s:[s], s:[]}}}", "images",
				  "aaaa1111" "0000000000000000000000000000000000000000000000000000000000", "RepoTags",
				  "busybox:latest", "RepoDigests", "busybox@sha256:" HEX,
				  "aaaa2222" "0000000000000000000000000000000000000000000000000000000000", "RepoTags",
				  "layers:v1", "RepoDigests");
	char id[65];
	err_t err;

	CU_ASSERT_EQUAL(img_resolve(store, "busybox", id, &err), 0);
	CU_ASSERT_EQUAL(strncmp(id, "aaaa1111", 8), 0);
	CU_ASSERT_EQUAL(img_resolve(store, "layers:v1", id, &err), 0);
	CU_ASSERT_EQUAL(strncmp(id, "aaaa2222", 8), 0);
	CU_ASSERT_EQUAL(img_resolve(store, "aaaa2", id, &err), 0);
	CU_ASSERT_EQUAL(strncmp(id, "aaaa2222", 8), 0);
	CU_ASSERT_EQUAL(img_resolve(store, "busybox@sha256:" HEX, id, &err), 0);
	CU_ASSERT_EQUAL(strncmp(id, "aaaa1111", 8), 0);
	CU_ASSERT_EQUAL(img_resolve(store, "aaaa", id, &err), -1); /* two ids start so */
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "ambiguous"));
	CU_ASSERT_EQUAL(img_resolve(store, "layers", id, &err), -1); /* layers:latest is not there */
	CU_ASSERT_EQUAL(err.code, ENOENT);
	CU_ASSERT_STRING_EQUAL(err.msg, "No such image: layers");
	json_decref(store);
}

static const struct unit_test tests[] = {
	{ "references parse as Docker writes them", references },
	{ "an image is found by tag, id prefix or digest", resolving },
	{ "a damaged images.json entry is set aside with its reason, never used", damaged_entries },
	{ "a layer's path is made only from sha256 and 64 hex digits", layer_paths },
	{ NULL, NULL },
};
const struct unit_suite suite_store = { "store", tests };
