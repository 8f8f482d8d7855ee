/* test_store.c - image references as Docker writes them, and finding an image by one. */
#include <errno.h>
#include <string.h>

#include "image.h"
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
	{ NULL, NULL },
};
const struct unit_suite suite_store = { "store", tests };
