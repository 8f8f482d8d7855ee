/*
 * user.h - running the container's command as the user an image (or `run -u`) names.
 */
#ifndef MINIDOCK_USER_H
#define MINIDOCK_USER_H

#include <limits.h>

#include "err.h"

/*
 * Become user (Docker's forms: "name", "uid", "name:group", "uid:gid", "name:gid", "uid:group";
 * NULL or "" is root, "0") in the process that is about to execute the container's command,
 * after it entered its root: names are looked up in the container's /etc/passwd and /etc/group,
 * not the host's. Without a group, the user's primary group from /etc/passwd (0 for a uid it
 * does not list) and the supplementary groups /etc/group gives its name. A name found nowhere
 * is an error (ENOENT); an id above 2^31-1 is EINVAL (as runc: uid_t would cut 4294967296 to 0).
 * out_home gets the user's home directory from /etc/passwd, "/" when none: Docker's HOME.
 */
int user_switch(const char *user, char out_home[PATH_MAX], err_t *err);

/*
 * env with "HOME=home" added at its end, unless it has a HOME already (which the image or `-e`
 * set: Docker gives the user's home only to a command whose environment has none). A new
 * malloc'd array of env's own strings (free() it, not strv_free()); NULL when out of memory.
 */
char **user_env_home(char *const env[], const char *home);

#endif
