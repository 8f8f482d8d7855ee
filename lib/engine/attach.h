/*
 * attach.h - the command line's side of a running container: its terminal and its end.
 *
 * `run` (without -d), `start -a` and `exec` stay with what they started until it ends, as
 * Docker's CLI does: they pass the signals a user sends them on to it, give it a terminal
 * with -t, and exit with its status. With -t the container gets a pseudo-terminal (pty) of its
 * own: minidock puts the user's terminal in raw mode, so that every key (Ctrl-C too) goes as
 * a byte to the pty, whose line discipline then does what a terminal does for the container's
 * shell: line editing, echo, SIGINT to its foreground process. The window size follows the
 * user's (SIGWINCH). The user's terminal is restored however the container ends.
 */
#ifndef MINIDOCK_ATTACH_H
#define MINIDOCK_ATTACH_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

/* Open a new pty pair from the multiplexer ptmx (NULL: the host's /dev/ptmx), the slave with
 * the size of the user's terminal (when stdin is one). `exec -t` passes the container's
 * /dev/pts/ptmx, so that the terminal has a name inside the container (`tty` says which). */
int attach_pty(const char *ptmx, int *out_master, int *out_slave, err_t *err);

/*
 * The container's own terminal, as runc's console socket gives it: called in the container's
 * process once its root (and so its own devpts, lab 2) is in place, before it executes the
 * command. Opens a pty from /dev/pts/ptmx (so that `tty` names it inside the container: a pty
 * of the host's devpts has no name there), makes the slave side its stdin, stdout, stderr and
 * controlling terminal (a session of its own), and sends the master side over the unix socket
 * sock (attach_send_fd()), to whoever keeps the terminal: the monitor.
 */
int attach_console(int sock, err_t *err);

/* Send fd over the unix socket sock (SCM_RIGHTS), and receive one. */
int attach_send_fd(int sock, int fd, err_t *err);
int attach_recv_fd(int sock, int *out_fd, err_t *err);

/* Give the pty master the size of the user's terminal, when stdin is one. */
void attach_winsize(int master);

/* Block the signals attach_wait() handles, before starting what it will wait for, so that
 * none sent meanwhile is lost. */
void attach_block_signals(void);

struct attach {
	pid_t wait_pid;    /* the child to wait for: the monitor, or the exec'd process */
	pid_t signal_pid;  /* where SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 go */
	int master;        /* the pty's master side, or -1 without -t */
	bool relay_stdin;  /* -i with -t: copy stdin to the pty (in raw mode when a terminal) */
	bool relay_output; /* copy the pty's output to stdout (exec -t; a monitor does it for run) */
};

/* Wait for a->wait_pid to end, doing the above meanwhile; its exit status (128+N when signal
 * N killed it) goes to *out_status. */
int attach_wait(const struct attach *a, int *out_status, err_t *err);

#endif
