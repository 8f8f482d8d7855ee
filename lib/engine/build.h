/*
 * build.h - `minidock build` and `commit` (given: build.c): images made from a Dockerfile, step
 * by step, as Docker's classic builder makes them. Lab 11's part is labs/11-build/layer.h.
 *
 * Each instruction is one step, and each step makes an image (untagged, with "Parent" the image
 * before it): a configuration instruction (ENV, CMD, ...) changes the config only; RUN runs its
 * command in a container of the image so far (with --network none, lab 5's confinement) and its
 * upper directory becomes a layer (layer_diff()); COPY and ADD copy files from the context into
 * an overlay of the image so far, whose upper directory becomes the layer. A step's cache key
 * is its parent image and what it did (the instruction, the build's variables for RUN, a
 * checksum of the files for COPY); a build finds the image a step made before by that key and
 * runs nothing ("Using cache").
 *
 * A layer made here is kept twice: unpacked (ROOT/layers/HEX, what containers mount) and as
 * its tar (ROOT/blobs/sha256/HEX, the diff_id's own bytes, what `image save` writes out).
 */
#ifndef MINIDOCK_BUILD_H
#define MINIDOCK_BUILD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "digest.h"
#include "err.h"

struct build_opts;

/*
 * Run argv in a new container of image id ("sha256:HEX") with env (K=V strings, NULL-terminated)
 * added, on network, its output on the build's; the container is left (stopped) for its upper
 * directory: its id into ctr_id. Returns the command's exit status, or -1 with *err.
 * (The CLI's: lib/cli/cmd_run.c makes the container as `run` does.)
 */
typedef int (*build_run_fn)(const struct build_opts *o, const char *image_id, char *const argv[],
			    char *const env[], char ctr_id[65], err_t *err);

struct build_opts {
	const char *root;       /* the state directory (absolute) */
	const char *context;    /* the build context, a directory */
	const char *dockerfile; /* its Dockerfile (NULL: CONTEXT/Dockerfile; "-": stdin) */
	bool dockerfile_in_context; /* the Dockerfile's path is inside the context (a context sent as a tar) */
	char *const *tags;      /* -t NAME[:TAG] (NULL-terminated, checked) */
	const json_t *build_args; /* --build-arg {K: V} */
	const json_t *labels;   /* --label {K: V}, on the last image */
	const char *target;     /* --target STAGE, or NULL */
	const char *network;    /* RUN's network ("none") */
	bool no_cache, quiet;
	long long epoch;        /* SOURCE_DATE_EPOCH, or -1 */
	FILE *out;              /* the steps' lines */
	build_run_fn run;
	const void *cli;        /* for run */
};

/* Build; the image's id ("sha256:HEX") into out_id. On failure (EINVAL with the Dockerfile's
 * line for what it says wrong), the images of the steps done stay as cache; nothing else is
 * left (no container, mount or temporary file). */
int build_image(const struct build_opts *o, char out_id[DIGEST_LEN + 1], err_t *err);

/*
 * `commit`: an image of container c's changes (its upper directory) on top of its image, with
 * config (the container's Config fields Docker keeps: Env, Cmd, Entrypoint, WorkingDir, User,
 * ExposedPorts, Volumes, Labels, StopSignal) and created_by, tagged ref when not NULL. The
 * container must not run (the caller pauses or stops it). Id into out_id.
 */
int build_commit(const char *root, const char *image_id, const char *upper, const json_t *config,
		 const char *created_by, const char *ref, const char *author, const char *comment,
		 char out_id[DIGEST_LEN + 1], err_t *err);

/* A new directory ROOT/tmp/PREFIX-XXXXXX (into out) for a build, commit, save, pull or push, locked (flock
 * on *out_lock) for as long as it is used; the ones whose lock is free (left by a process that
 * was killed) are removed first. The caller removes it and closes the lock. */
/* Unpack the tar (plain, gzip or zstd) read from fd (a file or a pipe) into the directory dir,
 * every path kept inside it: a build's context sent as an archive (`build -`, the API's
 * POST /build). */
int build_unpack_context(int fd, const char *dir, err_t *err);

int build_tmp_dir(const char *root, const char *prefix, char *out, size_t size, int *out_lock, err_t *err);

/* Give image id the tag ref ("name:tag"), taking it from any other image. Under the lock. */
int build_tag(const char *root, const char *id, const char *ref, err_t *err);

#endif
