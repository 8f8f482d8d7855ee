/*
 * container.h - containers that outlive the command that made them: the container store
 * (given: container.c) that lab 4's monitor builds on (labs/04-lifecycle/lifecycle.h).
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

/* --- the store (container.c) ----------------------------------------------------------------- */

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
	struct ctr_security security; /* capabilities, seccomp, and its new cgroup (lab 5) */
	char store_root[PATH_MAX];    /* --userns-remap: the store of its shifted layers */
	struct vol_mount *mounts;     /* lab 10's (vol_mounts_of()), malloc'd */
};
/* ctr_spec_make() makes the container's cgroup (ctr_cgroup_create()): the caller starts the
 * container or, on failure, records it (ctr_record_start_error(), ctr_record_exit() remove the
 * cgroup again). */
int ctr_spec_make(const struct container *c, struct ctr_spec *out, err_t *err);

/* The container's whole environment: Docker's defaults (PATH, HOSTNAME, with proc_environ())
 * and Config.Env, what the image and -e set. A malloc'd array (strv_free()). */
int ctr_environ(const struct container *c, char ***out, err_t *err);
void ctr_spec_free(struct ctr_spec *spec);

/* Take c's monitor lock (an open file description lock on ROOT/containers/ID/monitor.lock,
 * which a fork() shares and the kernel drops when the last holder exits) and return its fd.
 * EBUSY "container NAME is already running" when a monitor holds it. */
int ctr_monitor_lock(const struct container *c, int *out_fd, err_t *err);

/* Record, under the state lock, that c's PID 1 pid started now (with the NetworkSettings
 * ctr_net_up() put in c->doc), or that it could not start (State.Error and ExitCode from
 * start_err), or that it ended with exit status (128+N for signal N) now. A container with
 * HostConfig.AutoRemove is removed when it ends. */
int ctr_record_running(struct container *c, pid_t pid, err_t *err);
int ctr_record_start_error(struct container *c, const err_t *start_err, err_t *err);
int ctr_record_exit(struct container *c, int status, err_t *err);

/* Record that c's processes are frozen (paused) or thawed (lab 5's cg_freeze(): `pause`). */
int ctr_record_paused(struct container *c, bool paused, err_t *err);

/* Record new values of some of c's HostConfig fields (an object: `update`'s limits). */
int ctr_record_host_config(struct container *c, const json_t *fields, err_t *err);

/* Record c's NetworkSettings (ctr_net.h's ctr_net_up() calls it). Its end (or its start's
 * failure) frees what they hold: ctr_net_down() (network.h). */
int ctr_record_network(struct container *c, const json_t *settings, err_t *err);
/* Add names (an array of strings) to c's aliases on network net (NetworkingConfig.EndpointsConfig.
 * NET.Aliases, which the embedded DNS server answers for): network connect --alias. */
int ctr_record_aliases(struct container *c, const char *net, const json_t *names, err_t *err);

/* --- the volumes containers use ------------------------------------------------------------------ */

/* The ids of the containers whose Mounts use volume name (a new array). */
int ctr_volume_users(const char *root, const char *name, json_t **out, err_t *err);

/* Remove volume name, refused (EBUSY "volume is in use - [ID...]") while a container uses it,
 * even a stopped one; force: a missing volume is no error. */
int ctr_volume_remove(const char *root, const char *name, bool force, err_t *err);

/* The anonymous volumes of a removed container (rm -v, --rm): removed, unless another
 * container uses one too (--volumes-from). */
void ctr_volume_release(const char *root, const json_t *doc);

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

#endif
