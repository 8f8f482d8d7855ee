/* dockerfile.c - see dockerfile.h. */
#define _GNU_SOURCE
#include "dockerfile.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "path.h"

/* The instructions, and the flags each takes. */
static const struct {
	const char *cmd;
	const char *flags[5];
} known[] = {
	{ "from", { "platform" } },
	{ "run", { "network" } },
	{ "cmd", { NULL } },
	{ "label", { NULL } },
	{ "maintainer", { NULL } },
	{ "expose", { NULL } },
	{ "env", { NULL } },
	{ "add", { "chown", "chmod" } },
	{ "copy", { "from", "chown", "chmod" } },
	{ "entrypoint", { NULL } },
	{ "volume", { NULL } },
	{ "user", { NULL } },
	{ "workdir", { NULL } },
	{ "arg", { NULL } },
	{ "onbuild", { NULL } },
	{ "stopsignal", { NULL } },
	{ "healthcheck", { "interval", "timeout", "start-period", "retries" } },
	{ "shell", { NULL } },
};

/* The instructions whose arguments may be a JSON array (the exec form). */
static bool takes_json(const char *cmd)
{
	static const char *const json_cmds[] = { "run", "cmd", "entrypoint", "shell", "copy", "add", "volume" };
	for (size_t i = 0; i < sizeof(json_cmds) / sizeof(json_cmds[0]); i++)
		if (strcmp(cmd, json_cmds[i]) == 0)
			return true;
	return false;
}

static int find_cmd(const char *cmd)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i].cmd, cmd) == 0)
			return (int)i;
	return -1;
}

/* A growing string. */
struct buf {
	char *text;
	size_t len, cap;
};

static bool buf_add(struct buf *b, const char *text, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = (b->len + len + 1) * 2;
		char *grown = realloc(b->text, cap);
		if (!grown)
			return false;
		b->text = grown;
		b->cap = cap;
	}
	memcpy(b->text + b->len, text, len);
	b->len += len;
	b->text[b->len] = '\0';
	return true;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Does line (len bytes) end with the escape character, less trailing blanks? Its length
 * without them in *keep. */
static bool continues(const char *line, size_t len, char escape, size_t *keep)
{
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (len == 0 || line[len - 1] != escape)
		return false;
	*keep = len - 1;
	return true;
}

/* A parser directive line ("# escape=`"): its key into key, its value into value. */
static bool directive(const char *line, size_t len, char key[16], char value[64])
{
	size_t i = 0;
	while (i < len && isblank((unsigned char)line[i]))
		i++;
	if (i >= len || line[i++] != '#')
		return false;
	while (i < len && isblank((unsigned char)line[i]))
		i++;
	size_t k = 0;
	while (i < len && (isalnum((unsigned char)line[i]) || line[i] == '_') && k < 15)
		key[k++] = (char)tolower((unsigned char)line[i++]);
	key[k] = '\0';
	while (i < len && isblank((unsigned char)line[i]))
		i++;
	if (k == 0 || i >= len || line[i++] != '=')
		return false;
	while (i < len && isblank((unsigned char)line[i]))
		i++;
	size_t end = len;
	while (end > i && isblank((unsigned char)line[end - 1]))
		end--;
	snprintf(value, 64, "%.*s", (int)(end - i), line + i);
	return strcmp(key, "escape") == 0 || strcmp(key, "syntax") == 0;
}

