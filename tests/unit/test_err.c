/* test_err.c - the error contract: messages, context, and the child-to-parent pipe. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "unit.h"

static void set_appends_strerror(void)
{
	err_t err;
	CU_ASSERT_EQUAL(err_set(&err, ENOENT, "open %s", "/x"), -1);
	CU_ASSERT_STRING_EQUAL(err.msg, "open /x: No such file or directory");
	CU_ASSERT_EQUAL(err.code, ENOENT);
	CU_ASSERT_EQUAL(err.status, 0);
}

static void sys_reads_errno(void)
{
	err_t err;
	errno = EACCES;
	err_sys(&err, "mkdir %s", "/y");
	CU_ASSERT_STRING_EQUAL(err.msg, "mkdir /y: Permission denied");
	CU_ASSERT_EQUAL(err.code, EACCES);
}

static void wrap_adds_context_and_keeps_code(void)
{
	err_t err;
	err_msg(&err, EINVAL, "bad layer");
	err.status = 126;
	err_wrap(&err, "image %s", "busybox");
	err_wrap(&err, "run");
	CU_ASSERT_STRING_EQUAL(err.msg, "run: image busybox: bad layer");
	CU_ASSERT_EQUAL(err.code, EINVAL);
	CU_ASSERT_EQUAL(err.status, 126);
}

static void long_messages_are_cut_not_overflowed(void)
{
	err_t err;
	char big[3000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_msg(&err, EINVAL, "%s", big);
	CU_ASSERT_EQUAL(strlen(err.msg), ERR_MSG_MAX - 1);
	err_wrap(&err, "%s", big);
	CU_ASSERT_EQUAL(strlen(err.msg), ERR_MSG_MAX - 1);
}

static void a_report_crosses_the_pipe(void)
{
	int fds[2];
	err_t sent, got = { 0 };
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	err_msg(&sent, ENOENT, "exec: \"x\": executable file not found in $PATH");
	sent.status = 127;
	err_send(fds[1], &sent);
	close(fds[1]);
	CU_ASSERT_EQUAL(err_recv(fds[0], &got), -1);
	CU_ASSERT_STRING_EQUAL(got.msg, sent.msg);
	CU_ASSERT_EQUAL(got.status, 127);
	CU_ASSERT_EQUAL(got.code, ENOENT);
	close(fds[0]);
}

static void a_closed_pipe_means_success(void)
{
	int fds[2];
	err_t got;
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	close(fds[1]);
	CU_ASSERT_EQUAL(err_recv(fds[0], &got), 0);
	close(fds[0]);
}

static void a_torn_report_is_an_error(void)
{
	int fds[2];
	err_t got;
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	CU_ASSERT_EQUAL(write(fds[1], "abc", 3), 3);
	close(fds[1]);
	CU_ASSERT_EQUAL(err_recv(fds[0], &got), -1);
	CU_ASSERT_EQUAL(got.code, EPROTO);
	close(fds[0]);
}

static const struct unit_test tests[] = {
	{ "err_set appends strerror", set_appends_strerror },
	{ "err_sys reads errno", sys_reads_errno },
	{ "err_wrap adds context, keeps code and status", wrap_adds_context_and_keeps_code },
	{ "long messages are cut, not overflowed", long_messages_are_cut_not_overflowed },
	{ "a child's report crosses the pipe whole", a_report_crosses_the_pipe },
	{ "a pipe closed without a report means success", a_closed_pipe_means_success },
	{ "a torn report is an error", a_torn_report_is_an_error },
	{ NULL, NULL },
};
const struct unit_suite suite_err = { "err", tests };
