/* test_lock.c - the state lock excludes a second holder and dies with its process. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock.h"
#include "unit.h"

/* Can another process take the lock right now? (flock locks belong to open files, so a
 * second open in a child tells.) */
static int lock_is_free(const char *root)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/lock", root);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		_exit(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void lock_excludes_and_releases(void)
{
	const char *dir = unit_mktmp();
	char root[PATH_MAX];
	err_t err;
	int fd;

	snprintf(root, sizeof(root), "%s/state", dir); /* made when missing */
	CU_ASSERT_EQUAL_FATAL(lock_state(root, &fd, &err), 0);
	CU_ASSERT_FALSE(lock_is_free(root));
	close(fd);
	CU_ASSERT_TRUE(lock_is_free(root));
	unit_rmtmp();
}

static void lock_dies_with_its_holder(void)
{
	const char *dir = unit_mktmp();
	err_t err;
	int ready[2];

	CU_ASSERT_EQUAL_FATAL(pipe(ready), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int fd;
		if (lock_state(dir, &fd, &err) == 0)
			CU_ASSERT_EQUAL(write(ready[1], "x", 1), 1);
		pause();
		_exit(0);
	}
	char c;
	CU_ASSERT_EQUAL(read(ready[0], &c, 1), 1);
	CU_ASSERT_FALSE(lock_is_free(dir));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CU_ASSERT_TRUE(lock_is_free(dir)); /* kill -9 never leaves the state locked */
	close(ready[0]);
	close(ready[1]);
	unit_rmtmp();
}

static const struct unit_test tests[] = {
	{ "the lock excludes others until closed", lock_excludes_and_releases },
	{ "kill -9 of the holder releases the lock", lock_dies_with_its_holder },
	{ NULL, NULL },
};
const struct unit_suite suite_lock = { "lock", tests };