/* One logical line (continuations joined), starting on line number: into an instruction. */
static int add_instr(struct dockerfile *df, const char *text, int line, err_t *err)
{
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	size_t kw = strcspn(p, " \t");
	char cmd[16];
	if (kw >= sizeof(cmd))
		return err_msg(err, EINVAL, "Dockerfile line %d: unknown instruction: %.*s", line, (int)(kw > 40 ? 40 : kw), p);
	for (size_t i = 0; i < kw; i++)
		cmd[i] = (char)tolower((unsigned char)p[i]);
	cmd[kw] = '\0';
	int which = find_cmd(cmd);
	if (which < 0)
		return err_msg(err, EINVAL, "Dockerfile line %d: unknown instruction: %.*s", line, (int)kw, p);
	p += kw;

	/* --name=value flags, up to the first other word ("--" alone ends them). */
	size_t n_flags = 0;
	char **flags = calloc(1, sizeof(char *));
	if (!flags)
		return err_msg(err, ENOMEM, "out of memory");
	for (;;) {
		while (isblank((unsigned char)*p))
			p++;
		if (strncmp(p, "--", 2) != 0)
			break;
		size_t w = strcspn(p, " \t");
		if (w == 2) { /* "--": the end of the flags */
			p += 2;
			break;
		}
		size_t name_len = strcspn(p + 2, "= \t");
		bool allowed = false;
		for (size_t i = 0; i < 5 && known[which].flags[i]; i++)
			allowed = allowed || (strlen(known[which].flags[i]) == name_len &&
					      strncmp(known[which].flags[i], p + 2, name_len) == 0);
		if (!allowed) {
			free_strv(flags);
			return err_msg(err, EINVAL, "Dockerfile line %d: %s: unknown flag: %.*s", line, cmd,
				       (int)(name_len > 40 ? 40 : name_len), p + 2);
		}
		char **grown = realloc(flags, (n_flags + 2) * sizeof(char *));
		if (!grown || !(grown[n_flags] = strndup(p, w))) {
			free_strv(grown ? grown : flags);
			return err_msg(err, ENOMEM, "out of memory");
		}
		flags = grown;
		flags[++n_flags] = NULL;
		p += w;
	}
	while (isspace((unsigned char)*p))
		p++;
	size_t end = strlen(p);
	while (end > 0 && isspace((unsigned char)p[end - 1]))
		end--;
	if (end == 0) {
		free_strv(flags);
		for (size_t i = 0; cmd[i]; i++)
			cmd[i] = (char)toupper((unsigned char)cmd[i]);
		return err_msg(err, EINVAL, "Dockerfile line %d: %s requires at least one argument", line, cmd);
	}

	struct df_instr in = { .line = line, .flags = flags };
	in.cmd = strdup(cmd);
	in.args = strndup(p, end);
	/* The exec form: a JSON array of strings, nothing else. */
	if (takes_json(cmd) && in.args && in.args[0] == '[') {
		json_t *array = json_loads(in.args, JSON_DECODE_ANY, NULL);
		bool strings = json_is_array(array);
		for (size_t i = 0; strings && i < json_array_size(array); i++)
			strings = json_is_string(json_array_get(array, i));
		if (strings && (in.json = calloc(json_array_size(array) + 1, sizeof(char *))))
			for (size_t i = 0; i < json_array_size(array); i++)
				in.json[i] = strdup(json_string_value(json_array_get(array, i)));
		json_decref(array);
	}
	struct df_instr *grown = realloc(df->instr, (df->n + 1) * sizeof(*grown));
	if (!in.cmd || !in.args || !grown) {
		free(in.cmd);
		free(in.args);
		free_strv(in.json);
		free_strv(flags);
		if (grown)
			df->instr = grown;
		return err_msg(err, ENOMEM, "out of memory");
	}
	df->instr = grown;
	df->instr[df->n++] = in;
	return 0;
}

int df_parse(const char *text, size_t len, struct dockerfile *out, err_t *err)
{
	struct dockerfile df = { .escape = '\\' };
	struct buf logical = { 0 };
	bool directives = true, escape_seen = false, syntax_seen = false;
	int line = 0, start = 0;

	if (memchr(text, '\0', len))
		return err_msg(err, EINVAL, "the Dockerfile has a NUL byte: not a text file");
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t line_len = nl ? (size_t)(nl - (text + at)) : len - at;
		const char *l = text + at;
		at += line_len + (nl ? 1 : 0);
		line++;
		if (line_len > 0 && l[line_len - 1] == '\r')
			line_len--;

		char key[16], value[64];
		if (directives && directive(l, line_len, key, value)) {
			bool *seen = strcmp(key, "escape") == 0 ? &escape_seen : &syntax_seen;
			if (*seen) {
				df_free(&df);
				return err_msg(err, EINVAL, "Dockerfile line %d: only one %s parser directive can be used", line, key);
			}
			*seen = true;
			if (strcmp(key, "escape") == 0) {
				if (strcmp(value, "\\") != 0 && strcmp(value, "`") != 0) {
					df_free(&df);
					return err_msg(err, EINVAL, "Dockerfile line %d: invalid escape '%s': must be ` or \\", line, value);
				}
				df.escape = value[0];
			}
			continue;
		}
		directives = false;

		size_t skip = 0;
		while (skip < line_len && isblank((unsigned char)l[skip]))
			skip++;
		if (skip == line_len || l[skip] == '#')
			continue; /* blank, or a comment: even inside a continued instruction */
		if (logical.len == 0)
			start = line;
		size_t keep;
		bool more = continues(l, line_len, df.escape, &keep);
		if (!buf_add(&logical, l, more ? keep : line_len)) {
			free(logical.text);
			df_free(&df);
			return err_msg(err, ENOMEM, "out of memory");
		}
		if (more)
			continue;
		int rc = add_instr(&df, logical.text, start, err);
		logical.len = 0;
		if (rc < 0) {
			free(logical.text);
			df_free(&df);
			return -1;
		}
	}
	/* A last line that continued into the end of the file. */
	if (logical.len > 0 && add_instr(&df, logical.text, start, err) < 0) {
		free(logical.text);
		df_free(&df);
		return -1;
	}
	free(logical.text);
	if (df.n == 0)
		return err_msg(err, EINVAL, "the Dockerfile has no instructions");
	*out = df;
	return 0;
}

void df_free(struct dockerfile *df)
{
	for (size_t i = 0; i < df->n; i++) {
		free(df->instr[i].cmd);
		free(df->instr[i].args);
		free_strv(df->instr[i].json);
		free_strv(df->instr[i].flags);
	}
	free(df->instr);
	df->instr = NULL;
	df->n = 0;
}

void df_strv_free(char **v)
{
	free_strv(v);
}

/* --- words and variables ----------------------------------------------------------------------- */

