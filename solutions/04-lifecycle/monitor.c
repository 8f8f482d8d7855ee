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

/* SOLUTION BEGIN */
/* What the monitor tells ctr_start(): PID 1's pid, or why it could not start. */
struct start_report {
	err_t err; /* err.msg[0] == '\0': started */
	pid_t pid;
};

/* The signals passed on to PID 1, as proc_wait() does in lab 1. */
static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

/* Docker's json-file driver cuts lines longer than this into several entries. */
#define LINE_MAX_BYTES 16384

/* One output stream of the container: where it comes from, where it goes. */
struct stream {
	const char *name; /* "stdout" or "stderr", for the log */
	int fd;           /* the read end of its pipe (or the pty's master), -1 at its end */
	int attach_fd;    /* the caller's stdout or stderr, or -1 */
	char line[LINE_MAX_BYTES];
	size_t used; /* bytes of a line not yet logged */
};

/* Length of the UTF-8 sequence at s (at most len bytes), or 0 when it is not valid UTF-8. */
static size_t utf8_length(const unsigned char *s, size_t len)
{
	size_t need = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;

	if (need == 0 || need > len || (s[0] >= 0xf8))
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return need;
}
/* SOLUTION END */

int ctr_log_write(int fd, const char *stream, const char *data, size_t len, err_t *err)
{
	/* SOLUTION BEGIN */
	/* Worst case: every byte becomes "\ufffd" (6 bytes), plus the rest of the object. */
	_cleanup_free_ char *entry = malloc(len * 6 + 128);
	char now[TIME_RFC3339_LEN];
	size_t n = 0;

	if (!entry)
		return err_sys(err, "log");
	n += (size_t)sprintf(entry, "{\"log\":\"");
	const unsigned char *p = (const unsigned char *)data;
	for (size_t i = 0; i < len;) {
		unsigned char ch = p[i];
		if (ch == '"' || ch == '\\') {
			entry[n++] = '\\';
			entry[n++] = (char)ch;
		} else if (ch == '\n') {
			n += (size_t)sprintf(entry + n, "\\n");
		} else if (ch == '\t') {
			n += (size_t)sprintf(entry + n, "\\t");
		} else if (ch == '\r') {
			n += (size_t)sprintf(entry + n, "\\r");
		} else if (ch < 0x20 || ch == 0x7f) {
			n += (size_t)sprintf(entry + n, "\\u%04x", ch);
		} else if (ch < 0x80) {
			entry[n++] = (char)ch;
		} else {
			size_t seq = utf8_length(p + i, len - i);
			if (seq == 0) {
				n += (size_t)sprintf(entry + n, "\\ufffd"); /* not UTF-8: the replacement char */
				i++;
				continue;
			}
			memcpy(entry + n, p + i, seq);
			n += seq;
			i += seq;
			continue;
		}
		i++;
	}
	time_now_rfc3339(now);
	n += (size_t)sprintf(entry + n, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, now);
	/* One write(2) to a file opened with O_APPEND: a reader never sees half a line. */
	if (fs_write_all(fd, entry, n) < 0)
		return err_sys(err, "write the log");
	return 0;
	/* SOLUTION END: return lab_todo(err, 4, __func__); */
}

/* SOLUTION BEGIN */
/* Log the complete lines in s's buffer (all of it when at_end or when it is full). */
static void log_lines(struct stream *s, int log_fd, bool at_end)
{
	size_t start = 0;
	err_t ignored;

	for (size_t i = 0; i < s->used; i++) {
		if (s->line[i] == '\n') {
			ctr_log_write(log_fd, s->name, s->line + start, i + 1 - start, &ignored);
			start = i + 1;
		}
	}
	if (start < s->used && (at_end || (start == 0 && s->used == sizeof(s->line)))) {
		ctr_log_write(log_fd, s->name, s->line + start, s->used - start, &ignored);
		start = s->used;
	}
	memmove(s->line, s->line + start, s->used - start);
	s->used -= start;
}

/* Read what s has: to the attached terminal as it comes, to the log line by line. */
static void drain(struct stream *s, int log_fd)
{
	ssize_t n = read(s->fd, s->line + s->used, sizeof(s->line) - s->used);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) { /* end of the stream (EIO on a pty whose last user is gone) */
		log_lines(s, log_fd, true);
		close(s->fd);
		s->fd = -1;
		return;
	}
	/* The caller may be gone (killed, or its terminal closed): then only the log. */
	if (s->attach_fd >= 0 && fs_write_all(s->attach_fd, s->line + s->used, (size_t)n) < 0) {
		close(s->attach_fd);
		s->attach_fd = -1;
	}
	s->used += (size_t)n;
	log_lines(s, log_fd, false);
}

