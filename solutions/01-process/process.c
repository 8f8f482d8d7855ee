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

/* SOLUTION BEGIN */
/* The signals a user sends to minidock that are meant for the container. */
static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

#define CHILD_STACK_SIZE (256 * 1024)

/* Those signals and SIGCHLD: what the parent blocks and then waits for. */
static void waited_signals(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		sigaddset(set, forwarded_signals[i]);
	sigaddset(set, SIGCHLD);
}

/*
 * The environment being built: the entries, and an index from each key to its entry, so that
 * replacing a key costs the same with 3 entries or 90,000 (a list searched from the start
 * each time would make a long -e list take quadratic time). The index is a table of entry
 * numbers + 1 (0: free), found by hashing the key, with linear probing; never more than half
 * full.
 */
struct env_build {
	char **env;      /* n entries, then NULL */
	size_t n;
	size_t *slots;   /* index: entry number + 1, or 0 */
	size_t n_slots;  /* a power of two */
};

/* FNV-1a of the key's bytes. */
static size_t key_hash(const char *key, size_t len)
{
	size_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	return h;
}

/* Set (or replace, keeping its place) "K=V" in b, which has room for one more entry. */
static int env_set(struct env_build *b, const char *entry, size_t key_len, err_t *err)
{
	char *copy = strdup(entry);
	if (!copy)
		return err_sys(err, "environment");
	size_t at = key_hash(entry, key_len) & (b->n_slots - 1);
	for (; b->slots[at]; at = (at + 1) & (b->n_slots - 1)) {
		char **old = &b->env[b->slots[at] - 1];
		if (strncmp(*old, entry, key_len) == 0 && (*old)[key_len] == '=') {
			free(*old);
			*old = copy;
			return 0;
		}
	}
	b->env[b->n++] = copy;
	b->slots[at] = b->n;
	return 0;
}
/* SOLUTION END */

int proc_environ(const char *hostname, char *const user_env[], char ***out_env, err_t *err)
{
	/* SOLUTION BEGIN */
	size_t n_user = 0;
	while (user_env[n_user])
		n_user++;
	_cleanup_strv_ char **env = calloc(2 + n_user + 1, sizeof(char *));
	size_t n_slots = 8;
	while (n_slots < 2 * (2 + n_user))
		n_slots *= 2;
	_cleanup_free_ size_t *slots = calloc(n_slots, sizeof(size_t));
	if (!env || !slots)
		return err_sys(err, "environment");
	struct env_build b = { .env = env, .slots = slots, .n_slots = n_slots };
	char hostname_entry[HOST_NAME_MAX + 10];
	snprintf(hostname_entry, sizeof(hostname_entry), "HOSTNAME=%s", hostname);
	if (env_set(&b, "PATH=" PROC_DEFAULT_PATH, 4, err) < 0 || env_set(&b, hostname_entry, 8, err) < 0)
		return -1;

	for (size_t i = 0; i < n_user; i++) {
		const char *entry = user_env[i];
		const char *eq = strchr(entry, '=');
		if (entry[0] == '\0' || entry[0] == '=')
			return err_msg(err, EINVAL, "invalid environment variable \"%s\"", entry);
		if (eq) {
			if (env_set(&b, entry, (size_t)(eq - entry), err) < 0)
				return -1;
			continue;
		}
		/* `-e K`: K's value comes from minidock's own environment, if it has one. */
		const char *value = getenv(entry);
		if (!value)
			continue;
		_cleanup_free_ char *copied = NULL;
		if (asprintf(&copied, "%s=%s", entry, value) < 0)
			return err_sys(err, "environment");
		if (env_set(&b, copied, strlen(entry), err) < 0)
			return -1;
	}
	*out_env = take_ptr(&env);
	return 0;
	/* SOLUTION END: return lab_todo(err, 1, __func__); */
}

/* SOLUTION BEGIN */
/* Value of "PATH" in env, or Docker's default when env has none. */
static const char *env_path(char *const env[])
{
	for (size_t i = 0; env[i]; i++)
		if (strncmp(env[i], "PATH=", 5) == 0)
			return env[i] + 5;
	return PROC_DEFAULT_PATH;
}
/* SOLUTION END */