int df_words(const char *text, char escape, char ***out, err_t *err)
{
	char **words = calloc(1, sizeof(char *));
	size_t n = 0;
	const char *p = text;

	if (!words)
		return err_msg(err, ENOMEM, "out of memory");
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *start = p;
		char quote = 0;
		while (*p && (quote || !isspace((unsigned char)*p))) {
			if (*p == escape && quote != '\'' && p[1]) {
				p += 2; /* the escaped character, whatever it is, stays in the word */
				continue;
			}
			if (!quote && (*p == '\'' || *p == '"'))
				quote = *p;
			else if (quote && *p == quote)
				quote = 0;
			p++;
		}
		if (quote) {
			free_strv(words);
			return err_msg(err, EINVAL, "unexpected end of statement while looking for matching %c", quote);
		}
		char **grown = realloc(words, (n + 2) * sizeof(char *));
		if (!grown || !(grown[n] = strndup(start, (size_t)(p - start)))) {
			free_strv(grown ? grown : words);
			return err_msg(err, ENOMEM, "out of memory");
		}
		words = grown;
		words[++n] = NULL;
	}
	*out = words;
	return 0;
}

/* The value of variable name (len bytes) in vars, or NULL when unset. */
static const char *var_value(const json_t *vars, const char *name, size_t len)
{
	char key[256];
	if (len >= sizeof(key))
		return NULL;
	memcpy(key, name, len);
	key[len] = '\0';
	return json_string_value(json_object_get(vars, key));
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* $NAME or ${...} at *p (just after the $): its expansion added to b, *p moved past it. */
static int expand_var(const char **p, char escape, const json_t *vars, struct buf *b, err_t *err)
{
	const char *s = *p;
	if (*s != '{') {
		size_t len = 0;
		while (name_char(s[len]))
			len++;
		if (len == 0) /* a lone $ stays */
			return buf_add(b, "$", 1) ? 0 : err_msg(err, ENOMEM, "out of memory");
		const char *value = var_value(vars, s, len);
		*p = s + len;
		return !value || buf_add(b, value, strlen(value)) ? 0 : err_msg(err, ENOMEM, "out of memory");
	}
	s++;
	size_t len = 0;
	while (name_char(s[len]))
		len++;
	if (len == 0)
		return err_msg(err, EINVAL, "bad substitution: a variable name is missing after ${");
	const char *name = s, *value = var_value(vars, name, len);
	s += len;
	if (*s == '}') {
		*p = s + 1;
		return !value || buf_add(b, value, strlen(value)) ? 0 : err_msg(err, ENOMEM, "out of memory");
	}
	bool colon = *s == ':';
	if (colon)
		s++;
	char op = *s++;
	if (op != '-' && op != '+' && op != '?')
		return err_msg(err, EINVAL, "bad substitution: unsupported modifier (%c) in ${%.*s}", op ? op : ' ', (int)len,
			       name);
	/* The word, up to the matching }: itself expanded, escapes and nested ${} allowed. */
	const char *word = s;
	int depth = 1;
	while (*s && depth > 0) {
		if (*s == escape && s[1])
			s++;
		else if (*s == '{')
			depth++;
		else if (*s == '}')
			depth--;
		if (depth > 0)
			s++;
	}
	if (*s != '}')
		return err_msg(err, EINVAL, "bad substitution: no } for ${%.*s", (int)len, name);
	char *word_text = strndup(word, (size_t)(s - word));
	*p = s + 1;
	if (!word_text)
		return err_msg(err, ENOMEM, "out of memory");
	bool set = value != NULL, full = set && (!colon || *value);
	int rc = 0;
	char *expanded = NULL;
	if ((op == '-' && !full) || (op == '+' && full) || (op == '?' && !full))
		rc = df_expand(word_text, escape, vars, &expanded, err);
	if (rc == 0 && op == '?' && !full)
		rc = err_msg(err, EINVAL, "%.*s: %s", (int)len, name, *expanded ? expanded : "is not allowed to be unset");
	else if (rc == 0 && expanded)
		rc = buf_add(b, expanded, strlen(expanded)) ? 0 : err_msg(err, ENOMEM, "out of memory");
	else if (rc == 0 && (op == '-' || op == '?') && full)
		rc = buf_add(b, value, strlen(value)) ? 0 : err_msg(err, ENOMEM, "out of memory");
	free(word_text);
	free(expanded);
	return rc;
}

int df_expand(const char *word, char escape, const json_t *vars, char **out, err_t *err)
{
	struct buf b = { 0 };
	const char *p = word;
	char quote = 0;

	if (!buf_add(&b, "", 0))
		return err_msg(err, ENOMEM, "out of memory");
	while (*p) {
		char c = *p;
		int rc = 0;
		if (quote == '\'') { /* single quotes: as written */
			if (c == '\'')
				quote = 0;
			else
				rc = buf_add(&b, p, 1) ? 0 : -1;
			p++;
		} else if (c == escape && p[1]) {
			/* Outside quotes the escape keeps the next character; inside "...", only for
			 * ", $ and itself (as the shell). */
			if (quote == '"' && p[1] != '"' && p[1] != '$' && p[1] != escape)
				rc = buf_add(&b, p, 2) ? 0 : -1;
			else
				rc = buf_add(&b, p + 1, 1) ? 0 : -1;
			p += 2;
		} else if (c == '$') {
			p++;
			if (expand_var(&p, escape, vars, &b, err) < 0) {
				free(b.text);
				return -1;
			}
		} else if (c == '"' || (c == '\'' && !quote)) {
			quote = quote == c ? 0 : c;
			p++;
		} else {
			rc = buf_add(&b, p, 1) ? 0 : -1;
			p++;
		}
		if (rc < 0) {
			free(b.text);
			return err_msg(err, ENOMEM, "out of memory");
		}
	}
	if (quote) {
		free(b.text);
		return err_msg(err, EINVAL, "unexpected end of statement while looking for matching %c", quote);
	}
	*out = b.text;
	return 0;
}

/* --- .dockerignore ----------------------------------------------------------------------------- */

/* A [class] at p (just after the [) against c: 1 in it, 0 not, -1 a bad class; *end past the ]. */
static int class_match(const char *p, char c, const char **end)
{
	bool negate = *p == '!' || *p == '^', in = false;
	if (negate)
		p++;
	if (*p == ']')
		return -1; /* Go: an empty class is an error */
	while (*p && *p != ']') {
		char lo = *p == '\\' && p[1] ? *++p : *p;
		char hi = lo;
		p++;
		if (*p == '-' && p[1] && p[1] != ']') {
			hi = p[1] == '\\' && p[2] ? p[2] : p[1];
			p += p[1] == '\\' ? 3 : 2;
		}
		if (lo <= c && c <= hi)
			in = true;
	}
	if (*p != ']')
		return -1;
	*end = p + 1;
	return in != negate;
}

bool di_match(const char *p, const char *s)
{
	for (;;) {
		if (p[0] == '*' && p[1] == '*') {
			p += 2;
			if (*p == '\0')
				return true; /* ** at the end: everything below */
			if (*p == '/') { /* ** and a slash: zero or more whole directories */
				p++;
				for (const char *t = s;; t++) {
					if ((t == s || t[-1] == '/') && di_match(p, t))
						return true;
					if (!*t)
						return false;
				}
			}
			for (const char *t = s;; t++) { /* **x: anything, across directories */
				if (di_match(p, t))
					return true;
				if (!*t)
					return false;
			}
		}
		switch (*p) {
		case '\0':
			return *s == '\0';
		case '*':
			for (const char *t = s;; t++) {
				if (di_match(p + 1, t))
					return true;
				if (!*t || *t == '/')
					return false;
			}
		case '?':
			if (!*s || *s == '/')
				return false;
			p++, s++;
			break;
		case '[': {
			const char *end;
			if (!*s || *s == '/' || class_match(p + 1, *s, &end) != 1)
				return false;
			p = end, s++;
			break;
		}
		case '\\': /* the escaped character is a literal one */
			if (p[1])
				p++;
			/* fall through */
		default:
			if (*p != *s)
				return false;
			p++, s++;
		}
	}
}

/* Is pattern usable (its classes well formed)? */
static bool pattern_ok(const char *p)
{
	for (; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == '[') {
			const char *end;
			if (class_match(p + 1, 'a', &end) < 0)
				return false;
			p = end - 1;
		}
	}
	return true;
}

