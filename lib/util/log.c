/* log.c - see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

bool log_debug_enabled;

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_enabled)
		return;
	/* The monotonic clock in milliseconds: subtract two lines to time what lies between. */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(stderr, "minidock[%d] %ld.%03ld: ", (int)getpid(), (long)now.tv_sec * 1000 + now.tv_nsec / 1000000,
		(now.tv_nsec / 1000) % 1000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("WARNING: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
