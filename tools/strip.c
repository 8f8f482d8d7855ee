/* strip.c - see strip.h. The file is read line by line; a marker is a whole line. */
#include "strip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BEGIN_MARK "/* SOLUTION BEGIN */"
#define END_MARK "/* SOLUTION END"

struct buf {
	char *data;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap + n + 1) * 2;
		char *bigger = realloc(b->data, cap);
		if (!bigger)
			return -1;
		b->data = bigger;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* The line's text without its leading whitespace and trailing whitespace/newline. */
static void trim(const char *line, size_t n, const char **out_start, size_t *out_n)
{
	while (n > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\n' ||
			 line[n - 1] == '\r'))
		n--;
	*out_start = line;
	*out_n = n;
}

static int mentions(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);
	for (size_t i = 0; i + w <= n; i++)
		if (memcmp(s + i, word, w) == 0)
			return 1;
	return 0;
}

int handout_strip(const char *text, size_t len, int lab, char **out, size_t *out_len, err_t *err)
{
	struct buf b = { 0 };
	int inside = 0, begin_line = 0, line_no = 0;
	size_t pos = 0;

	if (buf_add(&b, "", 0) < 0)
		return err_sys(err, "strip");
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) + 1 : len - pos;
		const char *body;
		size_t body_n;

		pos += n;
		line_no++;
		trim(line, n, &body, &body_n);
		size_t indent = (size_t)(body - line);

		if (mentions(body, body_n, "SOLUTION BEGIN")) {
			if (body_n != strlen(BEGIN_MARK) || memcmp(body, BEGIN_MARK, body_n) != 0) {
				err_msg(err, EINVAL, "line %d: a marker must be a line of its own: %s", line_no, BEGIN_MARK);
				goto fail;
			}
			if (inside) {
				err_msg(err, EINVAL, "line %d: SOLUTION BEGIN inside the region opened at line %d",
					line_no, begin_line);
				goto fail;
			}
			inside = 1;
			begin_line = line_no;
			continue;
		}
		if (mentions(body, body_n, "SOLUTION END")) {
			size_t mark = strlen(END_MARK);
			if (body_n < mark + 3 || memcmp(body, END_MARK, mark) != 0 ||
			    memcmp(body + body_n - 3, " */", 3) != 0 ||
			    (body[mark] != ':' && body_n != mark + 3)) {
				err_msg(err, EINVAL, "line %d: malformed marker (want %s */ or %s: STATEMENT */)",
					line_no, END_MARK, END_MARK);
				goto fail;
			}
			if (!inside) {
				err_msg(err, EINVAL, "line %d: SOLUTION END without SOLUTION BEGIN", line_no);
				goto fail;
			}
			inside = 0;
			if (body[mark] == ':') {
				/* The stub statement is what stands between "END:" and "*\/". */
				const char *stmt = body + mark + 1;
				size_t stmt_n = body_n - mark - 1 - 3;
				while (stmt_n > 0 && *stmt == ' ') {
					stmt++;
					stmt_n--;
				}
				char todo[128];
				int t = snprintf(todo, sizeof(todo),
						 "/* TODO(lab %d): write this (see course.md, chapter %d). */\n", lab, lab);
				if (buf_add(&b, line, indent) < 0 || buf_add(&b, todo, (size_t)t) < 0 ||
				    buf_add(&b, line, indent) < 0 || buf_add(&b, stmt, stmt_n) < 0 ||
				    buf_add(&b, "\n", 1) < 0) {
					err_sys(err, "strip");
					goto fail;
				}
			}
			continue;
		}
		if (!inside && buf_add(&b, line, n) < 0) {
			err_sys(err, "strip");
			goto fail;
		}
	}
	if (inside) {
		err_msg(err, EINVAL, "line %d: SOLUTION BEGIN is never closed", begin_line);
		goto fail;
	}
	*out = b.data;
	*out_len = b.len;
	return 0;
fail:
	free(b.data);
	return -1;
}