int di_parse(const char *text, size_t len, struct dockerignore *out, err_t *err)
{
	size_t n = 0;
	char **patterns = calloc(1, sizeof(char *));

	if (!patterns)
		return err_msg(err, ENOMEM, "out of memory");
	for (size_t at = 0, line = 1; at < len; line++) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - (text + at)) : len - at;
		char buf[4096];
		snprintf(buf, sizeof(buf), "%.*s", (int)(l < sizeof(buf) ? l : sizeof(buf) - 1), text + at);
		at += l + (nl ? 1 : 0);
		char *p = buf, *end = buf + strlen(buf);
		while (isspace((unsigned char)*p))
			p++;
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (!*p || *p == '#')
			continue;
		bool negate = *p == '!';
		if (negate)
			p++;
		while (isspace((unsigned char)*p))
			p++;
		/* Go's filepath.Clean, less one leading / (the context is the root) */
		char cleaned[4096];
		if (path_clean(p, cleaned, sizeof(cleaned), err) < 0) {
			free_strv(patterns);
			return -1;
		}
		p = cleaned[0] == '/' ? cleaned + 1 : cleaned;
		if (!*p || strcmp(p, ".") == 0)
			continue; /* "/" or ".": the whole context is not left out */
		if (!pattern_ok(p)) {
			free_strv(patterns);
			return err_msg(err, EINVAL, ".dockerignore line %zu: bad pattern %s: syntax error in pattern", line, p);
		}
		char **grown = realloc(patterns, (n + 2) * sizeof(char *));
		if (!grown || asprintf(&grown[n], "%s%s", negate ? "!" : "", p) < 0) {
			free_strv(grown ? grown : patterns);
			return err_msg(err, ENOMEM, "out of memory");
		}
		patterns = grown;
		patterns[++n] = NULL;
	}
	out->patterns = patterns;
	return 0;
}

void di_free(struct dockerignore *di)
{
	free_strv(di->patterns);
	di->patterns = NULL;
}

