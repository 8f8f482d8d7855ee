/*
 * cleanup.h - release resources when a variable goes out of scope.
 *
 * GCC and Clang call the named function with the variable's address when it leaves its
 * scope, on every return path. So a function opens, allocates and forks at the top, and
 * every early `return err_sys(...)` below still closes, frees and reaps:
 *
 *	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
 *	_cleanup_free_ char *buf = malloc(n);
 *
 * To keep a resource past the scope (hand it to the caller), steal it: take_fd(&fd),
 * take_ptr(&buf).
 */
#ifndef MINIDOCK_CLEANUP_H
#define MINIDOCK_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

void cleanup_free(void *ptr);
void cleanup_close(int *fd);
void cleanup_fclose(FILE **fp);
void cleanup_strv(char ***strv);
void cleanup_kill(pid_t *pid); /* SIGKILL the child, then reap it (a failed setup's child) */
void cleanup_json(void *json); /* json_decref() a json_t * */

#define _cleanup_free_ __attribute__((cleanup(cleanup_free)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_close)))
#define _cleanup_fclose_ __attribute__((cleanup(cleanup_fclose)))
#define _cleanup_strv_ __attribute__((cleanup(cleanup_strv)))
#define _cleanup_kill_ __attribute__((cleanup(cleanup_kill)))
#define _cleanup_json_ __attribute__((cleanup(cleanup_json)))

/* Return *fd and set it to -1, so the cleanup does nothing. */
static inline int take_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

/* Return *ptr and set it to NULL, so the cleanup does nothing. */
#define take_ptr(ptr)                                                                              \
	({                                                                                         \
		__typeof__(*(ptr)) take_ptr_v = *(ptr);                                            \
		*(ptr) = NULL;                                                                     \
		take_ptr_v;                                                                        \
	})

/* Free a NULL-terminated array of strings and the array itself. */
void strv_free(char **strv);

#endif
