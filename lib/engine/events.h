/*
 * events.h - the engine's journal of what happened (given: events.c): each container made,
 * started, ended, removed, each image pulled or removed, each network and volume, one line
 * of JSON in ROOT/events.log, in the shape of the Docker Engine API's events. `docker events`
 * streams them from the daemon (lab 13), and the daemon's `wait` reads a container's exit
 * status there: a container started with --rm is gone by the time anyone could read its
 * state, but its "die" event says how it ended.
 *
 *	{"Type":"container","Action":"die","Actor":{"ID":"4f1c...","Attributes":
 *	 {"exitCode":"3","image":"busybox","name":"web"}},"scope":"local",
 *	 "time":1796000000,"timeNano":1796000000123456789,"status":"die","id":"4f1c...",
 *	 "from":"busybox"}
 *
 * Any process that changes the state writes its events (the CLI without a daemon too): one
 * write(2) per line on a file opened O_APPEND, so that lines from several processes never mix.
 * At 4 MiB the journal is renamed events.log.1 (the one before goes): readers notice and go on
 * in the new file.
 */
#ifndef MINIDOCK_EVENTS_H
#define MINIDOCK_EVENTS_H

#include <jansson.h>
#include <stdio.h>
#include <sys/types.h>

/* Write down that ACTION happened to the TYPE ("container", "image", "network", "volume")
 * object ID; attrs (may be NULL; not taken) are its Actor.Attributes, every value a string.
 * Best effort: an event that cannot be written is not an error of what it tells. */
void ev_emit(const char *root, const char *type, const char *action, const char *id, const json_t *attrs);

/* ev_emit() for the container doc ("container.json"): its image and name as attributes, and
 * the string attrs extra ("exitCode") when not NULL. */
void ev_container(const char *root, const char *action, const json_t *doc, const json_t *extra);

/* A reader of the journal, from its end as it is now (new events only) or from its start. */
struct ev_reader {
	char path[4096];
	FILE *f;
	ino_t ino;
};

int ev_open(struct ev_reader *r, const char *root, int from_start);

/* The next event (a new reference into *out), or 0 and *out NULL when there is none yet: the
 * caller sleeps and asks again. -1 on an error of the file. */
int ev_next(struct ev_reader *r, json_t **out);

void ev_close(struct ev_reader *r);

#endif
