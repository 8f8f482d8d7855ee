/* test_security.c - capabilities from --cap-add/--cap-drop, sizes, and seccomp profiles: the
 * built-in default against Docker's own default.json. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fsutil.h"
#include "security.h"
#include "volume.h"
#include "volumes.h"
#include "unit.h"

/* Docker's default.json, fetched by the Makefile (grader/vm/fetch-docker-profile.sh). */
#define DOCKER_PROFILE "build/vm/docker/seccomp-default.json"

static uint64_t caps_of(const char *add, const char *drop)
{
	json_t *a = json_loads(add, 0, NULL), *d = json_loads(drop, 0, NULL);
	uint64_t caps = 0;
	err_t err;
	int rc = caps_from_lists(a, d, &caps, &err);
	json_decref(a);
	json_decref(d);
	return rc < 0 ? UINT64_MAX : caps;
}

static void capabilities(void)
{
	CU_ASSERT_EQUAL(caps_of("null", "null"), 0xa80425fb);
	CU_ASSERT_EQUAL(caps_docker_default, 0xa80425fb);
	CU_ASSERT_EQUAL(caps_of("[\"net_bind_service\"]", "[\"ALL\"]"), 0x400);
	CU_ASSERT_EQUAL(caps_of("[\"CAP_SYS_TIME\"]", "[\"chown\"]"), 0xaa0425fa);
	CU_ASSERT_EQUAL(caps_of("[\"all\"]", "[\"CAP_CHOWN\"]"), caps_all() & ~UINT64_C(1));
	CU_ASSERT_EQUAL(caps_of("[\"NET_ADMIN\"]", "[\"NET_ADMIN\"]"), 0xa80425fb | CAP_BIT(CAP_NET_ADMIN));
	CU_ASSERT_EQUAL(caps_of("[\"NOT_A_CAP\"]", "null"), UINT64_MAX);
	CU_ASSERT_EQUAL(caps_of("[\"CAP_\"]", "null"), UINT64_MAX);
	CU_ASSERT_EQUAL(caps_of("null", "[\"chown; rm\"]"), UINT64_MAX);
	CU_ASSERT_EQUAL(caps_of("[5]", "null"), UINT64_MAX);
}

static void sizes(void)
{
	int64_t v;
	CU_ASSERT(parse_size("32m", &v) == 0 && v == 32 << 20);
	CU_ASSERT(parse_size("1g", &v) == 0 && v == 1 << 30);
	CU_ASSERT(parse_size("512K", &v) == 0 && v == 512 << 10);
	CU_ASSERT(parse_size("64mb", &v) == 0 && v == 64 << 20);
	CU_ASSERT(parse_size("100", &v) == 0 && v == 100);
	CU_ASSERT(parse_size("1.5k", &v) == 0 && v == 1536);
	CU_ASSERT_EQUAL(parse_size("", &v), -1);
	CU_ASSERT_EQUAL(parse_size("-1m", &v), -1);
	CU_ASSERT_EQUAL(parse_size("12x", &v), -1);
	CU_ASSERT_EQUAL(parse_size("1e30", &v), -1);
	CU_ASSERT(parse_cpus("0.5", &v) == 0 && v == 500000000);
	CU_ASSERT(parse_cpus("2", &v) == 0 && v == 2000000000);
	CU_ASSERT_EQUAL(parse_cpus("0", &v), -1);
	CU_ASSERT_EQUAL(parse_cpus("half", &v), -1);
}

/* One line per (system call, rule): what the filter does with it, in words that do not depend
 * on how the profile was written down. */
