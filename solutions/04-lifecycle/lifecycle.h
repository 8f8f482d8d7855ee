/*
 * lifecycle.h - lab 4's contract: a container's monitor (start, stop, exec, its log) and
 * minidock-init (init.c, a program of its own: its contract is its usage line).
 *
 * The container store these build on (container.json, the monitor's lock, the records of a
 * container's life) is given: lib/engine/container.h, which says how the pieces fit.
 */
#ifndef MINIDOCK_LIFECYCLE_H
#define MINIDOCK_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "container.h"
#include "err.h"

/* How the caller of ctr_start() wants the container's standard streams. */
struct ctr_io {
	bool attach;     /* copy the output to the caller's stdout and stderr too (run, start -a) */
	bool open_stdin; /* -i: the container reads the caller's stdin (else /dev/null) */
	bool tty;        /* -t: the container gets a terminal of its own devpts (attach_console()) */
	int tty_master;  /* out, with tty: the terminal's master side for the caller (to close) */
};

/*
 * Start container c (created or exited) and return once its command runs, or with the error
 * that stopped it (err->status 126/127 as proc_spawn's; the state then records it). The work
 * is done by a monitor process, forked here, which outlives the caller:
 *   - it holds c's monitor.lock for its whole life (taken before the fork, so two starts of one
 *     container cannot both succeed: the second fails with EBUSY "is already running");
 *   - it leaves the caller's session (setsid) and ignores the signals of a terminal;
 *   - it names itself "minidock-mon" (prctl(PR_SET_NAME)): that is how `ps` (and the grader)
 *     tell a container's monitor from its PID 1;
 *   - it sets the network up with ctr_net_up() (ctr_net.h) before PID 1 starts;
 *   - it starts the command with proc_spawn() (ctr_spec()), its stdout and stderr on pipes, or
 *     with io->tty on the terminal the container makes in its own devpts: run.console set, over
 *     a unix socket whose other end receives its master side (attach_recv_fd()); and records
 *     "running" with ctr_record_running();
 *   - with io->tty, gives the caller that master side too (io->tty_master), for its keys;
 *   - until PID 1 ends it copies each stream into c's log with ctr_log_write(), and to the
 *     caller's stdout/stderr when io->attach (when the caller is gone, to the log only);
 *   - it passes SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 it gets on to PID 1;
 *   - it reaps PID 1, records the exit with ctr_record_exit(), lets ctr_schedule_restart()
 *     apply the restart policy, and exits with PID 1's status.
 * *out_monitor is the monitor's pid: a child of the caller, who may wait for it (an attached
 * run does, and takes its exit status as the container's) or leave it (it then is re-parented).
 * *out_pid is the container's PID 1.
 */
int ctr_start(struct container *c, struct ctr_io *io, pid_t *out_monitor, pid_t *out_pid, err_t *err);

/*
 * Write one log entry to the log file fd: a line {"log":"...","stream":"stdout|stderr",
 * "time":"RFC 3339 with nanoseconds, UTC"} as Docker's json-file driver. data (len bytes) is
 * one line of output with its '\n', or the end of a stream without one. Bytes that are not
 * UTF-8 become U+FFFD; control characters are escaped. Written with one write(2).
 */
int ctr_log_write(int fd, const char *stream, const char *data, size_t len, err_t *err);

/*
 * Stop c: send it signal sig, wait up to timeout seconds for it to end (-1: forever), then
 * SIGKILL it and wait for its end. Returns once the monitor recorded the exit. A container
 * that does not run is not an error (nothing to do).
 */
int ctr_stop(struct container *c, int sig, int timeout, err_t *err);

/* What `exec` runs in a running container. */
struct exec_spec {
	char **argv;       /* the command, NULL-terminated */
	char **env;        /* the container's environment with `-e` applied, NULL-terminated */
	const char *workdir; /* absolute, inside the container */
	const char *user;  /* as run_spec's, or NULL for the container's */
	int tty;           /* -t: the pty's slave side for stdin/out/err, or -1 for the caller's */
	const struct ctr_security *security; /* the container's limits (lab 5), or NULL */
};

/*
 * Start x->argv inside running container c and return its pid once it executes (or the
 * error that stopped it: 127 not found, 126 not executable, as proc_spawn's), for the caller
 * to wait for. The new process joins each of PID 1's namespaces that differ from the caller's
 * (IPC, UTS, network, mount, and PID, as `nsenter --target PID --all`), so that it sees the
 * container's processes, host name and root; it then goes to x->workdir, becomes x->user
 * with the container's limits (ctr_confine(x->security, ...), security.h) and executes x->argv with x->env, searching the container's PATH (lab 1's search: 127 when not
 * found, 126 when not executable). With x->tty it gets that terminal as stdin, stdout, stderr
 * and controlling terminal. A container whose PID 1 does not run is EINVAL, "container NAME is
 * not running" (the words `exec` prints, as Docker's). Nothing is left on failure.
 */
int ctr_exec(struct container *c, const struct exec_spec *x, pid_t *out_pid, err_t *err);

#endif
