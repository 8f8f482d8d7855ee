/*
 * template.c - see template.h.
 *
 * Two steps. Parsing cuts the text into nodes: plain text, and the actions between "{{" and
 * "}}" (an expression to print, or range/if/with/else/end, which nest). Executing walks the
 * nodes with a "dot", the current value; a range runs its body once per element with the
 * element as dot. Expressions are evaluated straight from their text each time, by a small
 * recursive-descent reader over this grammar (Go's, cut down):
 *
 *	pipeline := command { "|" command }            the value goes in as the last argument
 *	command  := operand | FUNCTION { operand }
 *	operand  := "." [FIELD {"." FIELD}] | "$" ... | "$NAME" | "STRING" | `RAW` | NUMBER
 *	            | true | false | nil | "(" pipeline ")"
 *
 * Every value is a json_t reference owned by whoever holds it; NULL stands for Go's "no
 * value" (a missing key).
 */
#define _GNU_SOURCE
#include "template.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

#define MAX_NODES 512
#define MAX_ARGS 16
#define MAX_DEPTH 32

enum kind { TEXT, PRINT, RANGE, IF, WITH, ELSE, END };

struct node {
	enum kind kind;
	const char *text; /* TEXT: the text; others: the expression */
	size_t len;
	char var_key[32], var_value[32]; /* range $k, $v := ...: the variables' names */
};

/* A growing output string. */
struct out {
	char *buf;
	size_t len, cap;
};

static int put(struct out *o, const char *s, size_t n, err_t *err)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		while (cap < o->len + n + 1)
			cap *= 2;
		char *bigger = realloc(o->buf, cap);
		if (!bigger)
			return err_set(err, ENOMEM, "template");
		o->buf = bigger;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return 0;
}

static int puts_out(struct out *o, const char *s, err_t *err)
{
	return put(o, s, strlen(s), err);
}

/* --- parsing ----------------------------------------------------------------------------------- */

/* Does the action text (a, n bytes) start with keyword kw, alone or followed by a space? */
static bool keyword(const char *a, size_t n, const char *kw)
{
	size_t k = strlen(kw);
	return n >= k && strncmp(a, kw, k) == 0 && (n == k || isspace((unsigned char)a[k]));
}

/* "$k, $v := " or "$v := " at the start of a range's expression: the names, and the rest. */
static void range_vars(struct node *nd)
{
	const char *assign = memmem(nd->text, nd->len, ":=", 2);
	if (!assign || nd->text[0] != '$')
		return;
	char vars[80];
	snprintf(vars, sizeof(vars), "%.*s", (int)(assign - nd->text), nd->text);
	char *comma = strchr(vars, ',');
	char *first = vars, *second = comma ? comma + 1 : NULL;
	if (comma)
		*comma = '\0';
	/* One variable is the element; two are the key (or index) and the element. */
	char *key = second ? first : NULL, *value = second ? second : first;
	while (value && isspace((unsigned char)*value))
		value++;
	if (key)
		sscanf(key, " %31[^ ]", nd->var_key);
	sscanf(value, " %31[^ ]", nd->var_value);
	nd->len -= (size_t)(assign + 2 - nd->text);
	nd->text = assign + 2;
}

