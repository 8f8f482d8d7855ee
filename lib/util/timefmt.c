/* timefmt.c - see timefmt.h. */
#define _GNU_SOURCE
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void time_rfc3339(const struct timespec *t, char out[TIME_RFC3339_LEN])
{
	struct tm tm;

	gmtime_r(&t->tv_sec, &tm);
	snprintf(out, TIME_RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, t->tv_nsec);
}

void time_now_rfc3339(char out[TIME_RFC3339_LEN])
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	time_rfc3339(&now, out);
}

bool time_parse_rfc3339(const char *text, struct timespec *out)
{
	struct tm tm = { 0 };
	const char *rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	long nsec = 0;

	if (!rest)
		return false;
	if (*rest == '.') {
		long scale = 100000000;
		for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
			nsec += (*rest - '0') * scale;
	}
	if (strcmp(rest, "Z") != 0)
		return false;
	out->tv_sec = timegm(&tm);
	out->tv_nsec = nsec;
	return true;
}

void time_human_duration(double seconds, char *out, size_t size)
{
	/* The steps of Docker's units.HumanDuration. */
	long s = (long)seconds, minutes = (long)(seconds / 60), hours = (long)(seconds / 3600 + 0.5);

	if (seconds < 1)
		snprintf(out, size, "Less than a second");
	else if (s == 1)
		snprintf(out, size, "1 second");
	else if (s < 60)
		snprintf(out, size, "%ld seconds", s);
	else if (minutes == 1)
		snprintf(out, size, "About a minute");
	else if (minutes < 60)
		snprintf(out, size, "%ld minutes", minutes);
	else if (hours == 1)
		snprintf(out, size, "About an hour");
	else if (hours < 48)
		snprintf(out, size, "%ld hours", hours);
	else if (hours < 24 * 7 * 2)
		snprintf(out, size, "%ld days", hours / 24);
	else if (hours < 24 * 30 * 2)
		snprintf(out, size, "%ld weeks", hours / 24 / 7);
	else if (hours < 24 * 365 * 2)
		snprintf(out, size, "%ld months", hours / 24 / 30);
	else
		snprintf(out, size, "%ld years", hours / 24 / 365);
}
