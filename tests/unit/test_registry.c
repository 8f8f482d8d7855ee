/* test_registry.c - references as a registry reads them, and the manifest an index gives for a
 * platform (lab 12's reg_pick_manifest(), on the reference). */
#include <errno.h>
#include <string.h>

#include "distribution.h"
#include "registry.h"
#include "unit.h"

static void test_ref_split(void)
{
	struct reg_ref r;
	err_t err;
	CU_ASSERT_EQUAL(reg_parse_ref("localhost:5000/team/app:1", &r, &err), 0);
	CU_ASSERT_STRING_EQUAL(r.host, "localhost:5000");
	CU_ASSERT_STRING_EQUAL(r.repo, "team/app");
	CU_ASSERT_STRING_EQUAL(r.name, "localhost:5000/team/app");
	CU_ASSERT_STRING_EQUAL(r.tag, "1");
	CU_ASSERT_EQUAL(reg_parse_ref("busybox", &r, &err), 0);
	CU_ASSERT_STRING_EQUAL(r.host, "docker.io");
	CU_ASSERT_STRING_EQUAL(r.repo, "library/busybox");
	CU_ASSERT_STRING_EQUAL(r.tag, "latest");
	CU_ASSERT_EQUAL(reg_parse_ref("team/app", &r, &err), 0);
	CU_ASSERT_STRING_EQUAL(r.host, "docker.io");
	CU_ASSERT_STRING_EQUAL(r.repo, "team/app");
	CU_ASSERT_EQUAL(reg_parse_ref("reg.example:443/a/b/c@sha256:"
				      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
				      &r, &err),
			0);
	CU_ASSERT_STRING_EQUAL(r.host, "reg.example:443");
	CU_ASSERT_STRING_EQUAL(r.repo, "a/b/c");
	CU_ASSERT_EQUAL(strncmp(r.digest, "sha256:0123", 11), 0);
	/* A first component without '.' or ':' is a path, not a host. */
	CU_ASSERT_EQUAL(reg_parse_ref("localhostx/app", &r, &err), 0);
	CU_ASSERT_STRING_EQUAL(r.host, "docker.io");
	CU_ASSERT_EQUAL(reg_parse_ref("Upper/app", &r, &err), -1);
	CU_ASSERT_EQUAL(reg_parse_ref("../x", &r, &err), -1);
}

#define D(c) "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
static void test_pick_manifest(void)
{
	err_t err;
	char out[DIGEST_LEN + 1];
	json_t *index = json_pack(
		"{s:[{s:s, s:{s:s, s:s}}, {s:s, s:{s:s, s:s, s:s}}, {s:s, s:{s:s, s:s}}, {s:s, s:{s:s, s:s}}]}",
		"manifests", "digest", D("a"), "platform", "os", "linux", "architecture", "arm64", "digest", D("b"),
		"platform", "os", "linux", "architecture", "arm", "variant", "v7", "digest", "sha256:../../x", "platform",
		"os", "linux", "architecture", "amd64", "digest", D("c"), "platform", "os", "linux", "architecture",
		"amd64");
	CU_ASSERT_EQUAL(reg_pick_manifest(index, "linux", "amd64", out, &err), 0);
	CU_ASSERT_STRING_EQUAL(out, D("c")); /* the bad digest before it is skipped */
	CU_ASSERT_EQUAL(reg_pick_manifest(index, "linux", "arm", out, &err), 0);
	CU_ASSERT_STRING_EQUAL(out, D("b"));
	CU_ASSERT_EQUAL(reg_pick_manifest(index, "windows", "amd64", out, &err), -1);
	CU_ASSERT_EQUAL(err.code, ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no matching manifest for windows/amd64"));
	json_decref(index);
	json_t *empty = json_object();
	CU_ASSERT_EQUAL(reg_pick_manifest(empty, "linux", "amd64", out, &err), -1);
	json_decref(empty);
}

static const struct unit_test tests[] = {
	{ "references: host, repository, tag, digest", test_ref_split },
	{ "an index gives the manifest of a platform", test_pick_manifest },
	{ NULL, NULL },
};

const struct unit_suite suite_registry = { "registry", tests };