static int parse(const char *text, struct node *nodes, size_t *out_n, err_t *err)
{
	size_t n = 0;
	const char *p = text;
	bool trim_next = false;

	while (*p) {
		const char *open = strstr(p, "{{");
		const char *text_end = open ? open : p + strlen(p);
		if (trim_next)
			while (p < text_end && isspace((unsigned char)*p))
				p++;
		trim_next = false;
		bool trim_before = open && open[2] == '-' && isspace((unsigned char)open[3]);
		const char *keep_end = text_end;
		if (trim_before)
			while (keep_end > p && isspace((unsigned char)keep_end[-1]))
				keep_end--;
		if (n + 1 >= MAX_NODES)
			return err_msg(err, EINVAL, "template: too long");
		if (keep_end > p)
			nodes[n++] = (struct node){ .kind = TEXT, .text = p, .len = (size_t)(keep_end - p) };
		if (!open)
			break;
		/* The action: up to "}}" outside a string. */
		const char *a = open + 2 + (trim_before ? 1 : 0), *q = a;
		char quote = 0;
		while (*q && (quote || strncmp(q, "}}", 2) != 0)) {
			if (quote && *q == '\\' && quote == '"' && q[1])
				q++;
			else if (quote && *q == quote)
				quote = 0;
			else if (!quote && (*q == '"' || *q == '`'))
				quote = *q;
			q++;
		}
		if (!*q)
			return err_msg(err, EINVAL, "template: unclosed action");
		const char *a_end = q;
		if (a_end - a >= 2 && a_end[-1] == '-' && isspace((unsigned char)a_end[-2])) {
			trim_next = true;
			a_end--;
		}
		while (a < a_end && isspace((unsigned char)*a))
			a++;
		while (a_end > a && isspace((unsigned char)a_end[-1]))
			a_end--;
		size_t len = (size_t)(a_end - a);
		struct node nd = { .kind = PRINT, .text = a, .len = len };
		static const struct {
			const char *word;
			enum kind kind;
		} words[] = { { "range", RANGE }, { "if", IF }, { "with", WITH }, { "else", ELSE }, { "end", END } };
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
			if (keyword(a, len, words[w].word)) {
				size_t k = strlen(words[w].word);
				nd = (struct node){ .kind = words[w].kind, .text = a + k, .len = len - k };
				while (nd.len && isspace((unsigned char)*nd.text))
					nd.text++, nd.len--;
				break;
			}
		}
		if (nd.kind == RANGE)
			range_vars(&nd);
		if (nd.len == 0 && (nd.kind == PRINT || nd.kind == RANGE || nd.kind == IF || nd.kind == WITH))
			return err_msg(err, EINVAL, "template: missing value for %s",
				       nd.kind == PRINT ? "command" : nd.kind == RANGE ? "range" : nd.kind == IF ? "if" : "with");
		if (len > 0 && strncmp(a, "/*", 2) != 0)
			nodes[n++] = nd;
		p = q + 2;
	}
	/* Every range, if and with has its end, and nothing ends that did not begin. */
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		if (nodes[i].kind == RANGE || nodes[i].kind == IF || nodes[i].kind == WITH)
			depth++;
		else if (nodes[i].kind == END && --depth < 0)
			return err_msg(err, EINVAL, "template: unexpected {{end}}");
		else if (nodes[i].kind == ELSE && depth == 0)
			return err_msg(err, EINVAL, "template: unexpected {{else}}");
	}
	if (depth > 0)
		return err_msg(err, EINVAL, "template: unexpected EOF: a range, if or with has no {{end}}");
	*out_n = n;
	return 0;
}

/* --- values ------------------------------------------------------------------------------------ */

/* Go's truth: false, 0, "", nil, an empty list or map, no value are false. */
static bool truthy(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_TRUE:
		return true;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return false;
	}
}