static char **profile_lines(const struct sec_profile *p, size_t *out_n)
{
	size_t n = 0, cap = 64;
	char **lines = malloc(cap * sizeof(char *));
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct sec_rule *r = &p->rules[i];
		for (size_t k = 0; r->names[k]; k++) {
			char args[512] = "";
			for (size_t a = 0; a < r->n_args; a++)
				snprintf(args + strlen(args), sizeof(args) - strlen(args), " %u:%d:%llx:%llx", r->args[a].index,
					 (int)r->args[a].op, (unsigned long long)r->args[a].value,
					 (unsigned long long)r->args[a].value_two);
			if (n == cap)
				lines = realloc(lines, (cap *= 2) * sizeof(char *));
			if (asprintf(&lines[n++], "%s action %d errno %d needs %llx not %llx%s", r->names[k], (int)r->action,
				     r->action == SEC_ACT_ERRNO ? r->errno_ret : 0, (unsigned long long)r->caps_needed,
				     (unsigned long long)r->caps_excluded, args) < 0)
				n--;
		}
	}
	*out_n = n;
	return lines;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void docker_default_profile(void)
{
	char *text;
	err_t err;
	if (fs_read_file(DOCKER_PROFILE, 1 << 20, &text, NULL, &err) < 0) {
		fprintf(stderr, "\n  %s: not fetched (make %s): the built-in profile is not compared\n", DOCKER_PROFILE,
			DOCKER_PROFILE);
		return;
	}
	struct sec_profile docker;
	int rc = sec_profile_parse(text, &docker, &err);
	free(text);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(docker.default_action, sec_default_profile.default_action);
	CU_ASSERT_EQUAL(docker.default_errno, sec_default_profile.default_errno);
	size_t n_docker, n_ours;
	char **theirs = profile_lines(&docker, &n_docker), **ours = profile_lines(&sec_default_profile, &n_ours);
	qsort(theirs, n_docker, sizeof(char *), by_text);
	qsort(ours, n_ours, sizeof(char *), by_text);
	CU_ASSERT_EQUAL(n_docker, n_ours);
	for (size_t i = 0; i < n_docker && i < n_ours; i++) {
		if (strcmp(theirs[i], ours[i]) != 0) {
			fprintf(stderr, "\n  Docker: %s\n  ours:   %s\n", theirs[i], ours[i]);
			CU_FAIL("the built-in profile differs from Docker's default.json");
			break;
		}
	}
	for (size_t i = 0; i < n_docker; i++)
		free(theirs[i]);
	for (size_t i = 0; i < n_ours; i++)
		free(ours[i]);
	free(theirs);
	free(ours);
	sec_profile_free(&docker);
}

static void bad_profiles(void)
{
	static const char *const bad[] = {
		"[]",
		"{}",
		"{\"defaultAction\": \"SCMP_ACT_NOPE\"}",
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}",
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": {}}",
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\"}]}",
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [1], \"action\": \"SCMP_ACT_ALLOW\"}]}",
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": 1}]}",
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
		"\"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_SOMETIMES\"}]}]}",
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
		"\"includes\": {\"caps\": [\"CAP_NOPE\"]}}]}",
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
		"\"includes\": {\"arches\": \"amd64\"}}]}",
		NULL,
	};
	for (size_t i = 0; bad[i]; i++) {
		struct sec_profile p;
		err_t err;
		int rc = sec_profile_parse(bad[i], &p, &err);
		if (rc == 0) {
			fprintf(stderr, "\n  accepted: %s\n", bad[i]);
			sec_profile_free(&p);
		}
		CU_ASSERT_EQUAL(rc, -1);
	}
	/* Another machine's rule is left out; "name" instead of "names" is read. */
	struct sec_profile p;
	err_t err;
	CU_ASSERT_EQUAL_FATAL(sec_profile_parse("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
						"{\"names\": [\"a\"], \"action\": \"SCMP_ACT_KILL\", \"includes\": {\"arches\": [\"s390x\"]}},"
						"{\"names\": [\"b\"], \"action\": \"SCMP_ACT_KILL\", \"excludes\": {\"arches\": [\"amd64\"]}},"
						"{\"name\": \"c\", \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}]}",
						&p, &err),
			      0);
	CU_ASSERT_EQUAL(p.n_rules, 1);
	CU_ASSERT_STRING_EQUAL(p.rules[0].names[0], "c");
	CU_ASSERT_EQUAL(p.rules[0].errno_ret, 38);
	sec_profile_free(&p);
}

