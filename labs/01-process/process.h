/*
 * process.h - lab 1, process isolation: the contract of labs/01-process/process.c.
 *
 * A container is, first of all, an ordinary process that the kernel shows a smaller world:
 * its own process numbers (PID namespace: it is PID 1), its own host name (UTS), its own
 * System V IPC objects (IPC), its own mount table (mount), and its own root directory. The
 * functions below start such a process, wait for it, and pass signals on to it.
 *
 * `minidock run --rootfs DIR CMD...` (lib/cli/cmd_run.c) calls them in this order:
 *
 *	proc_environ()  -> the command's environment
 *	proc_spawn()    -> the container's PID 1 runs CMD
 *	proc_wait()     -> its exit status, which becomes minidock's
 */
#ifndef MINIDOCK_PROCESS_H
#define MINIDOCK_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"
#include "security.h"

/* Docker's PATH for a container whose image sets none. */
#define PROC_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Everything proc_spawn() needs to know about the container it starts. */
struct vol_mount;

struct run_spec {
	const char *rootfs;   /* host directory that becomes the container's "/" */
	const char *hostname; /* the container's host name */
	char **argv;          /* the command and its arguments, NULL-terminated; argv[0] != NULL */
	char **env;           /* the command's whole environment, NULL-terminated ("K=V") */
	const char *workdir;  /* absolute path inside the container; made when missing */
	bool readonly;        /* --read-only: the root file system is mounted read-only (lab 2) */
	char **tmpfs;         /* --tmpfs paths (absolute, inside), NULL-terminated; may be empty */
	const char *user;     /* run the command as this user (user.h), or NULL for root */
	bool console;         /* -t: the child makes its terminal with attach_console(console_fd) */
	int console_fd;       /*   a unix socket to the monitor, close-on-exec */
	const char *image;    /* run IMAGE: the image id, whose layers rootfs_enter() mounts (lab 3) */
	const char *root;     /*   the state directory holding the image store */
	const char *container_dir; /* the container's own directory (upper, work, merged) */
	const struct ctr_security *security; /* lab 5's limits (security.h), or NULL: none */
	const struct vol_mount *mounts;      /* lab 10's volumes, binds and tmpfs (volumes.h), */
	size_t n_mounts;                     /*   mounted by rootfs_enter() */
};

/*
 * Build the environment of a container's command the way Docker does, into *out_env (a
 * NULL-terminated, malloc'd array of malloc'd "K=V" strings; free with strv_free()):
 *   - PATH=PROC_DEFAULT_PATH and HOSTNAME=hostname, in that order (HOME comes later, from
 *     the user's /etc/passwd entry: proc_spawn() adds it when the environment has none);
 *   - then each entry of user_env (NULL-terminated, from `-e`) in order: "K=V" sets K (and
 *     replaces an earlier K, keeping its place); a bare "K" takes K's value from minidock's own
 *     environment, and is left out when minidock has no K.
 * An entry that is empty or starts with '=' is an error (EINVAL) naming the entry.
 */
int proc_environ(const char *hostname, char *const user_env[], char ***out_env, err_t *err);

/*
 * Start spec->argv as PID 1 of new PID, UTS, IPC and mount namespaces, and return its PID (as
 * this process sees it) in *out_pid. Before it executes the command, the new process:
 *   - makes every mount in its namespace private, so nothing it mounts reaches the host;
 *   - sets its host name to spec->hostname;
 *   - enters its root, spec->rootfs, with rootfs_enter() (rootfs.h: a chroot until lab 2
 *     gives it a root of its own);
 *   - makes and enters spec->workdir;
 *   - with spec->console, gets its terminal with attach_console(spec->console_fd) (attach.h),
 *     now that its own /dev/pts is there;
 *   - becomes spec->user (root when NULL) with ctr_confine(spec->security, ...) (security.h),
 *     always: it joins the container's cgroup and takes lab 5's limits (capabilities, seccomp)
 *     around user_switch() (user.h), which also sets root's groups from the image's
 *     /etc/group, and tells the user's home;
 *   - executes spec->argv with environment spec->env and, when spec->env has no HOME, HOME set
 *     to that home (user_env_home()), searching argv[0] in the PATH of that environment when it
 *     has no '/'.
 * The command starts with every signal at its default action and none blocked, whatever
 * minidock inherited; stdin, stdout and stderr are the caller's. proc_spawn() returns only once the command is
 * executing, or with the error that stopped it. The child's own errors come back through a
 * pipe (err_send/err_recv): a command that is not found fails with err->status 127 and a
 * message containing "executable file not found in $PATH" (or "no such file or directory" for
 * a path); one that cannot be executed (a directory, no x bit) with err->status 126. Nothing
 * is left behind on failure: no process, no zombie.
 * On return, success or not, the signals proc_wait() forwards are blocked in the caller, so
 * that none sent between the two calls is lost.
 */
int proc_spawn(const struct run_spec *spec, pid_t *out_pid, err_t *err);

/*
 * Execute argv with environment env, looking argv[0] up in env's PATH (Docker's default when
 * env has none) when it has no '/', trying each directory in turn as a shell would. Returns only
 * on failure: err->status 127 and "executable file not found in $PATH" (or "no such file or
 * directory" for a path) when nothing is found, 126 when what is found cannot be executed (a
 * directory, no x bit). proc_spawn()'s child ends with it; so does lab 4's `exec`.
 */
int proc_exec(char *const argv[], char *const env[], err_t *err);

/*
 * Wait for the container process pid (from proc_spawn) to end, and set *out_status to its exit
 * status: the status it exited with, or 128 + N when signal N killed it (137 for SIGKILL).
 * While waiting, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to minidock are
 * passed on to the container process. (As PID 1 of its namespace, the container process only
 * receives the signals it has a handler for: the kernel protects a namespace's init.)
 */
int proc_wait(pid_t pid, int *out_status, err_t *err);

#endif
