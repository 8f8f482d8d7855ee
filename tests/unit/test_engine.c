/* test_engine.c - lab 13's functions on the reference: a path's API version, Docker's frames, a
 * create request as create's arguments; and the events' journal (lib/engine/events.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "events.h"
#include "unit.h"

static void test_api_path(void)
{
	char out[64];
	err_t err;
	CU_ASSERT_EQUAL(api_path("/v1.41/containers/json", out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/containers/json");
	CU_ASSERT_EQUAL(api_path("/containers/json", out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/containers/json");
	CU_ASSERT_EQUAL(api_path("/v1.12/_ping", out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/_ping");
	CU_ASSERT_EQUAL(api_path("/v1.41", out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/");
	CU_ASSERT_EQUAL(api_path("/v1.42/info", out, sizeof(out), &err), -1);
	CU_ASSERT_EQUAL(err.code, EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "client version 1.42 is too new"));
	CU_ASSERT_EQUAL(api_path("/v2.0/info", out, sizeof(out), &err), -1);
	CU_ASSERT_EQUAL(api_path("/v1.9/info", out, sizeof(out), &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "too old"));
	/* not versions: as they are */
	CU_ASSERT_EQUAL(api_path("/vfoo/info", out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/vfoo/info");
	CU_ASSERT_EQUAL(api_path("/v1/info", out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/v1/info");
	CU_ASSERT_EQUAL(api_path("/v1.41x/info", out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/v1.41x/info");
	CU_ASSERT_EQUAL(api_path("/v1.41/a-path-longer-than-the-sixty-four-bytes-of-the-output-buffer-it-is-given", out, sizeof(out), &err), -1);
	CU_ASSERT_EQUAL(err.code, ENAMETOOLONG);
}

static void test_api_frame(void)
{
	int p[2];
	unsigned char buf[64];
	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	CU_ASSERT_EQUAL(api_frame(p[1], 2, "oops\n", 5), 0);
	CU_ASSERT_EQUAL(api_frame(p[1], 1, "", 0), 0); /* nothing */
	CU_ASSERT_EQUAL(read(p[0], buf, sizeof(buf)), 13);
	const unsigned char want[] = { 2, 0, 0, 0, 0, 0, 0, 5, 'o', 'o', 'p', 's', '\n' };
	CU_ASSERT_EQUAL(memcmp(buf, want, sizeof(want)), 0);
	errno = 0;
	CU_ASSERT_EQUAL(api_frame(p[1], 3, "x", 1), -1);
	CU_ASSERT_EQUAL(errno, EINVAL);
	close(p[0]);
	close(p[1]);
}

/* api_create_args() of body (JSON text) joined with spaces, or "ERR: message". */
static char *create_args(const char *body, const char *name)
{
	json_t *b = json_loads(body, 0, NULL), *args = json_array();
	err_t err;
	char *out = NULL;
	if (api_create_args(b, name, args, &err) < 0) {
		out = malloc(strlen(err.msg) + 6);
		strcpy(out, "ERR: ");
		strcat(out, err.msg);
	} else {
		size_t len = 1, i;
		json_t *a;
		json_array_foreach(args, i, a)
			len += strlen(json_string_value(a)) + 1;
		out = calloc(1, len);
		json_array_foreach(args, i, a) {
			if (i)
				strcat(out, " ");
			strcat(out, json_string_value(a));
		}
	}
	json_decref(b);
	json_decref(args);
	return out;
}

#define CREATES(body, name, want)                           \
	do {                                                \
		char *got = create_args(body, name);        \
		CU_ASSERT_STRING_EQUAL(got, want);          \
		free(got);                                  \
	} while (0)

static void test_create_args(void)
{
	CREATES("{\"Image\": \"busybox\"}", NULL, "busybox");
	CREATES("{\"Image\": \"busybox\", \"Cmd\": [\"echo\", \"hi\"]}", "web", "--name web busybox echo hi");
	CREATES("{\"Image\": \"busybox\", \"Cmd\": \"true\"}", "", "busybox true");
	CREATES("{\"Image\": \"b\", \"Env\": [\"A=1\", \"B=2\"], \"WorkingDir\": \"/w\", \"User\": \"\", \"Tty\": true,"
		" \"OpenStdin\": true}",
		NULL, "-w /w -e A=1 -e B=2 -t -i b");
	CREATES("{\"Image\": \"b\", \"HostConfig\": {\"PortBindings\": {\"80/tcp\": [{\"HostIp\": \"127.0.0.1\","
		" \"HostPort\": \"8080\"}, {\"HostIp\": \"\", \"HostPort\": \"8081\"}]}}}",
		NULL, "-p 127.0.0.1:8080:80/tcp -p 8081:80/tcp b");
	CREATES("{\"Image\": \"b\", \"HostConfig\": {\"RestartPolicy\": {\"Name\": \"on-failure\", \"MaximumRetryCount\": 3}}}",
		NULL, "--restart on-failure:3 b");
	CREATES("{\"Image\": \"b\", \"HostConfig\": {\"RestartPolicy\": {\"Name\": \"no\"}, \"AutoRemove\": true,"
		" \"NetworkMode\": \"default\"}}",
		NULL, "--rm b");
	CREATES("{\"Image\": \"b\", \"Entrypoint\": [\"sh\", \"-c\"], \"Cmd\": [\"exit 3\"]}", NULL,
		"--entrypoint sh b -c exit 3");
	CREATES("{\"Image\": \"b\", \"Entrypoint\": []}", NULL, "--entrypoint  b");
	CREATES("{\"Image\": \"b\", \"HostConfig\": {\"NanoCpus\": 1500000000, \"Memory\": 33554432}}", NULL,
		"-m 33554432 --cpus 1.500000000 b");
	CREATES("{\"Image\": \"b\", \"ExposedPorts\": {\"80/tcp\": {}}, \"StopSignal\": \"SIGTERM\"}", NULL, "b");
	CREATES("{\"Image\": \"b\", \"Volumes\": {\"/www\": {}, \"/tmp\": {}}, \"HostConfig\": {\"Binds\": [\"site:/www:rw\"]},"
		" \"NetworkingConfig\": {\"EndpointsConfig\": {\"proj_back\": {\"Aliases\": [\"web\", \"0123abcd\"]}}}}",
		NULL, "-v /tmp -v site:/www:rw --network-alias web --network-alias 0123abcd b");
	/* refused, by name */
	CREATES("{\"Cmd\": [\"true\"]}", NULL, "ERR: Image is required");
	CREATES("{\"Image\": \"b\", \"Env\": \"A=1\"}", NULL, "ERR: Env: a list of strings");
	CREATES("{\"Image\": \"b\", \"Env\": [1]}", NULL, "ERR: Env: a list of strings");
	CREATES("{\"Image\": \"b\", \"Labels\": [\"a\"]}", NULL, "ERR: Labels: an object");
	CREATES("{\"Image\": \"b\", \"HostConfig\": {\"Privileged\": \"yes\"}}", NULL, "ERR: Privileged: true or false");
	CREATES("{\"Image\": \"b\", \"HostConfig\": {\"Memory\": -1}}", NULL, "ERR: Memory: a number, 0 or more");
	CREATES("[\"b\"]", NULL, "ERR: a create request is a JSON object");
}

static void test_events(void)
{
	char root[] = "/tmp/minidock-events-XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(root));
	struct ev_reader r;
	json_t *ev;
	CU_ASSERT_EQUAL_FATAL(ev_open(&r, root, 0), 0);
	CU_ASSERT_EQUAL(ev_next(&r, &ev), 0);
	CU_ASSERT_PTR_NULL(ev);
	json_t *doc = json_pack("{s:s, s:s, s:{s:s}}", "Id", "abc", "Name", "/web", "Config", "Image", "busybox");
	json_t *code = json_pack("{s:s}", "exitCode", "3");
	ev_container(root, "die", doc, code);
	CU_ASSERT_EQUAL(ev_next(&r, &ev), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ev, "Action")), "die");
	const json_t *attrs = json_object_get(json_object_get(ev, "Actor"), "Attributes");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(attrs, "exitCode")), "3");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(attrs, "name")), "web");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ev, "from")), "busybox");
	json_decref(ev);
	ev_close(&r);
	json_decref(doc);
	json_decref(code);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static const struct unit_test tests[] = {
	{ "api_path: versions in paths, too new, too old, not versions", test_api_path },
	{ "api_frame: Docker's 8-byte header, nothing for nothing, a bad stream", test_api_frame },
	{ "api_create_args: Docker's create JSON as create's flags; bad fields refused by name", test_create_args },
	{ "events: a container's die read back with its exit code", test_events },
	{ NULL, NULL },
};

const struct unit_suite suite_engine = { "engine", tests };
