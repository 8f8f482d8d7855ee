/*
 * dockerfile.h - a Dockerfile, read into its instructions (lab 11's `build` runs them).
 *
 * The format, as Docker's builder reads it:
 *	- parser directives first: `# escape=` (the line continuation character, \ or `) and
 *	  `# syntax=` (noted, not used), only before any comment, blank line or instruction;
 *	- a line ending in the escape character continues on the next; comment lines (#) inside
 *	  a continued instruction are dropped, blank ones too;
 *	- an instruction is a keyword, any case (FROM, RUN, COPY, ...), then its arguments; RUN,
 *	  CMD, ENTRYPOINT, SHELL, COPY, ADD and VOLUME take a JSON array of strings (the exec form)
 *	  or plain text (the shell form); `--name=value` flags come first (COPY --from=, --chown=,
 *	  --chmod=; ADD --chown=, --chmod=; FROM --platform=; RUN --network=).
 * Variables ($VAR, ${VAR:-word}) are left as written: they are expanded while building, with
 * the build's ARG and ENV values at that step.
 */
#ifndef MINIDOCK_DOCKERFILE_H
#define MINIDOCK_DOCKERFILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct df_instr {
	char *cmd;   /* the keyword, in lower case: "from", "run", ... */
	char *args;  /* the arguments after the flags, continuations joined (a space each) */
	char **json; /* exec form: the array's strings, NULL-terminated; NULL for the shell form */
	char **flags; /* "--from=build", ..., NULL-terminated (never NULL) */
	int line;    /* the line the instruction starts on (from 1) */
};

struct dockerfile {
	struct df_instr *instr;
	size_t n;
	char escape; /* '\\' or '`' */
};

/* Read Dockerfile text (len bytes; NUL bytes are refused) into *out. EINVAL with Docker's
 * words and the line for what is not one: an unknown instruction, one without its arguments,
 * a flag it does not take, a bad directive, a file with no instruction. */
int df_parse(const char *text, size_t len, struct dockerfile *out, err_t *err);
void df_free(struct dockerfile *df);

/* The words of an instruction's arguments (ENV a=1 b="two words"), split at blanks outside
 * quotes and escapes, which are kept for df_expand(): a NULL-terminated array (malloc'd).
 * EINVAL for an unterminated quote. */
int df_words(const char *text, char escape, char ***out, err_t *err);

/* One word as the build sees it (Docker's shell-like rules): quotes removed ('...' as written,
 * "..." with variables), escape+character as the character, and $NAME, ${NAME},
 * ${NAME:-word} (word if NAME is unset or empty), ${NAME-word} (if unset), ${NAME:+word} (word
 * if NAME is set and not empty), ${NAME+word} (if set), ${NAME:?message} and ${NAME?message}
 * (an error) replaced from vars ({NAME: value}; unset names are empty). *out is malloc'd. */
int df_expand(const char *word, char escape, const json_t *vars, char **out, err_t *err);

/*
 * .dockerignore: which files of the build context are left out. One pattern a line (blank
 * lines and # comments skipped, blanks around it trimmed, a leading / and ./ dropped, . and ..
 * cleaned away), in Go's filepath.Match syntax (* and ? never cross a /, [a-z] and [!a-z]
 * classes, \ escapes) plus ** for any number of directories; a pattern that matches a directory
 * leaves out all of it; !PATTERN takes back what an earlier one left out. The last pattern that
 * matches a path (or one of its parent directories) decides.
 */
struct dockerignore {
	char **patterns; /* cleaned, with the ! kept in front: NULL-terminated */
};

/* Read .dockerignore text; EINVAL for a pattern that cannot match (a bad [class]). */
int di_parse(const char *text, size_t len, struct dockerignore *out, err_t *err);
void di_free(struct dockerignore *di);

/* Is path (relative to the context, with / separators, no leading /) left out? */
bool di_excluded(const struct dockerignore *di, const char *path);

/* Does Go-style glob pattern (with **) match all of path? */
bool di_match(const char *pattern, const char *path);

/*
 * What an instruction that changes only the image's configuration does to it (the OCI image
 * config's "config" object, Docker's names: Env, Cmd, Entrypoint, WorkingDir, User,
 * ExposedPorts, Volumes, Labels, StopSignal, Shell, Healthcheck, OnBuild), with vars the
 * build's variables at that step ({NAME: value}: ARGs and ENVs so far; ENV and ARG add to it):
 *	ENV K=V... (or ENV K V)   LABEL K=V...   WORKDIR DIR (relative: to the one before)
 *	USER U[:G]   CMD   ENTRYPOINT (which drops a CMD the base image had)   EXPOSE PORT[/PROTO]...
 *	VOLUME   STOPSIGNAL   SHELL (exec form only)   HEALTHCHECK [--interval= ...] CMD ... | NONE
 *	ARG NAME[=DEFAULT] (a build variable, not in the image; build_args override the default,
 *	                   and a NAME declared before the first FROM gives its value (globals) to
 *	                   an ARG NAME of the stage that has no default)
 *	ONBUILD INSTRUCTION (kept as written)   MAINTAINER (the image's author, into *author)
 * FROM, RUN, COPY and ADD are the build's own work: EINVAL here. *cmd_from_base tells whether
 * config's Cmd came from the base image (ENTRYPOINT drops it then); it is cleared by CMD.
 */
int df_apply(json_t *config, const struct df_instr *in, char escape, json_t *vars, const json_t *build_args,
	     const json_t *globals, bool *cmd_from_base, char **author, err_t *err);

/* One stage of a (multi-stage) build: FROM BASE [AS NAME] and its instructions. */
struct df_stage {
	char *base;    /* the image, expanded with the global ARGs ("scratch" for none) */
	char *name;    /* NAME in lower case, or NULL */
	int base_stage; /* the index of an earlier stage BASE names, or -1 for an image */
	size_t first, end; /* its instructions: df->instr[first..end), FROM excluded */
};

/* The stages of df up to target (NULL: all; else a stage's name), with the global ARGs (those
 * before the first FROM, build_args applied) in *globals. EINVAL with the line for an
 * instruction other than ARG before the first FROM, a bad or taken stage name, a FROM
 * without an image, an unknown target. */
int df_stages(const struct dockerfile *df, const json_t *build_args, const char *target, struct df_stage **out,
	      size_t *out_n, json_t **globals, err_t *err);
void df_stages_free(struct df_stage *stages, size_t n);

/*
 * Where COPY (or ADD) puts source src, as Docker does (dest as written, after expansion):
 *	- dest is absolute, or relative to workdir;
 *	- several sources need a dest that ends in / (EINVAL otherwise, with Docker's words);
 *	- a directory source: its contents go into dest (out is dest);
 *	- a file source: into dest/NAME when dest ends in / or is a directory of the image
 *	  (dest_is_dir), else to dest itself.
 * out: the cleaned absolute path in the image.
 */
int df_copy_target(const char *workdir, const char *dest, const char *src, bool src_is_dir, bool dest_is_dir,
		   size_t n_sources, char *out, size_t size, err_t *err);

/* Free a NULL-terminated array of strings. */
void df_strv_free(char **v);

#endif