bool di_excluded(const struct dockerignore *di, const char *path)
{
	bool excluded = false;
	char prefix[4096];

	for (size_t i = 0; di->patterns && di->patterns[i]; i++) {
		const char *pattern = di->patterns[i];
		bool negate = *pattern == '!';
		if (negate)
			pattern++;
		/* The path itself, or one of its parent directories ("a", "a/b" of "a/b/c"). */
		bool matched = false;
		for (const char *slash = path; !matched; slash = strchr(slash, '/') + 1) {
			const char *cut = strchr(slash, '/');
			size_t len = cut ? (size_t)(cut - path) : strlen(path);
			if (len >= sizeof(prefix))
				break;
			memcpy(prefix, path, len);
			prefix[len] = '\0';
			matched = di_match(pattern, prefix);
			if (!cut)
				break;
		}
		if (matched)
			excluded = !negate;
	}
	return excluded;
}

/* --- the image's configuration ----------------------------------------------------------------- */

/* The words of args, each expanded: a NULL-terminated array. */
static int expanded_words(const char *args, char escape, const json_t *vars, char ***out, err_t *err)
{
	char **words;
	if (df_words(args, escape, &words, err) < 0)
		return -1;
	for (size_t i = 0; words[i]; i++) {
		char *x;
		if (df_expand(words[i], escape, vars, &x, err) < 0) {
			free_strv(words);
			return -1;
		}
		free(words[i]);
		words[i] = x;
	}
	*out = words;
	return 0;
}

/* K=V pairs (ENV, LABEL) into *out ({K: V}), in order; the legacy form "K V..." too. */
static int key_values(const struct df_instr *in, char escape, const json_t *vars, json_t **out, err_t *err)
{
	char **words;
	if (df_words(in->args, escape, &words, err) < 0)
		return -1;
	json_t *pairs = json_object();
	int rc = 0;
	if (!strchr(words[0], '=')) {
		/* ENV NAME value with spaces: the rest of the line is the value. */
		const char *rest = in->args + strlen(words[0]);
		while (isspace((unsigned char)*rest))
			rest++;
		char *key = NULL, *value = NULL;
		if (!*rest)
			rc = err_msg(err, EINVAL, "Dockerfile line %d: %s names can not be blank... %s needs a value", in->line,
				     in->cmd, words[0]);
		else if (df_expand(words[0], escape, vars, &key, err) == 0 && df_expand(rest, escape, vars, &value, err) == 0)
			json_object_set_new(pairs, key, json_string(value));
		else
			rc = -1;
		free(key);
		free(value);
	} else {
		for (size_t i = 0; rc == 0 && words[i]; i++) {
			char *eq = strchr(words[i], '=');
			if (!eq || eq == words[i]) {
				rc = err_msg(err, EINVAL, "Dockerfile line %d: syntax error: can't find = in \"%s\": give name=value",
					     in->line, words[i]);
				break;
			}
			*eq = '\0';
			char *key = NULL, *value = NULL;
			if (df_expand(words[i], escape, vars, &key, err) == 0 && df_expand(eq + 1, escape, vars, &value, err) == 0) {
				if (!*key)
					rc = err_msg(err, EINVAL, "Dockerfile line %d: %s names can not be blank", in->line, in->cmd);
				else
					json_object_set_new(pairs, key, json_string(value));
			} else {
				rc = -1;
			}
			free(key);
			free(value);
		}
	}
	free_strv(words);
	if (rc < 0) {
		json_decref(pairs);
		return -1;
	}
	*out = pairs;
	return 0;
}

/* CMD, ENTRYPOINT, HEALTHCHECK CMD: the exec form as it is, the shell form through the shell. */
static json_t *command_of(const json_t *config, char **json, const char *args)
{
	json_t *out = json_array();
	if (json) {
		for (size_t i = 0; json[i]; i++)
			json_array_append_new(out, json_string(json[i]));
		return out;
	}
	const json_t *shell = json_object_get(config, "Shell");
	if (json_array_size(shell) > 0) {
		json_array_extend(out, (json_t *)shell);
	} else { /* Docker's default shell */
		json_array_append_new(out, json_string("/bin/sh"));
		json_array_append_new(out, json_string("-c"));
	}
	json_array_append_new(out, json_string(args));
	return out;
}

/* A Go duration ("30s", "1m30s", "500ms", "1.5h") in nanoseconds, or -1. */
static long long go_duration(const char *text)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
	double total = 0;
	const char *p = text;
	if (!*p)
		return -1;
	if (strcmp(p, "0") == 0)
		return 0;
	while (*p) {
		char *end;
		double n = strtod(p, &end);
		if (end == p || n < 0)
			return -1;
		p = end;
		size_t best = 0, which = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t len = strlen(units[i].unit);
			/* the longest unit that fits: "ms" before "m" */
			if (strncmp(p, units[i].unit, len) == 0 && len > best)
				best = len, which = i;
		}
		if (!best)
			return -1;
		total += n * units[which].ns;
		p += best;
	}
	return total > 9.2e18 ? -1 : (long long)total;
}

