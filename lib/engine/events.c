/*
 * events.c - the engine's journal (events.h).
 */
#define _GNU_SOURCE
#include "events.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "log.h"

#define EVENTS_MAX (4 << 20) /* the journal's size before it is renamed events.log.1 */

static void journal_path(char *out, size_t size, const char *root, const char *suffix)
{
	snprintf(out, size, "%s/events.log%s", root, suffix);
}

/* The journal is big: the one before goes, this one becomes it. Under its own flock, and only
 * when the name still names it, so that two processes do not both rotate. */
static void rotate(const char *root, int fd)
{
	char path[4096], old[4096];
	struct stat by_fd, by_name;
	journal_path(path, sizeof(path), root, "");
	journal_path(old, sizeof(old), root, ".1");
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return;
	if (fstat(fd, &by_fd) == 0 && stat(path, &by_name) == 0 && by_fd.st_ino == by_name.st_ino &&
	    by_fd.st_size > EVENTS_MAX && rename(path, old) < 0)
		log_debug("events: rename %s: %m", path);
	flock(fd, LOCK_UN);
}

void ev_emit(const char *root, const char *type, const char *action, const char *id, const json_t *attrs)
{
	struct timespec now;
	char path[4096];
	clock_gettime(CLOCK_REALTIME, &now);
	json_t *actor_attrs = attrs ? json_deep_copy(attrs) : json_object();
	/* Docker's events also carry the fields of the API before 1.22 (status, id, from) */
	_cleanup_json_ json_t *ev =
	    json_pack("{s:s, s:s, s:{s:s, s:o}, s:s, s:I, s:I}", "Type", type, "Action", action, "Actor",
		      "ID", id, "Attributes", actor_attrs, "scope", "local", "time", (json_int_t)now.tv_sec,
		      "timeNano", (json_int_t)now.tv_sec * 1000000000 + now.tv_nsec);
	if (!ev)
		return;
	if (strcmp(type, "container") == 0) {
		json_object_set_new(ev, "status", json_string(action));
		json_object_set_new(ev, "id", json_string(id));
		if (json_str(attrs, "image"))
			json_object_set_new(ev, "from", json_string(json_str(attrs, "image")));
	}
	_cleanup_free_ char *line = json_dumps(ev, JSON_COMPACT);
	if (!line)
		return;
	size_t len = strlen(line);
	line[len] = '\n'; /* json_dumps()' '\0' becomes the line's end: one write */
	journal_path(path, sizeof(path), root, "");
	_cleanup_close_ int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, line, len + 1) != (ssize_t)(len + 1)) {
		log_debug("events: %s %s %.12s not written: %m", type, action, id);
		return;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size > EVENTS_MAX)
		rotate(root, fd);
}

void ev_container(const char *root, const char *action, const json_t *doc, const json_t *extra)
{
	const char *id = json_str(doc, "Id"), *name = json_str(doc, "Name");
	const char *image = json_str(json_object_get(doc, "Config"), "Image");
	if (!id)
		return;
	_cleanup_json_ json_t *attrs = extra ? json_deep_copy(extra) : json_object();
	json_object_set_new(attrs, "image", json_string(image ? image : ""));
	json_object_set_new(attrs, "name", json_string(name ? name + (name[0] == '/') : ""));
	ev_emit(root, "container", action, id, attrs);
}

int ev_open(struct ev_reader *r, const char *root, int from_start)
{
	struct stat st;
	journal_path(r->path, sizeof(r->path), root, "");
	/* made empty when missing, so that a reader follows it from the first event */
	int fd = open(r->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		close(fd);
	r->f = fopen(r->path, "re");
	if (!r->f || fstat(fileno(r->f), &st) < 0)
		return -1;
	r->ino = st.st_ino;
	if (!from_start)
		fseeko(r->f, 0, SEEK_END);
	return 0;
}

int ev_next(struct ev_reader *r, json_t **out)
{
	char *line = NULL;
	size_t cap = 0;
	*out = NULL;
	for (;;) {
		off_t at = ftello(r->f);
		ssize_t n = getline(&line, &cap, r->f);
		if (n > 0 && line[n - 1] == '\n') {
			json_t *ev = json_loads(line, 0, NULL);
			if (!json_is_object(ev)) { /* not the journal's: skipped */
				json_decref(ev);
				continue;
			}
			free(line);
			*out = ev;
			return 0;
		}
		/* the end for now (or half a line still being written): from here next time */
		clearerr(r->f);
		fseeko(r->f, at, SEEK_SET);
		struct stat st;
		if (n <= 0 && stat(r->path, &st) == 0 && st.st_ino != r->ino) {
			/* renamed to events.log.1: what was left of it is read; on in the new one */
			FILE *f = fopen(r->path, "re");
			if (f) {
				fclose(r->f);
				r->f = f;
				r->ino = st.st_ino;
				continue;
			}
		}
		free(line);
		return 0;
	}
}

void ev_close(struct ev_reader *r)
{
	if (r->f)
		fclose(r->f);
	r->f = NULL;
}
