/*
 * user.h - running the container's command as the user an image (or `run -u`) names.
 */
#ifndef MINIDOCK_USER_H
#define MINIDOCK_USER_H

#include "err.h"

/*
 * Become user (Docker's forms: "name", "uid", "name:group", "uid:gid", "name:gid", "uid:group")
 * in the process that is about to execute the container's command, after it entered its root:
 * names are looked up in the container's /etc/passwd and /etc/group, not the host's. Without a
 * group, the user's primary group from /etc/passwd (0 for a uid it does not list) and its
 * supplementary groups from /etc/group. A name found nowhere is an error (ENOENT).
 */
int user_switch(const char *user, err_t *err);

#endif
