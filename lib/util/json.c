/* json.c - see json.h. */
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"

int json_read_file(const char *path, size_t max, json_t **out, err_t *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	json_error_t jerr;

	if (fs_read_file(path, max, &text, &len, err) < 0)
		return -1;
	json_t *value = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!value)
		return err_msg(err, EINVAL, "%s: malformed JSON at line %d, column %d: %s", path,
			       jerr.line, jerr.column, jerr.text);
	*out = value;
	return 0;
}

int json_write_file(const char *path, const json_t *value, err_t *err)
{
	_cleanup_free_ char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return err_set(err, ENOMEM, "write %s: encode JSON", path);
	size_t len = strlen(text);
	_cleanup_free_ char *line = malloc(len + 2);
	if (!line)
		return err_sys(err, "write %s", path);
	memcpy(line, text, len);
	line[len] = '\n';
	return fs_write_atomic(path, line, len + 1, 0644, err);
}

/* Write value to a temporary file beside path, then move it in: by rename(2), replacing what
 * is there, or by link(2), which fails when the name is taken (whoever came first wins). */
static int put_file(const char *path, const json_t *value, bool replace, err_t *err)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return err_set(err, ENAMETOOLONG, "write %s", path);
	if (json_dump_file(value, tmp, JSON_COMPACT | JSON_SORT_KEYS) < 0) {
		err_set(err, errno ? errno : EIO, "write %s", tmp);
		unlink(tmp);
		return -1;
	}
	int rc = (replace ? rename(tmp, path) : link(tmp, path)) < 0 ? err_sys(err, "write %s", path) : 0;
	if (rc < 0 || !replace)
		unlink(tmp);
	return rc;
}

int json_replace_file(const char *path, const json_t *value, err_t *err)
{
	return put_file(path, value, true, err);
}

int json_create_file(const char *path, const json_t *value, err_t *err)
{
	return put_file(path, value, false, err);
}

const char *json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}
