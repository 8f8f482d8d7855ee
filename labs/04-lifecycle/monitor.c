/*
 * monitor.c - lab 4: the process that keeps a container (see lifecycle.h for the
 * contract, course.md chapter 4 for the ideas).
 *
 * How it fits together. ctr_start() takes the container's monitor lock, makes a socket pair
 * for the report, and forks. The child is the monitor: it leaves the caller's session, puts
 * the container's streams in place (a pipe for stdout, one for stderr; with -t, a socket over
 * which the container sends the master side of the terminal it makes in its own devpts),
 * starts PID 1 with lab 1's proc_spawn(), writes "running" down, and reports "started, PID 1
 * is N" (or the error) to its parent, with the terminal's master side after it, which the
 * parent then uses for the user's keys. The parent can return: `run -d` prints the id and exits
 * while the monitor goes on. The monitor's life is then one poll() loop over three kinds of
 * events: output on the container's streams (copied into the log, line by line, and to the
 * attached terminal), signals (SIGCHLD: PID 1 may have ended; others: passed on to PID 1),
 * and the end of all output. It then records the exit status and exits with it, which drops
 * the lock: "the monitor is gone" and "the exit is written down" come in that order.
 *
 * ctr_stop() and ctr_exec() run in the commands `stop` and `exec`: they only need PID 1's
 * number, from the state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cleanup.h"
#include "container.h"
#include "ctr_net.h"
#include "fsutil.h"
#include "lab.h"
#include "lifecycle.h"
#include "security.h"
#include "timefmt.h"
#include "user.h"


int ctr_log_write(int fd, const char *stream, const char *data, size_t len, err_t *err)
{
	/* TODO(lab 4): write this (see course.md, chapter 4). */
	return lab_todo(err, 4, __func__);
}


int ctr_start(struct container *c, struct ctr_io *io, pid_t *out_monitor, pid_t *out_pid, err_t *err)
{
	/* TODO(lab 4): write this (see course.md, chapter 4). */
	return lab_todo(err, 4, __func__);
}

int ctr_stop(struct container *c, int sig, int timeout, err_t *err)
{
	/* TODO(lab 4): write this (see course.md, chapter 4). */
	return lab_todo(err, 4, __func__);
}


int ctr_exec(struct container *c, const struct exec_spec *x, pid_t *out_pid, err_t *err)
{
	/* TODO(lab 4): write this (see course.md, chapter 4). */
	return lab_todo(err, 4, __func__);
}