static int key_order(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of object v, sorted (as Go ranges over and prints a map). Free the array only. */
static const char **sorted_keys(const json_t *v, size_t *out_n)
{
	size_t n = json_object_size(v), i = 0;
	const char **keys = calloc(n + 1, sizeof(char *));
	const char *key;
	json_t *value;

	if (!keys)
		return NULL;
	json_object_foreach((json_t *)v, key, value)
		keys[i++] = key;
	qsort(keys, n, sizeof(char *), key_order);
	*out_n = n;
	return keys;
}

/* Print v as Go's fmt prints it with %v. */
static int print_value(struct out *o, const json_t *v, err_t *err)
{
	char num[64];

	if (!v)
		return puts_out(o, "<no value>", err);
	switch (json_typeof(v)) {
	case JSON_STRING:
		return put(o, json_string_value(v), json_string_length(v), err);
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		return puts_out(o, num, err);
	case JSON_REAL:
		/* The shortest text that reads back as the same number, as Go's %v. */
		for (int precision = 1; precision <= 17; precision++) {
			snprintf(num, sizeof(num), "%.*g", precision, json_real_value(v));
			if (strtod(num, NULL) == json_real_value(v))
				break;
		}
		return puts_out(o, num, err);
	case JSON_TRUE:
		return puts_out(o, "true", err);
	case JSON_FALSE:
		return puts_out(o, "false", err);
	case JSON_NULL:
		return puts_out(o, "<nil>", err);
	case JSON_ARRAY: {
		size_t i;
		json_t *e;
		if (puts_out(o, "[", err) < 0)
			return -1;
		json_array_foreach(v, i, e) {
			if ((i > 0 && puts_out(o, " ", err) < 0) || print_value(o, e, err) < 0)
				return -1;
		}
		return puts_out(o, "]", err);
	}
	case JSON_OBJECT: {
		size_t n;
		_cleanup_free_ const char **keys = sorted_keys(v, &n);
		if (!keys || puts_out(o, "map[", err) < 0)
			return keys ? -1 : err_set(err, ENOMEM, "template");
		for (size_t i = 0; i < n; i++) {
			if ((i > 0 && puts_out(o, " ", err) < 0) || puts_out(o, keys[i], err) < 0 || puts_out(o, ":", err) < 0 ||
			    print_value(o, json_object_get(v, keys[i]), err) < 0)
				return -1;
		}
		return puts_out(o, "]", err);
	}
	}
	return 0;
}

/* v printed as %v, into a new JSON string. */
static json_t *as_string(const json_t *v, err_t *err)
{
	struct out o = { 0 };
	if (print_value(&o, v, err) < 0) {
		free(o.buf);
		return NULL;
	}
	json_t *s = json_stringn(o.buf ? o.buf : "", o.len);
	free(o.buf);
	return s;
}

/* --- evaluating expressions ----------------------------------------------------------------- */

struct scope {
	const json_t *dot, *root;
	const char *names[8]; /* variables: $name = values[i] */
	const json_t *values[8];
	size_t n_vars;
};

struct reader {
	const char *p, *end;
	const struct scope *scope;
	err_t *err;
};

static void skip_space(struct reader *r)
{
	while (r->p < r->end && isspace((unsigned char)*r->p))
		r->p++;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int pipeline(struct reader *r, json_t **out);

/* .A.B.C after the value v (a new reference, given up). */
static int fields(struct reader *r, json_t *v, json_t **out)
{
	while (r->p < r->end && *r->p == '.' && r->p + 1 < r->end && ident_char(r->p[1])) {
		const char *name = ++r->p;
		while (r->p < r->end && ident_char(*r->p))
			r->p++;
		size_t len = (size_t)(r->p - name);
		if (v && !json_is_object(v)) {
			err_msg(r->err, EINVAL, "template: can't evaluate field %.*s in type %s", (int)len, name,
				json_is_array(v) ? "[]interface {}" : json_is_string(v) ? "string" : "interface {}");
			json_decref(v);
			return -1;
		}
		json_t *next = v ? json_incref(json_object_getn(v, name, len)) : NULL;
		json_decref(v);
		v = next;
	}
	*out = v;
	return 0;
}

static int operand(struct reader *r, json_t **out)
{
	skip_space(r);
	if (r->p >= r->end)
		return err_msg(r->err, EINVAL, "template: missing value");
	char c = *r->p;
	if (c == '.') {
		json_t *dot = json_incref((json_t *)r->scope->dot);
		if (r->p + 1 >= r->end || !ident_char(r->p[1]))
			r->p++; /* "." alone */
		return fields(r, dot, out);
	}
	if (c == '$') {
		const char *name = r->p++;
		while (r->p < r->end && ident_char(*r->p))
			r->p++;
		size_t len = (size_t)(r->p - name);
		const json_t *v = NULL;
		if (len == 1)
			v = r->scope->root;
		for (size_t i = 0; len > 1 && i < r->scope->n_vars && !v; i++)
			if (strlen(r->scope->names[i]) == len && strncmp(r->scope->names[i], name, len) == 0)
				v = r->scope->values[i];
		if (!v && len > 1)
			return err_msg(r->err, EINVAL, "template: undefined variable \"%.*s\"", (int)len, name);
		return fields(r, json_incref((json_t *)v), out);
	}
	if (c == '"' || c == '`') {
		char buf[1024];
		size_t n = 0;
		for (r->p++; r->p < r->end && *r->p != c && n + 1 < sizeof(buf); r->p++) {
			char ch = *r->p;
			if (c == '"' && ch == '\\' && r->p + 1 < r->end) {
				ch = *++r->p;
				ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch;
			}
			buf[n++] = ch;
		}
		if (r->p >= r->end)
			return err_msg(r->err, EINVAL, "template: unterminated quoted string");
		r->p++;
		*out = json_stringn(buf, n);
		return 0;
	}
	if (isdigit((unsigned char)c) || (c == '-' && r->p + 1 < r->end && isdigit((unsigned char)r->p[1]))) {
		char *end;
		long long v = strtoll(r->p, &end, 10);
		r->p = end;
		*out = json_integer(v);
		return 0;
	}
	if (c == '(') {
		r->p++;
		if (pipeline(r, out) < 0)
			return -1;
		skip_space(r);
		if (r->p >= r->end || *r->p != ')') {
			json_decref(*out);
			return err_msg(r->err, EINVAL, "template: unclosed left paren");
		}
		r->p++;
		return fields(r, *out, out);
	}
	const char *word = r->p;
	while (r->p < r->end && ident_char(*r->p))
		r->p++;
	size_t len = (size_t)(r->p - word);
	if (len == 4 && strncmp(word, "true", 4) == 0)
		*out = json_true();
	else if (len == 5 && strncmp(word, "false", 5) == 0)
		*out = json_false();
	else if (len == 3 && strncmp(word, "nil", 3) == 0)
		*out = json_null();
	else
		return err_msg(r->err, EINVAL, "template: unexpected \"%.*s\"", len ? (int)len : 1, word);
	return 0;
}

/* Append text to o, padded with spaces (zeros with zero) to width, on the left unless left. */
static int put_padded(struct out *o, const char *text, int width, bool left, bool zero, err_t *err)
{
	int pad = width - (int)strlen(text);
	if (!left)
		for (int i = 0; i < pad; i++)
			if (put(o, zero ? "0" : " ", 1, err) < 0)
				return -1;
	if (puts_out(o, text, err) < 0)
		return -1;
	for (int i = 0; left && i < pad; i++)
		if (put(o, " ", 1, err) < 0)
			return -1;
	return 0;
}

/* Go's printf, for the verbs people use: %s %v %d %q %%, with '-', '0' and a width. */
static json_t *go_printf(json_t *const *args, size_t n, err_t *err)
{
	if (n == 0 || !json_is_string(args[0])) {
		err_msg(err, EINVAL, "template: printf: the format must be a string");
		return NULL;
	}
	struct out o = { 0 };
	const char *f = json_string_value(args[0]);
	size_t next = 1;
	int rc = 0;
	while (*f && rc == 0) {
		if (*f != '%') {
			rc = put(&o, f++, 1, err);
			continue;
		}
		bool left = false, zero = false;
		int width = 0;
		for (f++; *f == '-' || *f == '0'; f++)
			left |= *f == '-', zero |= *f == '0';
		for (; isdigit((unsigned char)*f) && width < 1000; f++)
			width = width * 10 + (*f - '0');
		char verb = *f ? *f++ : '%';
		if (verb == '%') {
			rc = puts_out(&o, "%", err);
			continue;
		}
		if (next >= n) {
			char missing[32];
			snprintf(missing, sizeof(missing), "%%!%c(MISSING)", verb);
			rc = puts_out(&o, missing, err);
			continue;
		}
		const json_t *arg = args[next++];
		json_t *text;
		if (verb == 'q' && json_is_string(arg)) {
			_cleanup_free_ char *quoted = json_dumps(arg, JSON_ENCODE_ANY);
			text = json_string(quoted ? quoted : "\"\"");
		} else if (verb == 'd' && !json_is_integer(arg)) {
			json_t *v = as_string(arg, err);
			text = v ? json_sprintf("%%!d(%s)", json_string_value(v)) : NULL;
			json_decref(v);
		} else {
			text = as_string(arg, err);
		}
		if (!text) {
			rc = -1;
			break;
		}
		rc = put_padded(&o, json_string_value(text), width, left, zero && verb == 'd', err);
		json_decref(text);
	}
	json_t *s = rc < 0 ? NULL : json_stringn(o.buf ? o.buf : "", o.len);
	free(o.buf);
	return s;
}

/* Go's eq for the values JSON has: numbers by value, the rest as equal JSON. */
static bool same(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return a && b ? json_equal(a, b) : a == b;
}

/* Apply function name to args (owned by the caller); a new reference in *out. */
static int call(struct reader *r, const char *name, json_t *const *args, size_t n, json_t **out)
{
	err_t *err = r->err;
#define WANT(count)                                                                                          \
	do {                                                                                                 \
		if (n != (count))                                                                             \
			return err_msg(err, EINVAL, "template: wrong number of args for %s: want %d got %zu", \
				       name, (count), n);                                                     \
	} while (0)
	if (strcmp(name, "json") == 0) {
		WANT(1);
		_cleanup_free_ char *text = args[0] ? json_dumps(args[0], JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		*out = json_string(text ? text : "null");
	} else if (strcmp(name, "len") == 0) {
		WANT(1);
		if (json_is_array(args[0]))
			*out = json_integer((json_int_t)json_array_size(args[0]));
		else if (json_is_object(args[0]))
			*out = json_integer((json_int_t)json_object_size(args[0]));
		else if (json_is_string(args[0]))
			*out = json_integer((json_int_t)json_string_length(args[0]));
		else
			return err_msg(err, EINVAL, "template: error calling len: len of %s",
				       args[0] ? "a number or a boolean" : "nil");
	} else if (strcmp(name, "index") == 0) {
		if (n < 2)
			return err_msg(err, EINVAL, "template: wrong number of args for index: want at least 2 got %zu", n);
		json_t *v = args[0];
		for (size_t i = 1; i < n; i++) {
			if (json_is_object(v) && json_is_string(args[i]))
				v = json_object_get(v, json_string_value(args[i]));
			else if (json_is_array(v) && json_is_integer(args[i]) && json_integer_value(args[i]) >= 0 &&
				 (size_t)json_integer_value(args[i]) < json_array_size(v))
				v = json_array_get(v, (size_t)json_integer_value(args[i]));
			else if (json_is_array(v) && json_is_integer(args[i]))
				return err_msg(err, EINVAL, "template: error calling index: index out of range: %lld",
					       (long long)json_integer_value(args[i]));
			else
				return err_msg(err, EINVAL, "template: error calling index: cannot index this value");
		}
		*out = json_incref(v);
	} else if (strcmp(name, "upper") == 0 || strcmp(name, "lower") == 0 || strcmp(name, "title") == 0) {
		WANT(1);
		json_t *s = as_string(args[0], err);
		if (!s)
			return -1;
		char *text = strdup(json_string_value(s));
		json_decref(s);
		if (!text)
			return err_set(err, ENOMEM, "template");
		for (size_t i = 0; text[i]; i++) {
			if (name[0] == 'u')
				text[i] = (char)toupper((unsigned char)text[i]);
			else if (name[0] == 'l')
				text[i] = (char)tolower((unsigned char)text[i]);
			else if (i == 0 || !isalnum((unsigned char)text[i - 1]))
				text[i] = (char)toupper((unsigned char)text[i]);
		}
		*out = json_string(text);
		free(text);
	} else if (strcmp(name, "join") == 0) {
		WANT(2);
		if (!json_is_array(args[0]) || !json_is_string(args[1]))
			return err_msg(err, EINVAL, "template: error calling join: want a list and a separator");
		struct out o = { 0 };
		size_t i;
		json_t *e;
		json_array_foreach(args[0], i, e) {
			json_t *s = as_string(e, err);
			int rc = !s || (i > 0 && puts_out(&o, json_string_value(args[1]), err) < 0) ||
				 puts_out(&o, json_string_value(s), err) < 0;
			json_decref(s);
			if (rc) {
				free(o.buf);
				return -1;
			}
		}
		*out = json_stringn(o.buf ? o.buf : "", o.len);
		free(o.buf);
	} else if (strcmp(name, "split") == 0) {
		WANT(2);
		if (!json_is_string(args[0]) || !json_is_string(args[1]) || json_string_length(args[1]) == 0)
			return err_msg(err, EINVAL, "template: error calling split: want two strings");
		*out = json_array();
		const char *s = json_string_value(args[0]), *sep = json_string_value(args[1]), *at;
		while ((at = strstr(s, sep))) {
			json_array_append_new(*out, json_stringn(s, (size_t)(at - s)));
			s = at + strlen(sep);
		}
		json_array_append_new(*out, json_string(s));
	} else if (strcmp(name, "printf") == 0) {
		if (!(*out = go_printf(args, n, err)))
			return -1;
	} else if (strcmp(name, "print") == 0 || strcmp(name, "println") == 0) {
		struct out o = { 0 };
		for (size_t i = 0; i < n; i++) {
			/* Go's Sprint puts a space between operands when neither is a string. */
			bool space = i > 0 && !json_is_string(args[i]) && !json_is_string(args[i - 1]);
			json_t *s = as_string(args[i], err);
			int rc = !s || (space && puts_out(&o, " ", err) < 0) || puts_out(&o, json_string_value(s), err) < 0;
			json_decref(s);
			if (rc) {
				free(o.buf);
				return -1;
			}
		}
		if (name[5] == 'l' && put(&o, "\n", 1, err) < 0) {
			free(o.buf);
			return -1;
		}
		*out = json_stringn(o.buf ? o.buf : "", o.len);
		free(o.buf);
	} else if (strcmp(name, "eq") == 0 || strcmp(name, "ne") == 0) {
		if (n < 2)
			return err_msg(err, EINVAL, "template: wrong number of args for %s: want 2 got %zu", name, n);
		bool any = false;
		for (size_t i = 1; i < n; i++)
			any |= same(args[0], args[i]);
		*out = json_boolean(name[0] == 'e' ? any : !any);
	} else if (strcmp(name, "not") == 0) {
		WANT(1);
		*out = json_boolean(!truthy(args[0]));
	} else if (strcmp(name, "and") == 0 || strcmp(name, "or") == 0) {
		if (n < 1)
			return err_msg(err, EINVAL, "template: wrong number of args for %s", name);
		size_t i = 0;
		/* and: the first false argument, or the last; or: the first true one, or the last. */
		while (i + 1 < n && truthy(args[i]) == (name[0] == 'a'))
			i++;
		*out = json_incref(args[i]);
	} else {
		return err_msg(err, EINVAL, "template: function \"%s\" not defined", name);
	}
	return 0;
#undef WANT
}

/* command := operand | FUNCTION {operand}; piped: the value before the '|' comes last. */
static int command(struct reader *r, json_t *piped, json_t **out)
{
	skip_space(r);
	const char *word = r->p;
	while (r->p < r->end && ident_char(*r->p))
		r->p++;
	size_t len = (size_t)(r->p - word);
	bool literal = (len == 4 && strncmp(word, "true", 4) == 0) || (len == 5 && strncmp(word, "false", 5) == 0) ||
		       (len == 3 && strncmp(word, "nil", 3) == 0) || (len > 0 && isdigit((unsigned char)word[0]));
	if (len == 0 || literal) {
		r->p = word;
		if (piped) {
			json_decref(piped);
			return err_msg(r->err, EINVAL, "template: can't give argument to non-function");
		}
		return operand(r, out);
	}
	char name[32];
	snprintf(name, sizeof(name), "%.*s", (int)len, word);
	json_t *args[MAX_ARGS + 1];
	size_t n = 0;
	int rc = 0;
	for (;;) {
		skip_space(r);
		if (r->p >= r->end || *r->p == '|' || *r->p == ')')
			break;
		if (n == MAX_ARGS) {
			rc = err_msg(r->err, EINVAL, "template: too many arguments for %s", name);
			break;
		}
		if ((rc = operand(r, &args[n])) < 0)
			break;
		n++;
	}
	if (rc == 0 && piped)
		args[n++] = json_incref(piped);
	if (rc == 0)
		rc = call(r, name, args, n, out);
	for (size_t i = 0; i < n; i++)
		json_decref(args[i]);
	json_decref(piped);
	return rc;
}

static int pipeline(struct reader *r, json_t **out)
{
	json_t *v = NULL;
	if (command(r, NULL, &v) < 0)
		return -1;
	for (;;) {
		skip_space(r);
		if (r->p >= r->end || *r->p != '|')
			break;
		r->p++;
		if (command(r, v, &v) < 0)
			return -1;
	}
	*out = v;
	return 0;
}

/* Evaluate the expression of node nd with scope s: its value (maybe NULL, no value). */
static int evaluate(const struct node *nd, const struct scope *s, json_t **out, err_t *err)
{
	struct reader r = { .p = nd->text, .end = nd->text + nd->len, .scope = s, .err = err };
	if (pipeline(&r, out) < 0)
		return -1;
	skip_space(&r);
	if (r.p < r.end) {
		json_decref(*out);
		return err_msg(err, EINVAL, "template: unexpected \"%.*s\" in command", (int)(r.end - r.p), r.p);
	}
	return 0;
}

/* --- executing ------------------------------------------------------------------------------ */

/* The node that ends the block opened at nodes[open], and its else (or 0). */
static size_t block_end(const struct node *nodes, size_t open, size_t *out_else)
{
	int depth = 0;
	*out_else = 0;
	for (size_t i = open + 1;; i++) {
		if (nodes[i].kind == RANGE || nodes[i].kind == IF || nodes[i].kind == WITH)
			depth++;
		else if (nodes[i].kind == ELSE && depth == 0 && !*out_else)
			*out_else = i;
		else if (nodes[i].kind == END && depth-- == 0)
			return i;
	}
}

static int run(const struct node *nodes, size_t from, size_t to, const struct scope *s, struct out *o, int level,
	       err_t *err);

/* One pass of a range's body: dot = value, and its variables set to key and value. */
static int range_once(const struct node *nodes, size_t open, size_t from, size_t to, const struct scope *s,
		      json_t *key, const json_t *value, struct out *o, int level, err_t *err)
{
	struct scope inner = *s;
	inner.dot = value;
	if (nodes[open].var_value[0] && inner.n_vars < 8) {
		inner.names[inner.n_vars] = nodes[open].var_value;
		inner.values[inner.n_vars++] = value;
	}
	if (nodes[open].var_key[0] && inner.n_vars < 8) {
		inner.names[inner.n_vars] = nodes[open].var_key;
		inner.values[inner.n_vars++] = key;
	}
	int rc = run(nodes, from, to, &inner, o, level + 1, err);
	json_decref(key);
	return rc;
}

static int run(const struct node *nodes, size_t from, size_t to, const struct scope *s, struct out *o, int level,
	       err_t *err)
{
	if (level > MAX_DEPTH)
		return err_msg(err, EINVAL, "template: nested too deep");
	for (size_t i = from; i < to; i++) {
		const struct node *nd = &nodes[i];
		if (nd->kind == TEXT) {
			if (put(o, nd->text, nd->len, err) < 0)
				return -1;
			continue;
		}
		json_t *v = NULL;
		if (evaluate(nd, s, &v, err) < 0)
			return -1;
		if (nd->kind == PRINT) {
			int rc = print_value(o, v, err);
			json_decref(v);
			if (rc < 0)
				return -1;
			continue;
		}
		size_t other, end = block_end(nodes, i, &other);
		size_t body_end = other ? other : end;
		int rc = 0;
		if (nd->kind == IF || nd->kind == WITH) {
			struct scope inner = *s;
			if (nd->kind == WITH)
				inner.dot = v;
			if (truthy(v))
				rc = run(nodes, i + 1, body_end, &inner, o, level + 1, err);
			else if (other)
				rc = run(nodes, other + 1, end, s, o, level + 1, err);
		} else if (json_is_array(v) && json_array_size(v) > 0) {
			size_t k;
			json_t *e;
			json_array_foreach(v, k, e) {
				if ((rc = range_once(nodes, i, i + 1, body_end, s, json_integer((json_int_t)k), e, o, level,
						     err)) < 0)
					break;
			}
		} else if (json_is_object(v) && json_object_size(v) > 0) {
			size_t n;
			_cleanup_free_ const char **keys = sorted_keys(v, &n);
			for (size_t k = 0; keys && k < n && rc == 0; k++)
				rc = range_once(nodes, i, i + 1, body_end, s, json_string(keys[k]), json_object_get(v, keys[k]), o,
						level, err);
		} else if (v && !json_is_array(v) && !json_is_object(v) && !json_is_null(v)) {
			rc = err_msg(err, EINVAL, "template: range can't iterate over %s",
				     json_is_string(v) ? json_string_value(v) : "a number or a boolean");
		} else if (other) {
			rc = run(nodes, other + 1, end, s, o, level + 1, err);
		}
		json_decref(v);
		if (rc < 0)
			return -1;
		i = end;
	}
	return 0;
}

int tmpl_render(const char *text, const json_t *data, char **out, err_t *err)
{
	struct node nodes[MAX_NODES];
	size_t n = 0;
	struct out o = { 0 };
	struct scope s = { .dot = data, .root = data };

	if (parse(text, nodes, &n, err) < 0)
		return -1;
	if (run(nodes, 0, n, &s, &o, 0, err) < 0 || put(&o, "", 0, err) < 0) {
		free(o.buf);
		return -1;
	}
	*out = o.buf;
	return 0;
}
