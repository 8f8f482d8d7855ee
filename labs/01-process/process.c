/*
 * process.c - lab 1: a process in its own namespaces (see process.h for the contract,
 * course.md chapter 1 for the ideas).
 *
 * How it fits together. minidock (the parent) makes a pipe, then clone()s a child into new
 * PID, UTS, IPC and mount namespaces. The child prepares its little world (private mounts,
 * host name, root directory, working directory) and execve()s the command, which becomes
 * PID 1 of the new PID namespace. The write end of the pipe is close-on-exec: when the
 * execve() succeeds the kernel closes it, and the parent reads end-of-file, which means
 * "started". When any step fails, the child writes its err_t into the pipe and exits; the
 * parent reads the real reason and reports it (so the user never sees a bare "exit 1").
 *
 * After that the parent only waits. It blocked the signals it forwards before clone(), so it
 * can take them one by one with sigwaitinfo() and pass each one on with kill(); SIGCHLD,
 * blocked too, wakes it when the container's PID 1 ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach.h"
#include "cleanup.h"
#include "fsutil.h"
#include "lab.h"
#include "process.h"
#include "rootfs.h"
#include "security.h"
#include "user.h"


int proc_environ(const char *hostname, char *const user_env[], char ***out_env, err_t *err)
{
	/* TODO(lab 1): write this (see course.md, chapter 1). */
	return lab_todo(err, 1, __func__);
}


int proc_exec(char *const argv[], char *const env[], err_t *err)
{
	/* TODO(lab 1): write this (see course.md, chapter 1). */
	return lab_todo(err, 1, __func__);
}


int proc_spawn(const struct run_spec *spec, pid_t *out_pid, err_t *err)
{
	/* TODO(lab 1): write this (see course.md, chapter 1). */
	return lab_todo(err, 1, __func__);
}

int proc_wait(pid_t pid, int *out_status, err_t *err)
{
	/* TODO(lab 1): write this (see course.md, chapter 1). */
	return lab_todo(err, 1, __func__);
}
