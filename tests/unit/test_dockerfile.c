/* test_dockerfile.c - a Dockerfile read as Docker's builder reads it: directives, continuations,
 * comments, the exec and shell forms, flags, and the errors, each with its line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"
#include "unit.h"

static int parse(const char *text, struct dockerfile *df, err_t *err)
{
	return df_parse(text, strlen(text), df, err);
}

static void instructions_and_forms(void)
{
	struct dockerfile df;
	err_t err;
	const char *text = "FROM busybox AS build\n"
			   "# a comment\n"
			   "\n"
			   "run echo one \\\n"
			   "    two\n"
			   "CMD [\"sh\", \"-c\", \"echo hi\"]\n"
			   "ENTRYPOINT [\"not\", 1]\n"
			   "COPY --from=build --chown=1:1 /a /b\n"
			   "ENV A=1 B=\"two words\"\n";

	CU_ASSERT_EQUAL_FATAL(parse(text, &df, &err), 0);
	CU_ASSERT_EQUAL_FATAL(df.n, 6);
	CU_ASSERT_STRING_EQUAL(df.instr[0].cmd, "from");
	CU_ASSERT_STRING_EQUAL(df.instr[0].args, "busybox AS build");
	CU_ASSERT_EQUAL(df.instr[0].line, 1);
	/* A keyword in any case; a continuation joined as written, at the line it began. */
	CU_ASSERT_STRING_EQUAL(df.instr[1].cmd, "run");
	CU_ASSERT_STRING_EQUAL(df.instr[1].args, "echo one     two");
	CU_ASSERT_EQUAL(df.instr[1].line, 4);
	CU_ASSERT_PTR_NULL(df.instr[1].json); /* the shell form */
	/* The exec form: a JSON array of strings; anything else is the shell form. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(df.instr[2].json);
	CU_ASSERT_STRING_EQUAL(df.instr[2].json[2], "echo hi");
	CU_ASSERT_PTR_NULL(df.instr[2].json[3]);
	CU_ASSERT_PTR_NULL(df.instr[3].json);
	CU_ASSERT_STRING_EQUAL(df.instr[3].args, "[\"not\", 1]");
	/* Flags first, then the arguments. */
	CU_ASSERT_STRING_EQUAL(df.instr[4].flags[0], "--from=build");
	CU_ASSERT_STRING_EQUAL(df.instr[4].flags[1], "--chown=1:1");
	CU_ASSERT_PTR_NULL(df.instr[4].flags[2]);
	CU_ASSERT_STRING_EQUAL(df.instr[4].args, "/a /b");
	CU_ASSERT_PTR_NULL(df.instr[5].flags[0]);
	CU_ASSERT_EQUAL(df.escape, '\\');
	df_free(&df);
}

static void directives_and_comments(void)
{
	struct dockerfile df;
	err_t err;

	/* escape=` : the backtick continues lines, and a backslash is a plain character (Windows paths). */
	const char *text = "# escape=`\n"
			   "# syntax=docker/dockerfile:1\n"
			   "FROM scratch\n"
			   "COPY a\\b `\n"
			   "# dropped, even here\n"
			   "  c\\d\n";
	CU_ASSERT_EQUAL_FATAL(parse(text, &df, &err), 0);
	CU_ASSERT_EQUAL(df.escape, '`');
	CU_ASSERT_EQUAL_FATAL(df.n, 2);
	CU_ASSERT_STRING_EQUAL(df.instr[1].args, "a\\b   c\\d");
	df_free(&df);

	/* After the first comment or instruction, "# escape=" is a comment like any other. */
	CU_ASSERT_EQUAL_FATAL(parse("# hello\n# escape=`\nFROM scratch\nRUN a \\\n b\r\n", &df, &err), 0);
	CU_ASSERT_EQUAL(df.escape, '\\');
	CU_ASSERT_STRING_EQUAL(df.instr[1].args, "a  b"); /* \r\n line ends too */
	df_free(&df);

	/* A continuation into the end of the file still ends its instruction. */
	CU_ASSERT_EQUAL_FATAL(parse("FROM scratch\nCMD a \\", &df, &err), 0);
	CU_ASSERT_STRING_EQUAL(df.instr[1].args, "a");
	df_free(&df);
}

