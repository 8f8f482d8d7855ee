/*
 * container.h - containers that outlive the command that made them (lab 4's contract, and
 * the container store it builds on).
 *
 * Until lab 4, `minidock run` was the container: it started PID 1, waited, and the container
 * was gone when it returned. Docker's engine keeps containers: `create` writes one down,
 * `start` brings it to life, and it goes on after the command returns; `ps`, `logs`, `stop`,
 * `exec`, `rm` find it again later, from other processes. minidock has no daemon, so each
 * container gets a small process of its own, its monitor (as conmon is for podman):
 *
 *	minidock start web ── fork ──> monitor ── clone ──> PID 1 of the container
 *	      (returns)                  │  holds ROOT/containers/ID/monitor.lock while it lives
 *	                                 │  copies the container's output into the log
 *	                                 └─ reaps PID 1, writes down its exit status and times
 *
 * The store (container.c) keeps each container in ROOT/containers/ID/:
 *
 *	container.json   what `inspect` shows: Id, Name, Created, Config, HostConfig, State
 *	ID-json.log      the log, one JSON object per line, as Docker's json-file driver
 *	monitor.lock     locked by the monitor for as long as it lives
 *	upper/ work/ merged/   the overlay of a container made from an image (lab 3)
 *
 * The state never lies: a monitor that is killed (even with -9) drops its lock, because the
 * kernel releases a flock when the last file descriptor on it goes; and its container dies
 * with it (PR_SET_PDEATHSIG, lab 1). So "the monitor's lock is free but the state says
 * running" can only mean that the monitor died: ctr_load() then writes the truth down
 * (exited, status 137) before anyone sees the state. Every change to a container.json is made
 * under the state lock (lock.h) and written atomically (fsutil.h).
 */
#ifndef MINIDOCK_CONTAINER_H
#define MINIDOCK_CONTAINER_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "err.h"
#include "process.h"

#define CTR_ID_LEN 64
/* Docker's default grace period of `stop`, in seconds. */
#define CTR_STOP_TIMEOUT 10

struct container {
	char id[CTR_ID_LEN + 1];
	char root[PATH_MAX]; /* the state directory, absolute */
	char dir[PATH_MAX];  /* ROOT/containers/ID */
	json_t *doc;         /* container.json */
};

/* --- the store (lib/container.c) ------------------------------------------------------------- */

/*
 * Write a new container down, in state "created", and fill *out. doc holds what the caller
 * knows (Name or null, Path, Args, Config, HostConfig, Image, Rootfs); this adds Id, Created,
 * State and, for a container of an image, its directories. A Name in use is refused (EEXIST)
 * with Docker's message; no Name gets a random one. Made in a temporary directory and renamed
 * into place under the state lock: a container exists whole or not at all.
 */
int ctr_create(const char *root, json_t *doc, struct container *out, err_t *err);

/* Find the container ref names (its id, a unique prefix of the id, or its name) and load it,
 * state made true first. ENOENT "No such container: ref" when none matches. */
int ctr_load(const char *root, const char *ref, struct container *out, err_t *err);

/*
 * A container whose container.json cannot be read or is not what minidock writes (a value of
 * the wrong type, a truncated file) is damaged: ctr_load() refuses it (EBADMSG, naming the
 * fault); ctr_load_any() and ctr_list() load it with a stand-in doc (State.Status "dead", the
 * reason in State.Error), for which ctr_damaged() is true, so that `ps -a` shows it and
 * `rm -f` removes it (killing its monitor, found through its lock).
 */
int ctr_load_any(const char *root, const char *ref, struct container *out, err_t *err);
bool ctr_damaged(const struct container *c);

/* Load every container, newest first, into a malloc'd array; free with ctr_free_list(). */
int ctr_list(const char *root, struct container **out, size_t *out_n, err_t *err);
void ctr_free_list(struct container *list, size_t n);

/* Give c another name (Docker's rule for names; EEXIST when another container has it). The
 * DNS of its networks answers to the new name from then on (network.h: net_rename()). */
int ctr_rename(struct container *c, const char *name, err_t *err);

/* Release what ctr_load()/ctr_create() gave c. */
void ctr_release(struct container *c);

/* Read c's container.json again (state made true), after another process may have changed it. */
int ctr_reload(struct container *c, err_t *err);

/* State.Status, and whether the container's monitor is alive (so its PID 1 may run). */
const char *ctr_status(const struct container *c);
bool ctr_monitor_alive(const struct container *c);

