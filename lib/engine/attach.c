/* attach.c - see attach.h. */
#define _GNU_SOURCE
#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static void handled_signals(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGWINCH);
}

void attach_block_signals(void)
{
	sigset_t set;

	handled_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* One inherited as ignored (`minidock run ... &` ignores SIGINT) would never be queued. */
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		signal(forwarded[i], SIG_DFL);
}

int attach_pty(const char *ptmx, int *out_master, int *out_slave, err_t *err)
{
	/* What openpty(3) does: the multiplexer gives a master; unlocking it makes its slave
	 * usable, and TIOCGPTPEER opens that slave without looking its name up. */
	_cleanup_close_ int master = open(ptmx ? ptmx : "/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || unlockpt(master) < 0)
		return err_sys(err, "open a pseudo-terminal (%s)", ptmx ? ptmx : "/dev/ptmx");
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return err_sys(err, "open the pseudo-terminal's slave side");
	struct winsize size;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0)
		ioctl(master, TIOCSWINSZ, &size);
	*out_master = take_fd(&master);
	*out_slave = slave;
	return 0;
}

void attach_winsize(int master)
{
	struct winsize size;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0)
		ioctl(master, TIOCSWINSZ, &size);
}

int attach_send_fd(int sock, int fd, err_t *err)
{
	char byte = 'T';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = { 0 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return err_sys(err, "send the terminal");
	return 0;
}

int attach_recv_fd(int sock, int *out_fd, err_t *err)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	ssize_t n;

	while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	struct cmsghdr *cmsg = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
		return n < 0 ? err_sys(err, "receive the terminal") : err_msg(err, EPROTO, "receive the terminal: none came");
	memcpy(out_fd, CMSG_DATA(cmsg), sizeof(int));
	return 0;
}

int attach_console(int sock, err_t *err)
{
	/* The container's own multiplexer; /dev/ptmx in a root whose /dev has no pts/ptmx. */
	_cleanup_close_ int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || unlockpt(master) < 0)
		return err_sys(err, "open the container's terminal (/dev/pts/ptmx)");
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0)
		return err_sys(err, "open the container's terminal's slave side");
	/* A session of its own, whose controlling terminal the pty is: Ctrl-C typed there reaches
	 * the container's foreground process. */
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) {
		close(slave);
		return err_sys(err, "make the pty the container's terminal");
	}
	for (int fd = 0; fd < 3; fd++)
		dup2(slave, fd);
	if (slave > 2)
		close(slave);
	return attach_send_fd(sock, master, err);
}

/* Copy what the pty has to stdout; false at its end. */
static bool relay_output(int master)
{
	char buf[8192];
	ssize_t n = read(master, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false; /* EIO: the last process using the slave side is gone */
	fs_write_all(STDOUT_FILENO, buf, (size_t)n);
	return true;
}

int attach_wait(const struct attach *a, int *out_status, err_t *err)
{
	sigset_t set;
	struct termios saved;
	bool raw = false;

	handled_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	_cleanup_close_ int sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sig_fd < 0)
		return err_sys(err, "signalfd");
	if (a->master >= 0 && a->relay_stdin && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		/* stty raw -echo: the container's pty does the echo and the line editing. */
		struct termios termios = saved;
		cfmakeraw(&termios);
		raw = tcsetattr(STDIN_FILENO, TCSADRAIN, &termios) == 0;
	}

	int status = -1, in_fd = a->master >= 0 && a->relay_stdin ? STDIN_FILENO : -1;
	int out_fd = a->master >= 0 && a->relay_output ? a->master : -1;
	while (status < 0) {
		struct pollfd fds[3] = { { .fd = sig_fd, .events = POLLIN },
					 { .fd = in_fd, .events = POLLIN },
					 { .fd = out_fd, .events = POLLIN } };
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			err_sys(err, "poll");
			break;
		}
		if (fds[1].revents) {
			char buf[4096];
			ssize_t n = read(in_fd, buf, sizeof(buf));
			if (n > 0) {
				fs_write_all(a->master, buf, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				/* End of our input: an end-of-file character tells the pty's reader. */
				char eof = 4;
				fs_write_all(a->master, &eof, 1);
				in_fd = -1;
			}
		}
		if (fds[2].revents && !relay_output(out_fd))
			out_fd = -1;
		if (!fds[0].revents)
			continue;
		struct signalfd_siginfo info;
		if (read(sig_fd, &info, sizeof(info)) != sizeof(info))
			continue;
		if (info.ssi_signo == SIGWINCH) {
			struct winsize size;
			if (a->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0)
				ioctl(a->master, TIOCSWINSZ, &size);
		} else if (info.ssi_signo != SIGCHLD) {
			kill(a->signal_pid, (int)info.ssi_signo);
		}
		int raw_status;
		pid_t done = waitpid(a->wait_pid, &raw_status, WNOHANG);
		if (done == a->wait_pid)
			status = WIFSIGNALED(raw_status) ? 128 + WTERMSIG(raw_status) : WEXITSTATUS(raw_status);
	}
	/* What the pty still holds after the process ended. */
	if (out_fd >= 0) {
		fcntl(out_fd, F_SETFL, O_NONBLOCK);
		while (relay_output(out_fd)) {
			struct pollfd more = { .fd = out_fd, .events = POLLIN };
			if (poll(&more, 1, 50) <= 0)
				break;
		}
	}
	if (raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	if (status < 0)
		return -1;
	*out_status = status;
	return 0;
}
