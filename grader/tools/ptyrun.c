/*
 * ptyrun.c - drive a program through a pseudo-terminal, for the stage tests (busybox has no
 * `script` or `expect`). Built statically into the grader VM.
 *
 *	ptyrun ROWS COLS COMMAND [ARG...]  < actions
 *
 * runs COMMAND with a new pty (size ROWS x COLS) as its controlling terminal, stdin, stdout
 * and stderr, copies all it prints to stdout, and follows the actions read from stdin, one per
 * line:
 *	send TEXT         write TEXT to the terminal (\r, \n, \xHH understood), as typed keys
 *	expect TEXT       wait (at most 10 s) until the output since the last send contains TEXT
 *	resize ROWS COLS  change the terminal's size (the kernel sends SIGWINCH)
 *	sleep MS          wait MS milliseconds
 * At the end it waits for COMMAND and prints "ptyrun: exit N" and "ptyrun: termios same" or
 * "ptyrun: termios changed" (whether COMMAND left the terminal's modes as it found them).
 * Like a terminal, it answers the cursor position query (ESC [ 6 n) with row 1, column 1.
 * An expect that times out prints "ptyrun: timed out waiting for TEXT" and exits 2.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static char seen[1 << 20];
static size_t seen_len, mark; /* mark: where the output after the last send begins */
static int master;

/* Copy what the terminal printed, for up to ms milliseconds. */
static void pump(int ms)
{
	struct pollfd p = { .fd = master, .events = POLLIN };
	char buf[4096];

	while (poll(&p, 1, ms) > 0) {
		ssize_t n = read(master, buf, sizeof(buf));
		if (n <= 0)
			return;
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
		/* A terminal answers "where is the cursor?" (ESC [ 6 n), which busybox's line
		 * editor asks at each prompt and waits for. */
		if (memmem(buf, (size_t)n, "\033[6n", 4) && write(master, "\033[1;1R", 6) < 0)
			perror("ptyrun: answer");
		if (seen_len + (size_t)n < sizeof(seen)) {
			memcpy(seen + seen_len, buf, (size_t)n);
			seen_len += (size_t)n;
			seen[seen_len] = '\0';
		}
		ms = 0;
	}
}

static size_t unescape(const char *in, char *out)
{
	size_t n = 0;
	for (; *in; in++) {
		if (in[0] == '\\' && in[1] == 'r') {
			out[n++] = '\r';
			in++;
		} else if (in[0] == '\\' && in[1] == 'n') {
			out[n++] = '\n';
			in++;
		} else if (in[0] == '\\' && in[1] == 'x' && in[2] && in[3]) {
			char hex[3] = { in[2], in[3], 0 };
			out[n++] = (char)strtol(hex, NULL, 16);
			in += 3;
		} else {
			out[n++] = *in;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: ptyrun ROWS COLS COMMAND [ARG...] < actions\n");
		return 2;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		perror("ptyrun: pty");
		return 2;
	}
	struct winsize size = { .ws_row = (unsigned short)atoi(argv[1]), .ws_col = (unsigned short)atoi(argv[2]) };
	ioctl(master, TIOCSWINSZ, &size);
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	struct termios before, after;
	tcgetattr(slave, &before);

	pid_t child = fork();
	if (child == 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(master);
		execvp(argv[3], argv + 3);
		perror("ptyrun: exec");
		_exit(127);
	}

	char line[4096], text[4096];
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "send ", 5) == 0) {
			size_t n = unescape(line + 5, text);
			mark = seen_len;
			if (write(master, text, n) < 0)
				perror("ptyrun: send");
			pump(50);
		} else if (strncmp(line, "expect ", 7) == 0) {
			size_t n = unescape(line + 7, text);
			text[n] = '\0';
			for (int waited = 0; !strstr(seen + mark, text); waited += 100) {
				if (waited >= 10000) {
					printf("\nptyrun: timed out waiting for %s\n", text);
					kill(child, SIGKILL);
					return 2;
				}
				pump(100);
			}
		} else if (strncmp(line, "resize ", 7) == 0) {
			sscanf(line + 7, "%hu %hu", &size.ws_row, &size.ws_col);
			ioctl(master, TIOCSWINSZ, &size);
		} else if (strncmp(line, "sleep ", 6) == 0) {
			pump(atoi(line + 6));
		}
	}
	int status;
	while (waitpid(child, &status, WNOHANG) == 0)
		pump(50);
	pump(100);
	tcgetattr(slave, &after);
	printf("\nptyrun: exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	printf("ptyrun: termios %s\n",
	       before.c_lflag == after.c_lflag && before.c_iflag == after.c_iflag && before.c_oflag == after.c_oflag
		       ? "same"
		       : "changed");
	return 0;
}