/* The container's PID 1 as the host sees it, or 0 when it does not run. */
pid_t ctr_pid(const struct container *c);

/* The container's command, environment, root and options, ready for proc_spawn(). */
struct ctr_spec {
	struct run_spec run; /* points into the container's doc and into the fields below */
	char **argv;         /* the command (after minidock-init and "--" with --init) */
	char **tmpfs;
	char **env;          /* ctr_environ()'s */
	char rootfs[PATH_MAX + 16];
	char init_exe[32];   /* "/proc/self/fd/N": minidock-init, open on fd N, for --init */
	int init_fd;         /* that fd (not close-on-exec, so that PID 1 can execute it), or -1 */
};
int ctr_spec_make(const struct container *c, struct ctr_spec *out, err_t *err);

/* The container's whole environment: Docker's defaults (PATH, HOSTNAME, with proc_environ())
 * and Config.Env, what the image and -e set. A malloc'd array (strv_free()). */
int ctr_environ(const struct container *c, char ***out, err_t *err);
void ctr_spec_free(struct ctr_spec *spec);

/* Take c's monitor lock (an open file description lock on ROOT/containers/ID/monitor.lock,
 * which a fork() shares and the kernel drops when the last holder exits) and return its fd.
 * EBUSY "container NAME is already running" when a monitor holds it. */
int ctr_monitor_lock(const struct container *c, int *out_fd, err_t *err);

/* Record, under the state lock, that c's PID 1 pid started now, or that it could not start
 * (State.Error and ExitCode from start_err), or that it ended with exit status (128+N for
 * signal N) now. A container with HostConfig.AutoRemove is removed when it ends. */
int ctr_record_running(struct container *c, pid_t pid, err_t *err);
int ctr_record_start_error(struct container *c, const err_t *start_err, err_t *err);
int ctr_record_exit(struct container *c, int status, err_t *err);

/* Record c's NetworkSettings (network.h's ctr_net_up() calls it). Its end (or its start's
 * failure) frees what they hold: ctr_net_down(). */
int ctr_record_network(struct container *c, const json_t *settings, err_t *err);

/*
 * Restart policies (HostConfig.RestartPolicy {"Name": no|always|unless-stopped|on-failure,
 * "MaximumRetryCount": N}), as Docker's: called by the monitor once it recorded PID 1's end with
 * exit status. When the policy asks for it (on-failure: a status other than 0, at most N times)
 * and nobody stopped the container (ctr_mark_stopped()), marks it State.Restarting and forks a
 * process that waits for the monitor to be gone, waits Docker's delay (100 ms, doubled at each
 * restart, at most a minute), counts RestartCount and starts the container again. Returns in
 * the monitor at once.
 */
void ctr_schedule_restart(struct container *c, int status);

/* `stop` and `kill` were asked: no restart policy starts c again until it is started again. */
int ctr_mark_stopped(struct container *c, err_t *err);

/* Wait until c's monitor is gone, at most timeout_ms milliseconds (-1: forever). Returns 1
 * when it is gone, 0 on timeout. */
int ctr_wait_monitor(const struct container *c, int timeout_ms);

/* Remove c: refused while it runs (EBUSY) unless force, which kills it first. Nothing of it
 * is left: directory, log, monitor. */
int ctr_remove(struct container *c, bool force, err_t *err);

/* The full path of the minidock-init program (next to minidock itself), for --init. */
int ctr_init_path(char *out, size_t size, err_t *err);

/* --- lab 4 (labs/04-lifecycle/monitor.c) ------------------------------------------------------ */

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
 *   - it sets the network up with ctr_net_up() (network.h) before PID 1 starts;
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
};

/*
 * Start x->argv inside running container c and return its pid once it executes (or the
 * error that stopped it: 127 not found, 126 not executable, as proc_spawn's), for the caller
 * to wait for. The new process joins each of PID 1's namespaces that differ from the caller's
 * (IPC, UTS, network, mount, and PID, as `nsenter --target PID --all`), so that it sees the
 * container's processes, host name and root; it then goes to x->workdir, becomes x->user and
 * executes x->argv with x->env, searching the container's PATH (lab 1's search: 127 when not
 * found, 126 when not executable). With x->tty it gets that terminal as stdin, stdout, stderr
 * and controlling terminal. A container whose PID 1 does not run is EINVAL, "container NAME is
 * not running" (the words `exec` prints, as Docker's). Nothing is left on failure.
 */
int ctr_exec(struct container *c, const struct exec_spec *x, pid_t *out_pid, err_t *err);

#endif
