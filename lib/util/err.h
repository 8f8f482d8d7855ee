/*
 * err.h - the error contract of minidock (read errors.md first).
 *
 * A failing function fills an err_t and returns -1; callers add context with err_wrap();
 * only the command-line front end prints. The helpers below all return -1 so that the
 * common case is one line: `return err_sys(err, "open %s", path);`.
 */
#ifndef MINIDOCK_ERR_H
#define MINIDOCK_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX 1024

/* Exit statuses, as Docker's (see errors.md): what err->status may ask for. */
enum {
	EXIT_MINIDOCK_ERROR = 125,  /* minidock itself failed: bad flag, missing rootfs, ... */
	EXIT_CANNOT_INVOKE = 126,   /* the command exists but cannot be executed */
	EXIT_NOT_FOUND = 127,       /* the command was not found */
};

typedef struct err {
	int code;              /* an errno value (ENOENT, EINVAL, ...) saying what kind of failure */
	int status;            /* exit status the failure asks for (126, 127), or 0 for "error" (125) */
	char msg[ERR_MSG_MAX]; /* "what: on what: why" */
} err_t;

/* Fill err with code and the formatted message followed by ": strerror(code)". Returns -1. */
int err_set(err_t *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Fill err from errno (read before anything else can change it), as err_set(). Returns -1. */
int err_sys(err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fill err with code and exactly the formatted message (no strerror suffix). Returns -1. */
int err_msg(err_t *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Put "CONTEXT: " in front of err's message, keeping code and status. Returns -1. */
int err_wrap(err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Send err down a pipe (child side of rule 6). Safe between fork and exec: no allocation. */
void err_send(int fd, const err_t *err);

/*
 * Read an err_t the child may have sent on fd (parent side of rule 6). Returns 0 when the
 * pipe closed without a report (the child's execve() succeeded and closed it), -1 with *err
 * filled with the child's error when it reported one, or with a read error of its own.
 */
int err_recv(int fd, err_t *err);

#endif