/* Close every fd from 3 up, except the n of keep. */
static void close_others(const int *keep, size_t n)
{
	unsigned int from = 3;

	for (;;) {
		unsigned int next = ~0U;
		for (size_t i = 0; i < n; i++)
			if (keep[i] >= (int)from && (unsigned int)keep[i] < next)
				next = (unsigned int)keep[i];
		if (next > from)
			close_range(from, next - 1, 0);
		if (next == ~0U)
			return;
		from = next + 1;
	}
}

/* The report, one message; after a start with a terminal, its master side, one more. */
static void send_report(int fd, const struct start_report *report, int tty_master)
{
	err_t ignored;
	fs_write_all(fd, (const char *)report, sizeof(*report));
	if (tty_master >= 0)
		attach_send_fd(fd, tty_master, &ignored);
	close(fd);
}

/*
 * The monitor, from the fork to its exit. lock_fd holds the monitor lock; report_fd is the
 * pipe to ctr_start(). Never returns.
 */
static void monitor_main(struct container *c, const struct ctr_io *io, int lock_fd, int report_fd)
{
	struct start_report report = { .pid = 0 };
	struct stream out = { .name = "stdout", .fd = -1, .attach_fd = -1 };
	struct stream errs = { .name = "stderr", .fd = -1, .attach_fd = -1 };
	int pipe_out[2] = { -1, -1 }, pipe_err[2] = { -1, -1 };
	char log_path[PATH_MAX + 80];

	/* A session of its own: the caller's terminal (its Ctrl-C, its hang-up) is not ours. */
	setsid();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	prctl(PR_SET_NAME, "minidock-mon");

	/* The attached caller's stdout and stderr, kept aside: 1 and 2 become the container's. */
	if (io->attach) {
		out.attach_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		errs.attach_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	}
	snprintf(log_path, sizeof(log_path), "%s/%s-json.log", c->dir, c->id);
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int keep[] = { lock_fd, report_fd, out.attach_fd, errs.attach_fd, log_fd, devnull };
	close_others(keep, sizeof(keep) / sizeof(keep[0]));
	if (log_fd < 0 || devnull < 0) {
		err_sys(&report.err, "open %s", log_path);
		goto failed;
	}

	/* The container's stdin, stdout and stderr are the monitor's 0, 1 and 2 when it spawns;
	 * with a terminal, the container makes it in its own devpts and sends us its master side
	 * (as runc's console socket): a pty of the host's devpts would have no name inside. */
	int console[2] = { -1, -1 };
	if (io->tty) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, console) < 0) {
			err_sys(&report.err, "socketpair for the container's terminal");
			goto failed;
		}
		dup2(devnull, STDIN_FILENO);
	} else {
		if (pipe2(pipe_out, O_CLOEXEC) < 0 || pipe2(pipe_err, O_CLOEXEC) < 0) {
			err_sys(&report.err, "pipe");
			goto failed;
		}
		if (!io->open_stdin)
			dup2(devnull, STDIN_FILENO);
		dup2(pipe_out[1], STDOUT_FILENO);
		dup2(pipe_err[1], STDERR_FILENO);
		close(pipe_out[1]);
		close(pipe_err[1]);
		out.fd = pipe_out[0];
		errs.fd = pipe_err[0];
	}

	/* The network (labs 6 and 7): this process moves into the container's network namespace,
	 * which PID 1 inherits. */
	if (ctr_net_up(c, &report.err) < 0)
		goto failed;
	struct ctr_spec spec;
	pid_t pid;
	if (ctr_spec_make(c, &spec, &report.err) < 0)
		goto failed;
	spec.run.console = io->tty;
	spec.run.console_fd = console[1];
	int spawned = proc_spawn(&spec.run, &pid, &report.err);
	ctr_spec_free(&spec);
	if (io->tty) {
		close(console[1]);
		if (spawned == 0 && attach_recv_fd(console[0], &out.fd, &report.err) < 0) {
			kill(pid, SIGKILL);
			spawned = -1;
		}
		close(console[0]);
	}
	/* Only PID 1 keeps the ends it writes to, so their end is its end (and its children's). */
	dup2(devnull, STDIN_FILENO);
	dup2(devnull, STDOUT_FILENO);
	dup2(devnull, STDERR_FILENO);
	if (spawned < 0)
		goto failed;
	err_t rec_err;
	if (ctr_record_running(c, pid, &rec_err) < 0) {
		kill(pid, SIGKILL);
		report.err = rec_err;
		goto failed;
	}
	report.pid = pid;
	memset(&report.err, 0, sizeof(report.err)); /* what a call that succeeded left there is no error */
	send_report(report_fd, &report, io->tty ? out.fd : -1);

	/* proc_spawn() left SIGCHLD and the forwarded signals blocked: read them from an fd. */
	sigset_t waited;
	sigemptyset(&waited);
	sigaddset(&waited, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		sigaddset(&waited, forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &waited, NULL);
	int sig_fd = signalfd(-1, &waited, SFD_CLOEXEC);

	int status = -1;
	while (status < 0 || out.fd >= 0 || errs.fd >= 0) {
		struct pollfd fds[3] = { { .fd = out.fd, .events = POLLIN },
					 { .fd = errs.fd, .events = POLLIN },
					 { .fd = status < 0 ? sig_fd : -1, .events = POLLIN } };
		if (poll(fds, 3, -1) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			drain(&out, log_fd);
		if (fds[1].revents)
			drain(&errs, log_fd);
		if (fds[2].revents) {
			struct signalfd_siginfo info;
			if (read(sig_fd, &info, sizeof(info)) != sizeof(info))
				continue;
			/* A signal a pty sends its foreground group (Ctrl-C) reached PID 1 itself. */
			if (info.ssi_signo != SIGCHLD && info.ssi_code != SI_KERNEL)
				kill(pid, (int)info.ssi_signo);
			int raw;
			if (waitpid(pid, &raw, WNOHANG) == pid)
				status = WIFSIGNALED(raw) ? 128 + WTERMSIG(raw) : WEXITSTATUS(raw);
		}
	}
	/* Written down before the exit, which drops the lock: whoever saw the lock go sees this. */
	ctr_record_exit(c, status, &rec_err);
	ctr_schedule_restart(c, status);
	_exit(status);

failed:
	{
		err_t ignored;
		ctr_record_start_error(c, &report.err, &ignored);
	}
	send_report(report_fd, &report, -1);
	_exit(report.err.status ? report.err.status : EXIT_MINIDOCK_ERROR);
}
/* SOLUTION END */

int ctr_start(struct container *c, struct ctr_io *io, pid_t *out_monitor, pid_t *out_pid, err_t *err)
{
	/* SOLUTION BEGIN */
	_cleanup_close_ int lock_fd = -1;
	int pipefd[2];

	if (ctr_monitor_lock(c, &lock_fd, err) < 0)
		return -1;
	/* Messages: the report, then (with a terminal) its master side, passed as a descriptor. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pipefd) < 0)
		return err_sys(err, "socketpair");
	_cleanup_close_ int report_read = pipefd[0];
	/* The lock is an open file description: after the fork the monitor holds it too, and it
	 * stays held after we close our fd, until the monitor exits. */
	pid_t monitor = fork();
	if (monitor < 0) {
		close(pipefd[1]);
		return err_sys(err, "fork the monitor");
	}
	if (monitor == 0) {
		close(pipefd[0]);
		monitor_main(c, io, lock_fd, pipefd[1]);
	}
	close(pipefd[1]);

	struct start_report report;
	size_t have = 0;
	while (have < sizeof(report)) {
		ssize_t n = read(report_read, (char *)&report + have, sizeof(report) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	if (have < sizeof(report)) {
		waitpid(monitor, NULL, 0);
		return err_msg(err, EPROTO, "container %.12s: the monitor died while starting it", c->id);
	}
	if (report.err.msg[0]) {
		waitpid(monitor, NULL, 0);
		report.err.msg[sizeof(report.err.msg) - 1] = '\0';
		*err = report.err;
		return -1;
	}
	if (io->tty && attach_recv_fd(report_read, &io->tty_master, err) < 0) {
		kill(report.pid, SIGKILL);
		return err_wrap(err, "container %.12s", c->id);
	}
	*out_monitor = monitor;
	*out_pid = report.pid;
	return 0;
	/* SOLUTION END: return lab_todo(err, 4, __func__); */
}

int ctr_stop(struct container *c, int sig, int timeout, err_t *err)
{
	/* SOLUTION BEGIN */
	/* A container being started has no PID 1 written yet: give it a moment. */
	for (int tries = 0; ctr_monitor_alive(c) && ctr_pid(c) <= 0 && tries < 200; tries++) {
		struct timespec pause = { 0, 5000000 };
		nanosleep(&pause, NULL);
		if (ctr_reload(c, err) < 0)
			return err->code == ENOENT ? 0 : -1;
	}
	if (!ctr_monitor_alive(c) || ctr_pid(c) <= 0)
		return 0; /* not running: nothing to stop */
	/* docker stop: the stop signal, the grace period, then SIGKILL. As PID 1 of its
	 * namespace, a command without a handler for sig does not even see it. */
	if (kill(ctr_pid(c), sig) < 0 && errno != ESRCH)
		return err_sys(err, "send signal %d to container %.12s", sig, c->id);
	if (!ctr_wait_monitor(c, timeout < 0 ? -1 : timeout * 1000)) {
		kill(ctr_pid(c), SIGKILL);
		ctr_wait_monitor(c, -1);
	}
	if (ctr_reload(c, err) < 0 && err->code != ENOENT)
		return -1;
	return 0;
	/* SOLUTION END: return lab_todo(err, 4, __func__); */
}

/* SOLUTION BEGIN */
/* The namespaces exec joins, in nsenter's order; the mount namespace last, as it changes "/". */
static const struct {
	const char *name;
	int type;
} namespaces[] = {
	{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET }, { "mnt", CLONE_NEWNS },
};

/* Open /proc/PID/ns/NAME when it differs from ours (else *out_fd = -1). */
static int open_ns(pid_t pid, const char *name, int *out_fd, err_t *err)
{
	char path[64], own[64];
	struct stat theirs, ours;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	snprintf(own, sizeof(own), "/proc/self/ns/%s", name);
	*out_fd = -1;
	if (stat(path, &theirs) < 0 || stat(own, &ours) < 0)
		return err_sys(err, "namespace %s", path);
	if (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev)
		return 0;
	*out_fd = open(path, O_RDONLY | O_CLOEXEC);
	return *out_fd < 0 ? err_sys(err, "open %s", path) : 0;
}

/* The exec'd process, after fork: join, enter, become, execute. Returns only on failure. */
static int exec_child(const struct exec_spec *x, const int *ns_fds, err_t *err)
{
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* nsenter --ipc --uts --net --mount: after the mount namespace, "/" is the container's. */
	for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++)
		if (ns_fds[i] >= 0 && setns(ns_fds[i], namespaces[i].type) < 0)
			return err_sys(err, "join the container's %s namespace", namespaces[i].name);
	if (x->tty >= 0) {
		setsid();
		if (ioctl(x->tty, TIOCSCTTY, 0) < 0)
			return err_sys(err, "make the pty the controlling terminal");
		dup2(x->tty, STDIN_FILENO);
		dup2(x->tty, STDOUT_FILENO);
		dup2(x->tty, STDERR_FILENO);
	}
	if (chdir(x->workdir) < 0)
		return err_sys(err, "chdir to cwd (\"%s\") set in config.json failed", x->workdir);
	char home[PATH_MAX];
	if (ctr_confine(x->security, x->user, home, err) < 0)
		return -1;
	/* Lab 1's search of the container's PATH, and its 126 and 127. */
	_cleanup_free_ char **env = user_env_home(x->env, home);
	if (!env)
		return err_set(err, ENOMEM, "environment");
	return proc_exec(x->argv, env, err);
}
/* SOLUTION END */

int ctr_exec(struct container *c, const struct exec_spec *x, pid_t *out_pid, err_t *err)
{
	/* SOLUTION BEGIN */
	int ns_fds[sizeof(namespaces) / sizeof(namespaces[0])];
	pid_t target = ctr_pid(c);
	int pipefd[2];

	if (!ctr_monitor_alive(c) || target <= 0)
		return err_msg(err, EINVAL, "container %s is not running", c->id);
	for (size_t i = 0; i < sizeof(ns_fds) / sizeof(ns_fds[0]); i++)
		ns_fds[i] = -1;
	_cleanup_close_ int pid_ns = -1;
	int failed = open_ns(target, "pid", &pid_ns, err) < 0;
	for (size_t i = 0; !failed && i < sizeof(ns_fds) / sizeof(ns_fds[0]); i++)
		failed = open_ns(target, namespaces[i].name, &ns_fds[i], err) < 0;
	/* The PID namespace applies to the children made after setns(): the one forked below. */
	if (!failed && pid_ns >= 0 && setns(pid_ns, CLONE_NEWPID) < 0)
		failed = err_sys(err, "join the container's pid namespace") < 0;
	if (!failed && pipe2(pipefd, O_CLOEXEC) < 0)
		failed = err_sys(err, "pipe") < 0;
	pid_t pid = failed ? -1 : fork();
	if (pid == 0) {
		close(pipefd[0]);
		err_t child_err = { 0 };
		exec_child(x, ns_fds, &child_err);
		err_send(pipefd[1], &child_err);
		_exit(EXIT_MINIDOCK_ERROR);
	}
	for (size_t i = 0; i < sizeof(ns_fds) / sizeof(ns_fds[0]); i++)
		if (ns_fds[i] >= 0)
			close(ns_fds[i]);
	if (failed)
		return -1;
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return err_sys(err, "fork");
	}
	_cleanup_kill_ pid_t child = pid;
	close(pipefd[1]);
	int reported = err_recv(pipefd[0], err);
	close(pipefd[0]);
	if (reported < 0)
		return -1;
	*out_pid = child;
	child = 0;
	return 0;
	/* SOLUTION END: return lab_todo(err, 4, __func__); */
}