static void errors_name_the_line(void)
{
	struct dockerfile df;
	err_t err;
	static const struct {
		const char *text, *said;
	} bad[] = {
		{ "FROM scratch\nFOO bar\n", "line 2: unknown instruction: FOO" },
		{ "FROM scratch\n\nRUN\n", "line 3: RUN requires at least one argument" },
		{ "FROM scratch\nCOPY --form=x a b\n", "line 2: copy: unknown flag: form" },
		{ "FROM scratch\nCMD --help\n", "line 2: cmd: unknown flag: help" },
		{ "# escape=x\nFROM scratch\n", "line 1: invalid escape 'x'" },
		{ "# escape=`\n# escape=\\\nFROM scratch\n", "line 2: only one escape parser directive" },
		{ "# only a comment\n\n", "no instructions" },
		{ "", "no instructions" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(parse(bad[i].text, &df, &err), -1);
		CU_ASSERT_EQUAL(err.code, EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad[i].said));
	}
	/* A NUL byte: not a text file. */
	CU_ASSERT_EQUAL(df_parse("FROM a\0b\n", 9, &df, &err), -1);
}

/* word expanded with A=1, EMPTY="" and SP="a b" (B is unset), or NULL on an error. */
static char *expand(const char *word, char escape)
{
	json_t *vars = json_pack("{s:s, s:s, s:s}", "A", "1", "EMPTY", "", "SP", "a b");
	char *out = NULL;
	err_t err;
	if (df_expand(word, escape, vars, &out, &err) < 0)
		out = NULL;
	json_decref(vars);
	return out;
}

