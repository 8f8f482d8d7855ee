/*
 * err.c - building error messages and carrying them from a child to its parent.
 *
 * Messages are built in place in a fixed buffer: no allocation, so these functions are safe
 * in a child between clone() and execve() and cannot themselves fail. A message that does not
 * fit is cut, never overflowed.
 */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void err_vformat(err_t *err, int code, int with_strerror, const char *fmt, va_list ap)
{
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);

	if (n < 0)
		n = 0;
	if (with_strerror && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(code));
	err->code = code;
	err->status = 0;
}

int err_set(err_t *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vformat(err, code, 1, fmt, ap);
	va_end(ap);
	return -1;
}

int err_sys(err_t *err, const char *fmt, ...)
{
	int code = errno;
	va_list ap;

	va_start(ap, fmt);
	err_vformat(err, code, 1, fmt, ap);
	va_end(ap);
	return -1;
}

int err_msg(err_t *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vformat(err, code, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int err_wrap(err_t *err, const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX];
	char old[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	return -1;
}

void err_send(int fd, const err_t *err)
{
	const char *p = (const char *)err;
	size_t left = sizeof(*err);

	/* One write of under PIPE_BUF bytes would be atomic, but an err_t is larger: loop. */
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		left -= (size_t)n;
	}
}

int err_recv(int fd, err_t *err)
{
	err_t got;
	char *p = (char *)&got;
	size_t have = 0;

	while (have < sizeof(got)) {
		ssize_t n = read(fd, p + have, sizeof(got) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, "read the child's report");
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (have == 0)
		return 0;
	if (have < sizeof(got))
		return err_msg(err, EPROTO, "the child died while reporting an error");
	got.msg[sizeof(got.msg) - 1] = '\0';
	*err = got;
	return -1;
}