/* Set "K=V" in env (an array of "K=V"), in K's place if it is there. */
static void env_set(json_t *env, const char *key, const char *value)
{
	char *entry;
	if (asprintf(&entry, "%s=%s", key, value) < 0)
		return;
	size_t klen = strlen(key), i;
	json_t *item;
	json_array_foreach(env, i, item) {
		const char *text = json_string_value(item);
		if (text && strncmp(text, key, klen) == 0 && text[klen] == '=') {
			json_array_set_new(env, i, json_string(entry));
			free(entry);
			return;
		}
	}
	json_array_append_new(env, json_string(entry));
	free(entry);
}

/* json[] as a new array of strings. */
static json_t *strv_json(char **v)
{
	json_t *out = json_array();
	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(out, json_string(v[i]));
	return out;
}

/* The object config[key], made when missing. */
static json_t *object_in(json_t *config, const char *key)
{
	json_t *obj = json_object_get(config, key);
	if (!json_is_object(obj)) {
		obj = json_object();
		json_object_set_new(config, key, obj);
	}
	return obj;
}

int df_apply(json_t *config, const struct df_instr *in, char escape, json_t *vars, const json_t *build_args,
	     const json_t *globals, bool *cmd_from_base, char **author, err_t *err)
{
	const char *cmd = in->cmd;
	char **words = NULL;
	json_t *pairs = NULL;
	int rc = 0;

	if (strcmp(cmd, "env") == 0 || strcmp(cmd, "label") == 0) {
		if (key_values(in, escape, vars, &pairs, err) < 0)
			return -1;
		const char *key;
		json_t *value;
		bool env = strcmp(cmd, "env") == 0;
		json_t *target = env ? json_object_get(config, "Env") : object_in(config, "Labels");
		if (env && !json_is_array(target)) {
			target = json_array();
			json_object_set_new(config, "Env", target);
		}
		json_object_foreach(pairs, key, value) {
			if (env) {
				env_set(target, key, json_string_value(value));
				json_object_set(vars, key, value); /* the next steps see it */
			} else {
				json_object_set(target, key, value);
			}
		}
	} else if (strcmp(cmd, "workdir") == 0) {
		char *dir;
		if (df_expand(in->args, escape, vars, &dir, err) < 0)
			return -1;
		const char *before = json_string_value(json_object_get(config, "WorkingDir"));
		char path[4096], absolute[4096];
		snprintf(path, sizeof(path), "/%s/%s", dir[0] == '/' ? "" : (before && *before ? before : ""), dir);
		free(dir);
		if (path_clean(path, absolute, sizeof(absolute), err) < 0)
			return -1;
		json_object_set_new(config, "WorkingDir", json_string(absolute));
	} else if (strcmp(cmd, "user") == 0 || strcmp(cmd, "stopsignal") == 0) {
		char *value;
		if (df_expand(in->args, escape, vars, &value, err) < 0)
			return -1;
		json_object_set_new(config, strcmp(cmd, "user") == 0 ? "User" : "StopSignal", json_string(value));
		free(value);
	} else if (strcmp(cmd, "cmd") == 0) {
		json_object_set_new(config, "Cmd", command_of(config, in->json, in->args));
		*cmd_from_base = false;
	} else if (strcmp(cmd, "entrypoint") == 0) {
		json_object_set_new(config, "Entrypoint", command_of(config, in->json, in->args));
		if (*cmd_from_base) { /* Docker's rule: the base image's CMD was for its own ENTRYPOINT */
			json_object_set_new(config, "Cmd", json_null());
			*cmd_from_base = false;
		}
	} else if (strcmp(cmd, "shell") == 0) {
		if (!in->json || !in->json[0])
			return err_msg(err, EINVAL, "Dockerfile line %d: SHELL requires the arguments to be in JSON form",
				       in->line);
		json_object_set_new(config, "Shell", strv_json(in->json));
	} else if (strcmp(cmd, "expose") == 0 || strcmp(cmd, "volume") == 0) {
		bool expose = strcmp(cmd, "expose") == 0;
		if (!expose && in->json)
			words = calloc(1, sizeof(char *)); /* filled below from the exec form */
		else if (expanded_words(in->args, escape, vars, &words, err) < 0)
			return -1;
		json_t *set = object_in(config, expose ? "ExposedPorts" : "Volumes");
		char **items = !expose && in->json ? in->json : words;
		for (size_t i = 0; rc == 0 && items && items[i]; i++) {
			if (!expose) {
				if (!*items[i])
					rc = err_msg(err, EINVAL, "Dockerfile line %d: VOLUME specified can not be an empty string",
						     in->line);
				else
					json_object_set_new(set, items[i], json_object());
				continue;
			}
			/* PORT, PORT/PROTO or FIRST-LAST[/PROTO] */
			char proto[8] = "tcp";
			unsigned lo = 0, hi = 0;
			char tail[16] = "";
			int got = sscanf(items[i], "%u-%u%15s", &lo, &hi, tail);
			if (got < 2) {
				got = sscanf(items[i], "%u%15s", &lo, tail);
				hi = lo;
				if (got < 1)
					lo = 0;
			}
			if (tail[0] == '/' && strlen(tail) < sizeof(proto) + 1)
				snprintf(proto, sizeof(proto), "%s", tail + 1);
			bool proto_ok = strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0 || strcmp(proto, "sctp") == 0;
			if (lo == 0 || hi < lo || hi > 65535 || (tail[0] && tail[0] != '/') || !proto_ok) {
				rc = err_msg(err, EINVAL, "Dockerfile line %d: invalid containerPort: %s", in->line, items[i]);
				break;
			}
			for (unsigned port = lo; port <= hi; port++) {
				char key[32];
				snprintf(key, sizeof(key), "%u/%s", port, proto);
				json_object_set_new(set, key, json_object());
			}
		}
	} else if (strcmp(cmd, "healthcheck") == 0) {
		json_t *check = json_object();
		for (size_t i = 0; rc == 0 && in->flags[i]; i++) {
			const char *flag = in->flags[i] + 2, *eq = strchr(flag, '=');
			if (!eq) {
				rc = err_msg(err, EINVAL, "Dockerfile line %d: --%s needs a value", in->line, flag);
				break;
			}
			if (strncmp(flag, "retries=", 8) == 0) {
				char *end;
				long n = strtol(eq + 1, &end, 10);
				if (*end || end == eq + 1 || n < 0 || n > 1000000)
					rc = err_msg(err, EINVAL, "Dockerfile line %d: --retries: %s is not a number", in->line, eq + 1);
				else
					json_object_set_new(check, "Retries", json_integer(n));
				continue;
			}
			long long ns = go_duration(eq + 1);
			const char *key = strncmp(flag, "interval=", 9) == 0 ? "Interval"
					  : strncmp(flag, "timeout=", 8) == 0 ? "Timeout"
									      : "StartPeriod";
			if (ns < 0)
				rc = err_msg(err, EINVAL, "Dockerfile line %d: --%.*s: %s is not a duration", in->line,
					     (int)(eq - flag), flag, eq + 1);
			else
				json_object_set_new(check, key, json_integer(ns));
		}
		const char *a = in->args;
		size_t kw = strcspn(a, " \t");
		if (rc == 0 && kw == 4 && strncasecmp(a, "none", 4) == 0 && !a[4]) {
			json_object_set_new(check, "Test", json_pack("[s]", "NONE"));
		} else if (rc == 0 && kw == 3 && strncasecmp(a, "cmd", 3) == 0 && a[3]) {
			const char *rest = a + 3;
			while (isspace((unsigned char)*rest))
				rest++;
			json_t *array = rest[0] == '[' ? json_loads(rest, JSON_DECODE_ANY, NULL) : NULL;
			bool strings = json_is_array(array) && json_array_size(array) > 0;
			for (size_t i = 0; strings && i < json_array_size(array); i++)
				strings = json_is_string(json_array_get(array, i));
			json_t *test = strings ? json_pack("[s]", "CMD") : json_pack("[s, s]", "CMD-SHELL", rest);
			if (strings)
				json_array_extend(test, array);
			json_decref(array);
			json_object_set_new(check, "Test", test);
		} else if (rc == 0) {
			rc = err_msg(err, EINVAL, "Dockerfile line %d: HEALTHCHECK: give CMD COMMAND or NONE", in->line);
		}
		if (rc == 0)
			json_object_set(config, "Healthcheck", check);
		json_decref(check);
	} else if (strcmp(cmd, "arg") == 0) {
		if (df_words(in->args, escape, &words, err) < 0)
			return -1;
		for (size_t i = 0; rc == 0 && words[i]; i++) {
			char *eq = strchr(words[i], '=');
			if (eq)
				*eq = '\0';
			if (!*words[i] || strspn(words[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
						  strlen(words[i])) {
				rc = err_msg(err, EINVAL, "Dockerfile line %d: ARG: invalid name \"%s\"", in->line, words[i]);
				break;
			}
			const char *given = json_string_value(json_object_get(build_args, words[i]));
			const char *global = json_string_value(json_object_get(globals, words[i]));
			char *value = NULL;
			if (given)
				json_object_set_new(vars, words[i], json_string(given));
			else if (!eq && global) /* ARG NAME: the value declared before FROM */
				json_object_set_new(vars, words[i], json_string(global));
			else if (eq && df_expand(eq + 1, escape, vars, &value, err) == 0)
				json_object_set_new(vars, words[i], json_string(value));
			else if (eq)
				rc = -1;
			free(value);
		}
	} else if (strcmp(cmd, "onbuild") == 0) {
		size_t kw = strcspn(in->args, " \t");
		if ((kw == 7 && strncasecmp(in->args, "onbuild", 7) == 0) || (kw == 4 && strncasecmp(in->args, "from", 4) == 0) ||
		    (kw == 10 && strncasecmp(in->args, "maintainer", 10) == 0))
			return err_msg(err, EINVAL, "Dockerfile line %d: %.*s isn't allowed as an ONBUILD trigger", in->line,
				       (int)kw, in->args);
		json_t *triggers = json_object_get(config, "OnBuild");
		if (!json_is_array(triggers)) {
			triggers = json_array();
			json_object_set_new(config, "OnBuild", triggers);
		}
		json_array_append_new(triggers, json_string(in->args));
	} else if (strcmp(cmd, "maintainer") == 0) {
		free(*author);
		*author = strdup(in->args);
	} else {
		return err_msg(err, EINVAL, "Dockerfile line %d: %s is the build's own step, not a configuration change",
			       in->line, cmd);
	}
	free_strv(words);
	json_decref(pairs);
	return rc;
}

/* --- stages ------------------------------------------------------------------------------------- */

void df_stages_free(struct df_stage *stages, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(stages[i].base);
		free(stages[i].name);
	}
	free(stages);
}

int df_stages(const struct dockerfile *df, const json_t *build_args, const char *target, struct df_stage **out,
	      size_t *out_n, json_t **globals, err_t *err)
{
	struct df_stage *stages = NULL;
	size_t n = 0, i = 0;
	json_t *vars = json_object();
	bool dummy = false;
	char *no_author = NULL;
	char **words = NULL;

	/* The global ARGs: before the first FROM, nothing else. */
	for (; i < df->n && strcmp(df->instr[i].cmd, "from") != 0; i++) {
		if (strcmp(df->instr[i].cmd, "arg") != 0) {
			err_msg(err, EINVAL, "Dockerfile line %d: no build stage yet: only ARG may come before FROM",
				df->instr[i].line);
			goto fail;
		}
		if (df_apply(NULL, &df->instr[i], df->escape, vars, build_args, NULL, &dummy, &no_author, err) < 0)
			goto fail;
	}
	if (i == df->n) {
		err_msg(err, EINVAL, "the Dockerfile has no FROM: a build starts from an image (or scratch)");
		goto fail;
	}
	for (; i < df->n; i++) {
		const struct df_instr *in = &df->instr[i];
		if (strcmp(in->cmd, "from") != 0) {
			stages[n - 1].end = i + 1;
			continue;
		}
		/* FROM [--platform=...] IMAGE [AS NAME] */
		if (expanded_words(in->args, df->escape, vars, &words, err) < 0)
			goto fail;
		size_t count = 0;
		while (words[count])
			count++;
		if (!(count == 1 || (count == 3 && strcasecmp(words[1], "as") == 0)) || !*words[0]) {
			err_msg(err, EINVAL, "Dockerfile line %d: FROM requires either one or three arguments (IMAGE [AS NAME])",
				in->line);
			goto fail;
		}
		struct df_stage *grown = realloc(stages, (n + 1) * sizeof(*grown));
		if (!grown) {
			err_msg(err, ENOMEM, "out of memory");
			goto fail;
		}
		stages = grown;
		struct df_stage *st = &stages[n++];
		*st = (struct df_stage){ .base = strdup(words[0]), .base_stage = -1, .first = i + 1, .end = i + 1 };
		if (count == 3) {
			char *name = words[2];
			for (char *c = name; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			if (!isalpha((unsigned char)name[0]) ||
			    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(name)) {
				err_msg(err, EINVAL, "Dockerfile line %d: invalid name for build stage: \"%s\", name can't start with a number or contain symbols",
					in->line, name);
				goto fail;
			}
			for (size_t k = 0; k + 1 < n; k++)
				if (stages[k].name && strcmp(stages[k].name, name) == 0) {
					err_msg(err, EINVAL, "Dockerfile line %d: duplicate name %s", in->line, name);
					goto fail;
				}
			st->name = strdup(name);
		}
		/* An earlier stage, by name (any case), as the base. */
		for (size_t k = 0; k + 1 < n; k++)
			if (stages[k].name && strcasecmp(stages[k].name, st->base) == 0)
				st->base_stage = (int)k;
		free_strv(words);
		words = NULL;
	}
	if (target) {
		size_t keep = n;
		for (size_t k = 0; k < n; k++)
			if (stages[k].name && strcasecmp(stages[k].name, target) == 0)
				keep = k + 1;
		if (keep == n && !(stages[n - 1].name && strcasecmp(stages[n - 1].name, target) == 0)) {
			err_msg(err, EINVAL, "target stage %s could not be found", target);
			goto fail;
		}
		for (size_t k = keep; k < n; k++) {
			free(stages[k].base);
			free(stages[k].name);
		}
		n = keep;
	}
	*out = stages;
	*out_n = n;
	*globals = vars;
	return 0;
fail:
	free_strv(words);
	df_stages_free(stages, n);
	json_decref(vars);
	return -1;
}

/* --- COPY's destination ------------------------------------------------------------------------ */

int df_copy_target(const char *workdir, const char *dest, const char *src, bool src_is_dir, bool dest_is_dir,
		   size_t n_sources, char *out, size_t size, err_t *err)
{
	size_t len = strlen(dest);
	bool as_dir = (len > 0 && dest[len - 1] == '/') || dest_is_dir || (len > 1 && strcmp(dest + len - 2, "/.") == 0) ||
		      strcmp(dest, ".") == 0;
	if (n_sources > 1 && !as_dir)
		return err_msg(err, EINVAL, "When using COPY with more than one source file, the destination must be a "
					    "directory and end with a /");
	const char *base = strrchr(src, '/');
	base = base ? base + 1 : src;
	char joined[8192];
	snprintf(joined, sizeof(joined), "/%s/%s/%s", dest[0] == '/' ? "" : (workdir ? workdir : ""), dest,
		 as_dir && !src_is_dir ? base : "");
	return path_clean(joined, out, size, err);
}
