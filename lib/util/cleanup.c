/* cleanup.c - the functions behind the _cleanup_ attributes of cleanup.h. */
#include "cleanup.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

void cleanup_free(void *ptr)
{
	free(*(void **)ptr);
}

void cleanup_close(int *fd)
{
	if (*fd >= 0) {
		int saved = errno; /* so that `return err_sys(...)` still sees the first errno */
		close(*fd);
		errno = saved;
	}
}

void cleanup_fclose(FILE **fp)
{
	if (*fp)
		fclose(*fp);
}

void strv_free(char **strv)
{
	if (!strv)
		return;
	for (char **s = strv; *s; s++)
		free(*s);
	free(strv);
}

void cleanup_strv(char ***strv)
{
	strv_free(*strv);
}

void cleanup_json(void *json)
{
	json_decref(*(json_t **)json);
}

void cleanup_kill(pid_t *pid)
{
	if (*pid > 0) {
		int saved = errno;
		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = saved;
	}
}
