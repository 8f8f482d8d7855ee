/*
 * user.c - see user.h. /etc/passwd and /etc/group are read by hand: the C library's getpwnam()
 * may ask NSS modules of the host (and load them from the host's disk); a container's users are
 * only what its own files say.
 */
#define _GNU_SOURCE
#include "user.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_GROUPS 64
/* The largest uid or gid taken, as runc: 2^31 - 1. Above it a value would be cut to uid_t's 32
 * bits (4294967296 would become 0, root) or mean "no id" (4294967295, (uid_t)-1). */
#define MAX_ID 2147483647UL

/* Is s a number (all digits)? Then *out is its value, or ULONG_MAX when above MAX_ID. */
static int number(const char *s, unsigned long *out)
{
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return 0;
	errno = 0;
	*out = strtoul(s, NULL, 10);
	if (errno == ERANGE || *out > MAX_ID)
		*out = ULONG_MAX;
	return 1;
}

/* What a line of /etc/passwd or /etc/group says (the strings point into the line). */
struct entry {
	const char *name;
	unsigned long id;    /* field 2: the uid or gid */
	unsigned long field3; /* the primary gid (passwd), 0 when missing */
	const char *home;    /* field 5 (passwd), or NULL */
};

/* Find the line of file whose field 0 is name (or, with name NULL, whose field 2 is id) and fill
 * *out from it, its strings kept in line (1024 bytes). Returns 1 when found. */
static int lookup(const char *file, const char *name, unsigned long id, char *line, struct entry *out)
{
	FILE *f = fopen(file, "re");
	int found = 0;

	while (f && !found && fgets(line, 1024, f)) {
		char *fields[7] = { 0 }, *p = line;
		for (int i = 0; i < 7 && p; i++)
			fields[i] = strsep(&p, ":\n");
		unsigned long this_id;
		if (!fields[2] || !number(fields[2], &this_id))
			continue; /* not a valid line */
		if (name ? strcmp(fields[0], name) == 0 : this_id == id) {
			out->name = fields[0];
			out->id = this_id;
			if (!fields[3] || !number(fields[3], &out->field3))
				out->field3 = 0;
			out->home = fields[5] && *fields[5] ? fields[5] : NULL;
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
		unsigned long id;
		if (!gid || !number(gid, &id) || id > MAX_ID)
			continue;
		for (char *m = members ? strsep(&members, ",") : NULL; m && n < max; m = strsep(&members, ","))
			if (strcmp(m, user) == 0)
				out[n++] = (gid_t)id;
	}
	if (f)
		fclose(f);
	return n;
}

int user_switch(const char *user, char out_home[PATH_MAX], err_t *err)
{
	char name[256], line[1024], group_line[1024];
	unsigned long uid = 0, gid = 0;
	gid_t groups[MAX_GROUPS];
	int n_groups = 0;
	struct entry pw = { 0 }, gr;

	/* No user: root, as the image's /etc/passwd and /etc/group describe it (its groups too). */
	snprintf(name, sizeof(name), "%s", user && *user ? user : "0");
	char *group = strchr(name, ':');
	if (group)
		*group++ = '\0';
	int found;
	if (number(name, &uid))
		found = lookup("/etc/passwd", NULL, uid, line, &pw); /* need not be listed: group 0 */
	else if ((found = lookup("/etc/passwd", name, 0, line, &pw)))
		uid = pw.id;
	else
		return err_msg(err, ENOENT, "unable to find user %s: no matching entries in passwd file", name);
	if (group) {
		if (number(group, &gid))
			;
		else if (lookup("/etc/group", group, 0, group_line, &gr))
			gid = gr.id;
		else
			return err_msg(err, ENOENT, "unable to find group %s: no matching entries in group file", group);
		groups[n_groups++] = (gid_t)gid;
	} else {
		gid = found ? pw.field3 : 0;
		groups[n_groups++] = (gid_t)gid;
		/* A listed user, by name or by uid, is in the groups that name it. */
		if (found)
			n_groups += supplementary(pw.name, groups + 1, MAX_GROUPS - 1);
	}
	if (uid > MAX_ID || gid > MAX_ID)
		return err_msg(err, EINVAL, "user %s: %s out of range: ids go up to %lu", user,
			       uid > MAX_ID ? "uid" : "gid", MAX_ID);
	/* Docker's HOME: the user's home in the image, "/" when it has none. */
	snprintf(out_home, PATH_MAX, "%s", found && pw.home ? pw.home : "/");
	/* The order matters: groups and gid while still root, the uid last. */
	if (setgroups((size_t)n_groups, groups) < 0)
		return err_sys(err, "setgroups for user %s", name);
	if (setgid((gid_t)gid) < 0)
		return err_sys(err, "setgid %lu for user %s", gid, name);
	if (setuid((uid_t)uid) < 0)
		return err_sys(err, "setuid %lu for user %s", uid, name);
	return 0;
}

char **user_env_home(char *const env[], const char *home)
{
	size_t n = 0;
	bool has_home = false;

	for (; env[n]; n++)
		has_home |= strncmp(env[n], "HOME=", 5) == 0;
	char **out = calloc(n + 2, sizeof(char *));
	if (!out)
		return NULL;
	memcpy(out, env, n * sizeof(char *));
	if (!has_home) {
		/* Static: this runs once, just before execve() replaces the process. */
		static char entry[PATH_MAX + 8];
		snprintf(entry, sizeof(entry), "HOME=%s", home);
		out[n] = entry;
	}
	return out;
}