static void words_and_variables(void)
{
	static const struct {
		const char *word, *want;
	} cases[] = {
		{ "$A", "1" },
		{ "${A}x", "1x" },
		{ "x$B.y", "x.y" }, /* unset: empty */
		{ "'$A'", "$A" },   /* single quotes: as written */
		{ "\"$A $SP\"", "1 a b" },
		{ "\\$A", "$A" }, /* escaped $ */
		{ "\"a\\\"b\\c\"", "a\"b\\c" }, /* inside "...": \" is ", \c stays \c */
		{ "${B:-def}", "def" },
		{ "${EMPTY:-def}", "def" },
		{ "${EMPTY-def}", "" },
		{ "${A:-def}", "1" },
		{ "${A:+alt}", "alt" },
		{ "${EMPTY:+alt}", "" },
		{ "${EMPTY+alt}", "alt" },
		{ "${B:-${A}0}", "10" }, /* nested */
		{ "${A:?must be set}", "1" },
		{ "a$", "a$" },
		{ "pre${A}post", "pre1post" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = expand(cases[i].word, '\\');
		CU_ASSERT_PTR_NOT_NULL(got);
		if (got && strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "expand %s: got [%s], want [%s]\n", cases[i].word, got, cases[i].want);
		CU_ASSERT(got && strcmp(got, cases[i].want) == 0);
		free(got);
	}
	/* The backtick as the escape: a backslash is a plain character. */
	char *got = expand("C:\\dir`$A", '`');
	CU_ASSERT(got && strcmp(got, "C:\\dir$A") == 0);
	free(got);
	/* Errors: ${B:?...}, an unclosed quote or brace, a modifier Docker has not. */
	static const char *const bad[] = { "${B:?must be set}", "\"open", "${A", "${A/x/y}", "${}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_PTR_NULL(expand(bad[i], '\\'));

	/* Words: split at blanks outside quotes; quotes and escapes kept for df_expand(). */
	char **words;
	err_t err;
	CU_ASSERT_EQUAL_FATAL(df_words("a=1  b=\"two words\" c='x y' d=e\\ f", '\\', &words, &err), 0);
	CU_ASSERT_STRING_EQUAL(words[0], "a=1");
	CU_ASSERT_STRING_EQUAL(words[1], "b=\"two words\"");
	CU_ASSERT_STRING_EQUAL(words[2], "c='x y'");
	CU_ASSERT_STRING_EQUAL(words[3], "d=e\\ f");
	CU_ASSERT_PTR_NULL(words[4]);
	df_strv_free(words);
	CU_ASSERT_EQUAL(df_words("a=\"open", '\\', &words, &err), -1);
}

static void dockerignore_rules(void)
{
	/* Go's filepath.Match, plus **. */
	CU_ASSERT_TRUE(di_match("*.md", "README.md"));
	CU_ASSERT_FALSE(di_match("*.md", "docs/README.md")); /* * never crosses a / */
	CU_ASSERT_TRUE(di_match("**/*.md", "docs/a/README.md"));
	CU_ASSERT_TRUE(di_match("**/*.md", "README.md")); /* **: zero directories too */
	CU_ASSERT_TRUE(di_match("docs/**", "docs/a/b"));
	CU_ASSERT_TRUE(di_match("a/**/z", "a/z"));
	CU_ASSERT_TRUE(di_match("a/**/z", "a/b/c/z"));
	CU_ASSERT_FALSE(di_match("a/**/z", "a/bz"));
	CU_ASSERT_TRUE(di_match("file?.txt", "file1.txt"));
	CU_ASSERT_FALSE(di_match("a?b", "a/b"));
	CU_ASSERT_TRUE(di_match("[a-c]x", "bx"));
	CU_ASSERT_FALSE(di_match("[!a-c]x", "bx"));
	CU_ASSERT_TRUE(di_match("\\*x", "*x"));
	CU_ASSERT_FALSE(di_match("\\*x", "ax"));

	struct dockerignore di;
	err_t err;
	const char *text = "# build output\n"
			   "  /build/  \n"
			   "*.log\n"
			   "!keep.log\n"
			   "./docs/../secrets\n"
			   "\n"
			   "node_modules\n"
			   "!node_modules/ours\n";
	CU_ASSERT_EQUAL_FATAL(di_parse(text, strlen(text), &di, &err), 0);
	CU_ASSERT_STRING_EQUAL(di.patterns[0], "build");    /* trimmed, leading and trailing / gone */
	CU_ASSERT_STRING_EQUAL(di.patterns[3], "secrets");  /* cleaned as a path */
	CU_ASSERT_TRUE(di_excluded(&di, "build"));
	CU_ASSERT_TRUE(di_excluded(&di, "build/out/a.o"));  /* a directory: all of it */
	CU_ASSERT_FALSE(di_excluded(&di, "src/build.c"));
	CU_ASSERT_TRUE(di_excluded(&di, "x.log"));
	CU_ASSERT_FALSE(di_excluded(&di, "keep.log"));      /* taken back by a later ! */
	CU_ASSERT_FALSE(di_excluded(&di, "logs/x.log"));    /* *.log is the top directory's only */
	CU_ASSERT_TRUE(di_excluded(&di, "secrets"));
	CU_ASSERT_TRUE(di_excluded(&di, "node_modules/theirs/index.js"));
	CU_ASSERT_FALSE(di_excluded(&di, "node_modules/ours/index.js"));
	CU_ASSERT_FALSE(di_excluded(&di, "Dockerfile"));
	di_free(&di);
	CU_ASSERT_EQUAL(di_parse("[]x\n", 4, &di, &err), -1); /* Go: a bad pattern */
	CU_ASSERT_EQUAL(di_parse("[a-\n", 4, &di, &err), -1);
}

/* Apply every instruction of text to config, with build_args; the error's text, or NULL. */
static const char *apply_all(const char *text, json_t *config, json_t *vars, const json_t *build_args, bool *from_base,
			     char **author)
{
	static err_t err;
	struct dockerfile df;
	if (parse(text, &df, &err) < 0)
		return err.msg;
	const char *failed = NULL;
	for (size_t i = 0; i < df.n && !failed; i++)
		if (df_apply(config, &df.instr[i], df.escape, vars, build_args, NULL, from_base, author, &err) < 0)
			failed = err.msg;
	df_free(&df);
	return failed;
}

static void configuration_steps(void)
{
	json_t *config = json_pack("{s:[s], s:[s], s:s}", "Env", "PATH=/bin", "Cmd", "sh", "WorkingDir", "/");
	json_t *vars = json_pack("{s:s}", "PATH", "/bin");
	json_t *build_args = json_pack("{s:s}", "VERSION", "2.0");
	bool from_base = true;
	char *author = NULL;
	const char *text = "ARG VERSION=1.0\n"
			   "ARG UNSET\n"
			   "ENV APP=/app PATH=$PATH:/app/bin\n"
			   "ENV LEGACY hello world\n"
			   "LABEL version=\"$VERSION\" \"com.example.name\"=\"my app\"\n"
			   "WORKDIR $APP\n"
			   "WORKDIR sub/../src\n"
			   "USER 1000:1000\n"
			   "EXPOSE 80 53/udp 8000-8001\n"
			   "VOLUME [\"/data\"]\n"
			   "VOLUME /logs /cache\n"
			   "STOPSIGNAL SIGINT\n"
			   "ENTRYPOINT [\"/app/bin/run\"]\n"
			   "SHELL [\"/bin/bash\", \"-eu\", \"-c\"]\n"
			   "HEALTHCHECK --interval=30s --timeout=1m30s --retries=3 CMD curl -f http://localhost/ || exit 1\n"
			   "ONBUILD COPY . /src\n"
			   "MAINTAINER someone@example.org\n";

	const char *failed = apply_all(text, config, vars, build_args, &from_base, &author);
	CU_ASSERT_PTR_NULL_FATAL(failed);
	json_t *env = json_object_get(config, "Env");
	CU_ASSERT_EQUAL(json_array_size(env), 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(env, 0)), "PATH=/bin:/app/bin"); /* in its place */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(env, 1)), "APP=/app");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(env, 2)), "LEGACY=hello world");
	/* --build-arg beats the default; ARG is a build variable, not in the image. */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(config, "Labels"), "version")), "2.0");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(config, "Labels"), "com.example.name")),
			       "my app");
	CU_ASSERT_PTR_NULL(json_object_get(vars, "UNSET"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(config, "WorkingDir")), "/app/src");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(config, "User")), "1000:1000");
	json_t *ports = json_object_get(config, "ExposedPorts");
	CU_ASSERT_EQUAL(json_object_size(ports), 4);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(ports, "80/tcp"));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(ports, "53/udp"));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(ports, "8001/tcp"));
	CU_ASSERT_EQUAL(json_object_size(json_object_get(config, "Volumes")), 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(config, "StopSignal")), "SIGINT");
	/* ENTRYPOINT drops the base image's CMD. */
	CU_ASSERT_TRUE(json_is_null(json_object_get(config, "Cmd")));
	CU_ASSERT_FALSE(from_base);
	json_t *check = json_object_get(config, "Healthcheck");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(check, "Test"), 0)), "CMD-SHELL");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(check, "Interval")), 30000000000LL);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(check, "Timeout")), 90000000000LL);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(check, "Retries")), 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(config, "OnBuild"), 0)), "COPY . /src");
	CU_ASSERT_STRING_EQUAL(author, "someone@example.org");

	/* CMD's shell form goes through SHELL; CMD after ENTRYPOINT stays. */
	CU_ASSERT_PTR_NULL(apply_all("CMD echo $HOME\n", config, vars, build_args, &from_base, &author));
	json_t *cmd = json_object_get(config, "Cmd");
	CU_ASSERT_EQUAL(json_array_size(cmd), 4);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(cmd, 0)), "/bin/bash");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(cmd, 3)), "echo $HOME"); /* not expanded at build */

	/* Refused, each naming its line. */
	static const char *const bad[] = { "SHELL /bin/sh -c\n", "EXPOSE 70000\n", "EXPOSE 80/icmp\n", "ENV =x\n",
					   "ENV a=1 b\n", "HEALTHCHECK --interval=soon CMD true\n", "HEALTHCHECK true\n",
					   "ONBUILD FROM x\n", "RUN true\n", "ARG 1-x\n", "VOLUME [\"\"]\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *said = apply_all(bad[i], config, vars, build_args, &from_base, &author);
		CU_ASSERT_PTR_NOT_NULL(said);
		if (!said)
			fprintf(stderr, "accepted: %s", bad[i]);
	}
	free(author);
	json_decref(config);
	json_decref(vars);
	json_decref(build_args);
}