/* A layer copied for --userns-remap: the same tree, owners moved up by the range's start. */
static void shifted_layer(void)
{
	const char *root = unit_mktmp();
	const char *hex = "1111111111111111111111111111111111111111111111111111111111111111";
	const char *image = "2222222222222222222222222222222222222222222222222222222222222222";
	char path[PATH_MAX], layer[PATH_MAX], copy[PATH_MAX];
	struct userns_map m = { .uid = 100000, .gid = 200000, .count = 65536 };
	struct stat a, b;
	err_t err;

	snprintf(path, sizeof(path), "%s/images.json", root);
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "{\"images\": {\"%s\": {\"RepoTags\": [], \"RepoDigests\": [], \"Layers\": [\"sha256:%s\"]}}}", image, hex);
	fclose(f);
	/* The layer: a directory hiding what is below it, a set-user-ID file of uid 1000, a hard
	 * link to it, a symbolic link, a whiteout (character device 0:0). */
	snprintf(layer, sizeof(layer), "%s/layers/%s", root, hex);
	snprintf(path, sizeof(path), "%s/etc", layer);
	CU_ASSERT_EQUAL_FATAL(fs_mkdir_p(path, 0755, &err), 0);
	CU_ASSERT_EQUAL(setxattr(path, "trusted.overlay.opaque", "y", 1, 0), 0);
	snprintf(path, sizeof(path), "%s/etc/tool", layer);
	CU_ASSERT_EQUAL(fs_write_atomic(path, "data", 4, 0755, &err), 0);
	CU_ASSERT_EQUAL(chown(path, 1000, 1000), 0);
	CU_ASSERT_EQUAL(chmod(path, 04755), 0);
	snprintf(copy, sizeof(copy), "%s/etc/tool-link", layer);
	CU_ASSERT_EQUAL(link(path, copy), 0);
	snprintf(path, sizeof(path), "%s/etc/to-tool", layer);
	CU_ASSERT_EQUAL(symlink("tool", path), 0);
	snprintf(path, sizeof(path), "%s/etc/gone", layer);
	CU_ASSERT_EQUAL(mknod(path, S_IFCHR | 0, makedev(0, 0)), 0);

	char store[PATH_MAX];
	CU_ASSERT_EQUAL_FATAL(userns_layers(root, image, &m, store, &err), 0);
	snprintf(path, sizeof(path), "%s/remap/100000.200000", root);
	CU_ASSERT_STRING_EQUAL(store, path);
	snprintf(copy, sizeof(copy), "%s/layers/%s", store, hex);
	CU_ASSERT_EQUAL_FATAL(lstat(copy, &b), 0);
	CU_ASSERT(b.st_uid == 100000 && b.st_gid == 200000);
	snprintf(path, sizeof(path), "%s/etc", copy);
	char opaque[2] = "";
	CU_ASSERT_EQUAL(getxattr(path, "trusted.overlay.opaque", opaque, sizeof(opaque)), 1);
	snprintf(path, sizeof(path), "%s/etc/tool", copy);
	CU_ASSERT_EQUAL_FATAL(lstat(path, &b), 0);
	CU_ASSERT(b.st_uid == 101000 && b.st_gid == 201000);
	CU_ASSERT_EQUAL(b.st_mode & 07777, 04755); /* chown before chmod: set-user-ID kept */
	CU_ASSERT_EQUAL(b.st_nlink, 2);
	snprintf(path, sizeof(path), "%s/etc/tool-link", copy);
	CU_ASSERT_EQUAL(lstat(path, &a), 0);
	CU_ASSERT_EQUAL(a.st_ino, b.st_ino);
	snprintf(path, sizeof(path), "%s/etc/to-tool", copy);
	char target[16] = "";
	CU_ASSERT_EQUAL(readlink(path, target, sizeof(target) - 1), 4);
	CU_ASSERT_STRING_EQUAL(target, "tool");
	snprintf(path, sizeof(path), "%s/etc/gone", copy);
	CU_ASSERT(lstat(path, &b) == 0 && S_ISCHR(b.st_mode) && b.st_rdev == makedev(0, 0) && b.st_uid == 100000);
	/* The store's images.json is the store's own, through a link. */
	snprintf(path, sizeof(path), "%s/images.json", store);
	CU_ASSERT(lstat(path, &b) == 0 && S_ISLNK(b.st_mode));

	/* A file owned beyond the range cannot be shifted: refused, and nothing half-made stays. */
	snprintf(path, sizeof(path), "%s/etc/far", layer);
	CU_ASSERT_EQUAL(fs_write_atomic(path, "x", 1, 0644, &err), 0);
	CU_ASSERT_EQUAL(chown(path, 70000, 0), 0);
	struct userns_map other = { .uid = 300000, .gid = 300000, .count = 65536 };
	CU_ASSERT_EQUAL(userns_layers(root, image, &other, store, &err), -1);
	CU_ASSERT_EQUAL(err.code, EOVERFLOW);
	snprintf(path, sizeof(path), "%s/layers", store);
	DIR *dir = opendir(path);
	int entries = 0;
	while (dir && readdir(dir))
		entries++;
	if (dir)
		closedir(dir);
	CU_ASSERT_EQUAL(entries, 2); /* . and .. */

	/* image rm's part: the copies of a layer go with it. */
	userns_forget_layer(root, "sha256:1111111111111111111111111111111111111111111111111111111111111111");
	CU_ASSERT_EQUAL(access(copy, F_OK), -1);
	unit_rmtmp();
}

