/* test_container.c - the container store (names, ids, prefixes, removal), the json-file log
 * format, and Docker's way of writing times. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "fsutil.h"
#include "json.h"
#include "lifecycle.h"
#include "timefmt.h"
#include "unit.h"

static void human_durations(void)
{
	static const struct {
		double seconds;
		const char *text;
	} cases[] = {
		{ 0.2, "Less than a second" }, { 1, "1 second" },        { 59, "59 seconds" },
		{ 60, "About a minute" },      { 119, "About a minute" }, { 120, "2 minutes" },
		{ 3599, "59 minutes" },        { 3600, "About an hour" }, { 7200, "2 hours" },
		{ 47 * 3600, "47 hours" },     { 48 * 3600, "2 days" },   { 14 * 86400, "2 weeks" },
		{ 61 * 86400, "2 months" },    { 800 * 86400, "2 years" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_human_duration(cases[i].seconds, out, sizeof(out));
		if (strcmp(out, cases[i].text) != 0)
			fprintf(stderr, "\n  %.0f s: \"%s\", want \"%s\"\n", cases[i].seconds, out, cases[i].text);
		CU_ASSERT_STRING_EQUAL(out, cases[i].text);
	}
}

static void rfc3339(void)
{
	struct timespec t = { .tv_sec = 1795000000, .tv_nsec = 123456789 }, back;
	char text[TIME_RFC3339_LEN];

	time_rfc3339(&t, text);
	CU_ASSERT_STRING_EQUAL(text, "2026-11-18T11:06:40.123456789Z");
	CU_ASSERT_TRUE(time_parse_rfc3339(text, &back));
	CU_ASSERT_EQUAL(back.tv_sec, t.tv_sec);
	CU_ASSERT_EQUAL(back.tv_nsec, t.tv_nsec);
	CU_ASSERT_TRUE(time_parse_rfc3339("2026-11-18T11:06:40.5Z", &back));
	CU_ASSERT_EQUAL(back.tv_nsec, 500000000);
	CU_ASSERT_FALSE(time_parse_rfc3339("2026-11-18 11:06:40", &back));
	CU_ASSERT_FALSE(time_parse_rfc3339("2026-11-18T11:06:40+01:00", &back));
}

/* The entry ctr_log_write() writes for data, parsed back. */
static json_t *log_entry(const char *data, size_t len)
{
	const char *dir = unit_mktmp();
	char path[4096];
	err_t err;
	json_t *entry = NULL;

	snprintf(path, sizeof(path), "%s/log", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	CU_ASSERT_EQUAL_FATAL(ctr_log_write(fd, "stderr", data, len, &err), 0);
	close(fd);
	_cleanup_free_ char *text = NULL;
	size_t text_len;
	CU_ASSERT_EQUAL_FATAL(fs_read_file(path, 1 << 16, &text, &text_len, &err), 0);
	CU_ASSERT_EQUAL(text[text_len - 1], '\n');
	CU_ASSERT_PTR_NULL(memchr(text, '\n', text_len - 1)); /* one line */
	entry = json_loads(text, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL(entry);
	unit_rmtmp();
	return entry;
}

static void log_format(void)
{
	json_t *entry = log_entry("say \"hi\"\\\t\x01\n", 12);
	CU_ASSERT_STRING_EQUAL(json_str(entry, "log"), "say \"hi\"\\\t\x01\n");
	CU_ASSERT_STRING_EQUAL(json_str(entry, "stream"), "stderr");
	struct timespec t;
	CU_ASSERT_TRUE(time_parse_rfc3339(json_str(entry, "time"), &t));
	json_decref(entry);
	/* UTF-8 passes; a byte that is not UTF-8 becomes U+FFFD. */
	entry = log_entry("caf\xc3\xa9 \xff!", 8);
	CU_ASSERT_STRING_EQUAL(json_str(entry, "log"), "caf\xc3\xa9 \xef\xbf\xbd!");
	json_decref(entry);
	entry = log_entry("cut \xe2\x82", 6); /* a sequence cut short */
	CU_ASSERT_STRING_EQUAL(json_str(entry, "log"), "cut \xef\xbf\xbd\xef\xbf\xbd");
	json_decref(entry);
}

/* A new container of --rootfs root named name (NULL: a random one). */
static int make(const char *root, const char *name, struct container *out, err_t *err)
{
	json_t *doc = json_pack("{s:s?, s:s, s:[], s:s, s:s, s:{s:s, s:[], s:[s], s:s}, s:{}}", "Name", name,
				"Path", "true", "Args", "Image", "", "Rootfs", root, "Config", "Hostname", "", "Env",
				"Cmd", "true", "WorkingDir", "/", "HostConfig");
	int rc = ctr_create(root, doc, out, err);
	json_decref(doc);
	return rc;
}

static void store(void)
{
	const char *root = unit_mktmp();
	struct container a, b, found;
	err_t err;

	CU_ASSERT_EQUAL_FATAL(make(root, "web", &a, &err), 0);
	CU_ASSERT_EQUAL(strlen(a.id), CTR_ID_LEN);
	CU_ASSERT_STRING_EQUAL(ctr_status(&a), "created");
	CU_ASSERT_FALSE(ctr_monitor_alive(&a));
	/* The host name is the short id. Config.Env holds what the user and the image set (here
	 * nothing), as Docker's; the environment the command gets adds PATH and HOSTNAME. */
	const json_t *config = json_object_get(a.doc, "Config");
	CU_ASSERT_EQUAL(strncmp(json_str(config, "Hostname"), a.id, 12), 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(config, "Env")), 0);
	char **env = NULL;
	CU_ASSERT_EQUAL_FATAL(ctr_environ(&a, &env, &err), 0);
	char want[64];
	snprintf(want, sizeof(want), "HOSTNAME=%.12s", a.id);
	bool has_hostname = false, has_path = false;
	for (size_t i = 0; env[i]; i++) {
		has_hostname |= strcmp(env[i], want) == 0;
		has_path |= strncmp(env[i], "PATH=", 5) == 0;
	}
	CU_ASSERT_TRUE(has_hostname);
	CU_ASSERT_TRUE(has_path);
	strv_free(env);

	/* A name is taken once; bad names are refused; nothing is left of a refused one. */
	CU_ASSERT_EQUAL(make(root, "web", &b, &err), -1);
	CU_ASSERT_EQUAL(err.code, EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "is already in use by container"));
	CU_ASSERT_EQUAL(make(root, "-web", &b, &err), -1);
	CU_ASSERT_EQUAL(make(root, "w", &b, &err), -1);
	CU_ASSERT_EQUAL(make(root, "a/b", &b, &err), -1);
	CU_ASSERT_EQUAL_FATAL(make(root, NULL, &b, &err), 0);
	struct container *list;
	size_t n;
	CU_ASSERT_EQUAL_FATAL(ctr_list(root, &list, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 2);
	ctr_free_list(list, n);

	/* By id, by name (with or without '/'), by a unique prefix. */
	CU_ASSERT_EQUAL_FATAL(ctr_load(root, a.id, &found, &err), 0);
	CU_ASSERT_STRING_EQUAL(found.id, a.id);
	ctr_release(&found);
	CU_ASSERT_EQUAL_FATAL(ctr_load(root, "/web", &found, &err), 0);
	CU_ASSERT_STRING_EQUAL(found.id, a.id);
	ctr_release(&found);
	size_t unique = 0;
	while (a.id[unique] == b.id[unique])
		unique++;
	char prefix[CTR_ID_LEN + 1];
	snprintf(prefix, sizeof(prefix), "%.*s", (int)unique + 1, b.id);
	CU_ASSERT_EQUAL_FATAL(ctr_load(root, prefix, &found, &err), 0);
	CU_ASSERT_STRING_EQUAL(found.id, b.id);
	ctr_release(&found);
	CU_ASSERT_EQUAL(ctr_load(root, "nosuch", &found, &err), -1);
	CU_ASSERT_EQUAL(err.code, ENOENT);
	CU_ASSERT_STRING_EQUAL(err.msg, "No such container: nosuch");

	/* Removed whole; the name is free again. */
	CU_ASSERT_EQUAL(ctr_remove(&a, false, &err), 0);
	CU_ASSERT_EQUAL(ctr_load(root, "web", &found, &err), -1);
	CU_ASSERT_EQUAL_FATAL(make(root, "web", &found, &err), 0);
	ctr_release(&found);
	ctr_release(&a);
	ctr_release(&b);
	unit_rmtmp();
}

static void dead_monitor(void)
{
	const char *root = unit_mktmp();
	struct container c, again;
	err_t err;

	/* "running", but no monitor holds the lock: loading it writes the truth down. */
	CU_ASSERT_EQUAL_FATAL(make(root, "ghost", &c, &err), 0);
	CU_ASSERT_EQUAL_FATAL(ctr_record_running(&c, 999999, &err), 0);
	CU_ASSERT_EQUAL_FATAL(ctr_load(root, "ghost", &again, &err), 0);
	CU_ASSERT_STRING_EQUAL(ctr_status(&again), "exited");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(again.doc, "State"), "ExitCode")), 137);
	CU_ASSERT_EQUAL(ctr_pid(&again), 0);
	ctr_release(&again);
	/* While the lock is held, it is running. */
	int lock;
	CU_ASSERT_EQUAL_FATAL(ctr_monitor_lock(&c, &lock, &err), 0);
	CU_ASSERT_TRUE(ctr_monitor_alive(&c));
	int second;
	CU_ASSERT_EQUAL(ctr_monitor_lock(&c, &second, &err), -1);
	CU_ASSERT_EQUAL(err.code, EBUSY);
	close(lock);
	CU_ASSERT_FALSE(ctr_monitor_alive(&c));
	ctr_release(&c);
	unit_rmtmp();
}

static const struct unit_test tests[] = {
	{ "human durations as Docker's ps", human_durations },
	{ "RFC 3339 times with nanoseconds", rfc3339 },
	{ "json-file log lines", log_format },
	{ "names, ids, prefixes, removal", store },
	{ "a dead monitor's container is recorded as exited", dead_monitor },
	{ NULL, NULL },
};

const struct unit_suite suite_container = { "container", tests };
