/* lock.c - see lock.h. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>

#include "cleanup.h"
#include "fsutil.h"

int lock_state(const char *root, int *out_fd, err_t *err)
{
	char path[PATH_MAX];

	if (fs_mkdir_p(root, 0711, err) < 0)
		return err_wrap(err, "state directory");
	snprintf(path, sizeof(path), "%s/lock", root);
	return lock_path(path, 0600, out_fd, err);
}

int lock_path(const char *path, mode_t mode, int *out_fd, err_t *err)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return err_sys(err, "lock %s", path);
	}
	*out_fd = take_fd(&fd);
	return 0;
}