/* A container's Mounts read back from its state file are checked again before they name a file. */
static void mounts_from_state(void)
{
	const char *root = unit_mktmp();
	static const char *const bad[] = {
		"[{\"Type\": \"bind\", \"Source\": \"/\", \"Destination\": \"/h\", \"RW\": true}]",
		"[{\"Type\": \"bind\", \"Source\": \"/tmp/../etc\", \"Destination\": \"/h\", \"RW\": true}]",
		"[{\"Type\": \"bind\", \"Source\": \"etc\", \"Destination\": \"/h\", \"RW\": true}]",
		"[{\"Type\": \"volume\", \"Name\": \"../../etc\", \"Destination\": \"/v\", \"RW\": true}]",
		"[{\"Type\": \"volume\", \"Name\": \"ok\", \"Destination\": \"/v/../..\", \"RW\": true}]",
		"[{\"Type\": \"volume\", \"Name\": \"ok\", \"Destination\": \"/v\", \"RW\": \"yes\"}]",
		"[{\"Type\": \"tmpfs\", \"Destination\": \"/t\", \"RW\": true, \"TmpfsOptions\": \"size=1m,uid=0/x\"}]",
		"[{\"Type\": \"nfs\", \"Destination\": \"/t\", \"RW\": true}]",
		"{\"Type\": \"bind\"}",
		NULL,
	};
	for (size_t i = 0; bad[i]; i++) {
		json_t *doc = json_pack("{s:o}", "Mounts", json_loads(bad[i], 0, NULL));
		struct vol_mount *list;
		size_t n;
		err_t err;
		int rc = vol_mounts_of(root, doc, &list, &n, &err);
		if (rc == 0) {
			fprintf(stderr, "\n  accepted: %s\n", bad[i]);
			free(list);
		}
		CU_ASSERT_EQUAL(rc, -1);
		json_decref(doc);
	}
	/* A volume whose volume.json was changed to bind a relative device. */
	char made[VOL_NAME_MAX], path[PATH_MAX];
	bool was_made;
	err_t err;
	CU_ASSERT_EQUAL_FATAL(vol_create(root, "vv", NULL, NULL, false, made, &was_made, &err), 0);
	snprintf(path, sizeof(path), "%s/volumes/vv/volume.json", root);
	const char *forged = "{\"Name\": \"vv\", \"Driver\": \"local\", \"CreatedAt\": \"x\", \"Labels\": {},"
			     " \"Options\": {\"type\": \"none\", \"o\": \"bind\", \"device\": \"etc\"}}";
	CU_ASSERT_EQUAL(fs_write_atomic(path, forged, strlen(forged), 0644, &err), 0);
	json_t *doc = json_pack("{s:[{s:s, s:s, s:s, s:b}]}", "Mounts", "Type", "volume", "Name", "vv", "Destination", "/v",
				"RW", 1);
	struct vol_mount *list;
	size_t n;
	CU_ASSERT_EQUAL(vol_mounts_of(root, doc, &list, &n, &err), -1);
	json_decref(doc);
	unit_rmtmp();
}

static const struct unit_test tests[] = {
	{ "capabilities from --cap-add and --cap-drop, as Docker's", capabilities },
	{ "sizes and CPUs as Docker writes them", sizes },
	{ "the built-in profile says what Docker's default.json says", docker_default_profile },
	{ "profiles that are not Docker's format are refused", bad_profiles },
	{ "a layer shifted for --userns-remap keeps all but its owners, moved into the range", shifted_layer },
	{ "a container's Mounts read back from its state are checked before they name a file", mounts_from_state },
	{ NULL, NULL },
};

const struct unit_suite suite_security = { "security", tests };
