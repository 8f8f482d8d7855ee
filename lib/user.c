/*
 * user.c - see user.h. /etc/passwd and /etc/group are read by hand: the C library's getpwnam()
 * may ask NSS modules of the host (and load them from the host's disk); a container's users are
 * only what its own files say.
 */
#define _GNU_SOURCE
#include "user.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_GROUPS 64

/* Is s a number (all digits)? Then *out is its value. */
static int number(const char *s, unsigned long *out)
{
	char *end;
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return 0;
	*out = strtoul(s, &end, 10);
	return 1;
}

/* Find the line of file whose field 0 is name (or, with name NULL, whose field 2 is id), and
 * return its id (field 2) and field 3 (the primary gid for passwd). Returns 1 when found. */
static int lookup(const char *file, const char *name, unsigned long id, unsigned long *out_id,
		  unsigned long *out_field3)
{
	FILE *f = fopen(file, "re");
	char line[1024];
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f)) {
		char *fields[4] = { 0 }, *p = line;
		for (int i = 0; i < 4; i++) {
			fields[i] = strsep(&p, ":\n");
			if (!fields[i])
				break;
		}
		if (!fields[2])
			continue;
		unsigned long this_id = strtoul(fields[2], NULL, 10);
		if (name ? strcmp(fields[0], name) == 0 : this_id == id) {
			*out_id = this_id;
			if (out_field3)
				*out_field3 = fields[3] ? strtoul(fields[3], NULL, 10) : 0;
			found = 1;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* The groups of /etc/group that list user as a member. */
static int supplementary(const char *user, gid_t *out, int max)
{
	FILE *f = fopen("/etc/group", "re");
	char line[1024];
	int n = 0;

	while (f && n < max && fgets(line, sizeof(line), f)) {
		char *p = line, *name = strsep(&p, ":"), *pw = strsep(&p, ":"), *gid = strsep(&p, ":");
		char *members = strsep(&p, "\n");
		(void)name;
		(void)pw;
		for (char *m = members ? strsep(&members, ",") : NULL; m && gid; m = strsep(&members, ","))
			if (strcmp(m, user) == 0)
				out[n++] = (gid_t)strtoul(gid, NULL, 10);
	}
	if (f)
		fclose(f);
	return n;
}

int user_switch(const char *user, err_t *err)
{
	char name[256];
	unsigned long uid = 0, gid = 0, primary = 0;
	gid_t groups[MAX_GROUPS];
	int n_groups = 0;

	snprintf(name, sizeof(name), "%s", user);
	char *group = strchr(name, ':');
	if (group)
		*group++ = '\0';
	if (number(name, &uid)) {
		/* A uid need not be in /etc/passwd; its group then is 0, as Docker does. */
		unsigned long found_uid;
		if (!lookup("/etc/passwd", NULL, uid, &found_uid, &primary))
			primary = 0;
	} else if (!lookup("/etc/passwd", name, 0, &uid, &primary)) {
		return err_msg(err, ENOENT, "unable to find user %s: no matching entries in passwd file", name);
	}
	if (group) {
		if (!number(group, &gid) && !lookup("/etc/group", group, 0, &gid, NULL))
			return err_msg(err, ENOENT, "unable to find group %s: no matching entries in group file", group);
		groups[n_groups++] = (gid_t)gid;
	} else {
		gid = primary;
		groups[n_groups++] = (gid_t)gid;
		if (!number(name, &uid))
			n_groups += supplementary(name, groups + 1, MAX_GROUPS - 1);
	}
	/* The order matters: groups and gid while still root, the uid last. */
	if (setgroups((size_t)n_groups, groups) < 0)
		return err_sys(err, "setgroups for user %s", user);
	if (setgid((gid_t)gid) < 0)
		return err_sys(err, "setgid %lu for user %s", gid, user);
	if (setuid((uid_t)uid) < 0)
		return err_sys(err, "setuid %lu for user %s", uid, user);
	return 0;
}
