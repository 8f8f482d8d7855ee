/*
 * timefmt.h - times as Docker prints them.
 *
 * Docker writes instants in RFC 3339 with nanoseconds, in UTC ("2026-11-28T09:30:01.123456789Z":
 * inspect's StartedAt, the json-file log's "time", `logs -t`), and durations for people
 * ("Up 3 minutes", "Exited (0) About an hour ago" in `ps`).
 */
#ifndef MINIDOCK_TIMEFMT_H
#define MINIDOCK_TIMEFMT_H

#include <stdbool.h>
#include <time.h>

/* "YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ" and its NUL. */
#define TIME_RFC3339_LEN 31

/* The instant t (CLOCK_REALTIME) in RFC 3339 with nanoseconds, UTC, into out. */
void time_rfc3339(const struct timespec *t, char out[TIME_RFC3339_LEN]);

/* The current instant, formatted as time_rfc3339(). */
void time_now_rfc3339(char out[TIME_RFC3339_LEN]);

/* Parse what time_rfc3339() writes (fewer fraction digits too) into *out. Returns false when
 * text is not such a time. */
bool time_parse_rfc3339(const char *text, struct timespec *out);

/* A duration of seconds as Docker's CLI says it: "Less than a second", "1 second",
 * "42 seconds", "About a minute", "5 minutes", "About an hour", "3 hours", "2 days", ... */
void time_human_duration(double seconds, char *out, size_t size);

#endif
