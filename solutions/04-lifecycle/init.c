/*
 * init.c - lab 4: minidock-init, the PID 1 that `run --init` puts in a container (as Docker's
 * docker-init, which is tini).
 *
 * Why a container needs one. PID 1 of a PID namespace has two jobs no ordinary program does:
 * the kernel makes it the parent of every orphan in the namespace, so it must reap them or
 * they stay zombies; and the kernel gives it only the signals it has a handler for, so a
 * `sleep` or a server started as PID 1 ignores `docker stop`'s SIGTERM. minidock-init does
 * both jobs and nothing else: it starts the command (`minidock-init -- CMD [ARG...]`) as its
 * child, passes on every signal it gets, reaps whatever ends, and exits with the command's
 * status when the command ends.
 *
 * It is a program of its own, linked statically: it runs inside the container's root, where
 * no library of the host's is found. minidock executes it through /proc/self/fd/N (see
 * ctr_spec_make() in lib/engine/container.c), so it need not be copied into the container.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	/* SOLUTION BEGIN */
	if (argc < 3 || strcmp(argv[1], "--") != 0) {
		fprintf(stderr, "usage: minidock-init -- COMMAND [ARG...]\n");
		return 125;
	}
	/* Seen in ps and /proc/1/comm by this name, not by the fd it was executed from. */
	prctl(PR_SET_NAME, "minidock-init");
	/* The fd minidock executed us through, and anything else not meant for the command. */
	close_range(3, ~0U, 0);

	/* Every signal blocked: they wait for sigwaitinfo() below. Blocked signals reach PID 1
	 * even without a handler (the kernel drops only unhandled ones it could deliver). */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);

	pid_t child = fork();
	if (child < 0) {
		perror("minidock-init: fork");
		return 125;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* A process group of its own; on a terminal, the foreground one, so that Ctrl-C
		 * reaches the command. */
		setpgid(0, 0);
		if (isatty(STDIN_FILENO)) {
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(STDIN_FILENO, getpid());
			signal(SIGTTOU, SIG_DFL);
		}
		execvp(argv[2], argv + 2);
		int saved = errno;
		fprintf(stderr, "minidock-init: exec %s: %s\n", argv[2], strerror(saved));
		_exit(saved == ENOENT ? 127 : 126);
	}

	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&all, &info);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		/* Reap everything that ended: the command, and orphans the kernel gave us. */
		int status;
		pid_t done;
		while ((done = waitpid(-1, &status, WNOHANG)) > 0) {
			if (done == child)
				return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
		}
	}
	/* SOLUTION END: fprintf(stderr, "minidock-init: not implemented yet: lab 4, minidock-init (see course.md, chapter 4)\n"); return 125; */
}