int proc_exec(char *const argv[], char *const env[], err_t *err)
{
	/* SOLUTION BEGIN */
	const char *file = argv[0];

	if (strchr(file, '/')) {
		execve(file, argv, env);
		if (errno == ENOENT || errno == ENOTDIR) {
			err_msg(err, errno, "exec: \"%s\": stat %s: no such file or directory", file, file);
			err->status = EXIT_NOT_FOUND;
		} else {
			err_set(err, errno, "exec: \"%s\"", file);
			err->status = EXIT_CANNOT_INVOKE;
		}
		return -1;
	}

	/* Try each directory of PATH in turn, as a shell would. */
	int denied = 0;
	char path_copy[PATH_MAX];
	snprintf(path_copy, sizeof(path_copy), "%s", env_path(env));
	char *save = NULL;
	for (char *dir = strtok_r(path_copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char candidate[PATH_MAX];
		if (snprintf(candidate, sizeof(candidate), "%s/%s", dir, file) >= (int)sizeof(candidate))
			continue;
		execve(candidate, argv, env);
		if (errno == EACCES || errno == EISDIR || errno == ENOEXEC) {
			denied = errno; /* found, but not something we can run: keep looking */
			err_set(err, denied, "exec: \"%s\": %s", file, candidate);
		}
	}
	if (denied) {
		err->status = EXIT_CANNOT_INVOKE;
		return -1;
	}
	err_msg(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", file);
	err->status = EXIT_NOT_FOUND;
	return -1;
	/* SOLUTION END: return lab_todo(err, 1, __func__); */
}

/* SOLUTION BEGIN */
/* Everything the child does between clone() and execve(). Returns only on failure. */
static int child_setup(const struct run_spec *spec, err_t *err)
{
	/* mount --make-rprivate /: the new mount namespace starts as a copy of the host's, still
	 * joined to it by shared propagation; cut that tie before mounting anything. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_sys(err, "make mounts private");
	/* hostname NAME, seen only in the new UTS namespace. */
	if (sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return err_sys(err, "set hostname \"%s\"", spec->hostname);
	/* From now on "/" is the container's root (a chroot until lab 2, then pivot_root). */
	if (rootfs_enter(spec, err) < 0)
		return err_wrap(err, "rootfs \"%s\"", spec->rootfs);
	/* Docker makes a missing working directory rather than failing. */
	if (fs_mkdir_p(spec->workdir, 0755, err) < 0)
		return err_wrap(err, "working directory");
	if (chdir(spec->workdir) < 0)
		return err_sys(err, "chdir %s", spec->workdir);
	/* -t: a terminal of the container's own devpts, its master side sent to the monitor. */
	if (spec->console && attach_console(spec->console_fd, err) < 0)
		return -1;
	/* Last, as it gives up power: lab 5's limits, and the user the image or `run -u` names
	 * (root when none), whose home becomes HOME unless the environment has one. */
	char home[PATH_MAX];
	if (ctr_confine(spec->security, spec->user, home, err) < 0)
		return -1;
	_cleanup_free_ char **env = user_env_home(spec->env, home);
	if (!env)
		return err_set(err, ENOMEM, "environment");
	return proc_exec(spec->argv, env, err);
}

struct child_args {
	const struct run_spec *spec;
	int report_fd; /* write end of the pipe, close-on-exec */
};

static int child_main(void *arg)
{
	struct child_args *args = arg;
	err_t err = { 0 };

	/* If minidock dies, so does the container: nothing may outlive `minidock run`. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The command starts with a clean slate: every signal at its default action (an ignored
	 * signal stays ignored across exec, and a shell cannot trap it then), none blocked. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	child_setup(args->spec, &err);
	err_send(args->report_fd, &err);
	_exit(EXIT_MINIDOCK_ERROR);
}
/* SOLUTION END */

int proc_spawn(const struct run_spec *spec, pid_t *out_pid, err_t *err)
{
	/* SOLUTION BEGIN */
	struct child_args args = { .spec = spec };
	sigset_t waited;
	int pipefd[2];

	/* Block before clone(), so a signal that comes early waits for proc_wait(). A signal
	 * minidock inherited as ignored (as `cmd &` does to SIGINT) would be dropped, never
	 * waited for: give each its default action back (blocked, it cannot act anyway). */
	waited_signals(&waited);
	sigprocmask(SIG_BLOCK, &waited, NULL);
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		signal(forwarded_signals[i], SIG_DFL);

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	_cleanup_close_ int report_read = pipefd[0];
	_cleanup_close_ int report_write = pipefd[1];
	args.report_fd = report_write;

	_cleanup_free_ char *stack = malloc(CHILD_STACK_SIZE);
	if (!stack)
		return err_sys(err, "allocate the child's stack");
	/* unshare --pid --uts --ipc --mount --fork: the child is PID 1 of the new PID namespace. */
	int flags = CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS | SIGCHLD;
	pid_t pid = clone(child_main, stack + CHILD_STACK_SIZE, flags, &args);
	if (pid < 0)
		return err_sys(err, "clone");
	_cleanup_kill_ pid_t child = pid; /* killed and reaped on any failure below */

	/* Keep only the read end here, or we would never see end-of-file. */
	close(take_fd(&report_write));
	if (err_recv(report_read, err) < 0)
		return -1;
	*out_pid = child;
	child = 0;
	return 0;
	/* SOLUTION END: return lab_todo(err, 1, __func__); */
}

int proc_wait(pid_t pid, int *out_status, err_t *err)
{
	/* SOLUTION BEGIN */
	sigset_t waited;
	waited_signals(&waited);

	for (;;) {
		int status;
		pid_t done = waitpid(pid, &status, WNOHANG);
		if (done < 0 && errno != EINTR)
			return err_sys(err, "wait for the container (pid %d)", (int)pid);
		if (done == pid) {
			if (WIFSIGNALED(status))
				*out_status = 128 + WTERMSIG(status);
			else
				*out_status = WEXITSTATUS(status);
			return 0;
		}
		/* Sleep until a signal comes: SIGCHLD (check again) or one to pass on. A SIGCHLD
		 * that arrived since waitpid() is pending, so this returns at once: no race. */
		siginfo_t info;
		int sig = sigwaitinfo(&waited, &info);
		if (sig < 0 && errno != EINTR)
			return err_sys(err, "wait for signals");
		if (sig > 0 && sig != SIGCHLD)
			kill(pid, sig);
	}
	/* SOLUTION END: return lab_todo(err, 1, __func__); */
}
