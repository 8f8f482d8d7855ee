/*
 * log.h - diagnostics on stderr, for people debugging minidock.
 *
 * These are not how errors reach the user (that is err_t, see errors.md): log_debug() traces
 * what minidock does when MINIDOCK_DEBUG=1 or `minidock --debug` is set, and log_warn() is for
 * the rare warning Docker also prints without failing ("published ports are discarded when
 * using host network mode").
 */
#ifndef MINIDOCK_LOG_H
#define MINIDOCK_LOG_H

#include <stdbool.h>

extern bool log_debug_enabled;

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