static void stages_and_global_args(void)
{
	struct dockerfile df;
	struct df_stage *st;
	size_t n;
	json_t *globals, *build_args = json_pack("{s:s}", "TAG", "1.36");
	err_t err;
	const char *text = "ARG TAG=latest\n"
			   "ARG BASE=busybox\n"
			   "FROM $BASE:$TAG AS Build\n"
			   "RUN make\n"
			   "FROM scratch AS test\n"
			   "FROM build\n"
			   "ARG TAG\n"
			   "COPY --from=build /out /\n";

	CU_ASSERT_EQUAL_FATAL(parse(text, &df, &err), 0);
	CU_ASSERT_EQUAL_FATAL(df_stages(&df, build_args, NULL, &st, &n, &globals, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_STRING_EQUAL(st[0].base, "busybox:1.36"); /* the global ARGs, --build-arg first */
	CU_ASSERT_STRING_EQUAL(st[0].name, "build");        /* names in lower case */
	CU_ASSERT_EQUAL(st[0].base_stage, -1);
	CU_ASSERT_EQUAL(st[0].end - st[0].first, 1);
	CU_ASSERT_EQUAL(st[1].first, st[1].end); /* a stage with no instruction */
	CU_ASSERT_EQUAL(st[2].base_stage, 0);    /* FROM an earlier stage */
	CU_ASSERT_EQUAL(st[2].end - st[2].first, 2);
	/* Inside a stage, ARG TAG (no default) takes the global value. */
	json_t *vars = json_object(), *config = json_object(), *no_args = json_object();
	bool from_base = false;
	char *author = NULL;
	CU_ASSERT_EQUAL(df_apply(config, &df.instr[st[2].first], df.escape, vars, no_args, globals, &from_base, &author,
				 &err), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(vars, "TAG")), "1.36");
	json_decref(vars);
	json_decref(config);
	json_decref(no_args);
	df_stages_free(st, n);
	json_decref(globals);

	/* --target: up to that stage; an unknown one is an error. */
	CU_ASSERT_EQUAL_FATAL(df_stages(&df, build_args, "TEST", &st, &n, &globals, &err), 0);
	CU_ASSERT_EQUAL(n, 2);
	df_stages_free(st, n);
	json_decref(globals);
	CU_ASSERT_EQUAL(df_stages(&df, build_args, "nope", &st, &n, &globals, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "target stage nope could not be found"));
	df_free(&df);

	static const char *const bad[] = { "RUN x\nFROM a\n", "ARG A=1\n", "FROM a AS 1x\n", "FROM a AS x\nFROM b AS X\n",
					   "FROM a b\n", "FROM $NOTHING\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(parse(bad[i], &df, &err), 0);
		CU_ASSERT_EQUAL(df_stages(&df, build_args, NULL, &st, &n, &globals, &err), -1);
		df_free(&df);
	}
	json_decref(build_args);
}

static void copy_targets(void)
{
	char out[4096];
	err_t err;
	/* Docker's rule: a trailing / makes dest a directory (docker-behaviour.md 4.12). */
	CU_ASSERT_EQUAL(df_copy_target("/", "/abs", "t.txt", false, false, 1, out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/abs");
	CU_ASSERT_EQUAL(df_copy_target("/", "/abs/", "t.txt", false, false, 1, out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/abs/t.txt");
	/* Relative to WORKDIR; a directory of the image; a directory source's contents. */
	CU_ASSERT_EQUAL(df_copy_target("/app", "conf", "dir/a.conf", false, false, 1, out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/app/conf");
	CU_ASSERT_EQUAL(df_copy_target("/app", ".", "dir/a.conf", false, false, 1, out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/app/a.conf");
	CU_ASSERT_EQUAL(df_copy_target("/", "/etc", "a.conf", false, true, 1, out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/etc/a.conf");
	CU_ASSERT_EQUAL(df_copy_target("/", "/srv/", "site", true, false, 1, out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/srv");
	/* .. never climbs out of the image's root. */
	CU_ASSERT_EQUAL(df_copy_target("/a", "../../../x", "f", false, false, 1, out, sizeof(out), &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "/x");
	/* Several sources need a directory. */
	CU_ASSERT_EQUAL(df_copy_target("/", "/abs", "a", false, false, 2, out, sizeof(out), &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "must be a directory and end with a /"));
}

static const struct unit_test tests[] = {
	{ "Dockerfile: instructions, continuations, the exec and shell forms, flags", instructions_and_forms },
	{ "Dockerfile: parser directives only at the top; comments dropped inside continuations", directives_and_comments },
	{ "Dockerfile: errors say what and on which line", errors_name_the_line },
	{ "Dockerfile: words, quotes, escapes and ${VAR} forms, as the builder expands them", words_and_variables },
	{ ".dockerignore: Go's globs with **, directories whole, ! takes back, the last match decides", dockerignore_rules },
	{ "Dockerfile: ENV, ARG, LABEL, WORKDIR, USER, EXPOSE, VOLUME, CMD, ENTRYPOINT, SHELL, HEALTHCHECK... in the config",
	  configuration_steps },
	{ "Dockerfile: stages (FROM ... AS, an earlier stage as base, --target) and the ARGs before FROM",
	  stages_and_global_args },
	{ "COPY: the destination as Docker decides it (trailing /, WORKDIR, several sources)", copy_targets },
	{ NULL, NULL },
};
const struct unit_suite suite_dockerfile = { "dockerfile", tests };
