/*
 * digest.h - digests as content-addressed images write them: "sha256:" and 64 hex digits.
 */
#ifndef MINIDOCK_DIGEST_H
#define MINIDOCK_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "sha256.h"

#define DIGEST_HEX_LEN 64
#define DIGEST_LEN 71 /* "sha256:" + 64 hex digits */

/*
 * Is s exactly "sha256:" and 64 lowercase hex digits? Every digest and diff id read from an
 * image or from the store is checked with this before it becomes part of a path: the text
 * after "sha256:" names a directory, and "../" in it would name one outside the store.
 */
bool digest_valid(const char *s);

/* Is s exactly 64 lowercase hex digits (an image or layer id without its "sha256:")? */
bool digest_hex_valid(const char *s);

/* The hex digits of the sha256 of len bytes of data, into out (65 bytes). */
void sha256_hex(const void *data, size_t len, char out[65]);

/* "sha256:HEX" of what ctx hashed, into out (DIGEST_LEN + 1 bytes). */
void digest_final(struct sha256 *ctx, char out[DIGEST_LEN + 1]);

/* "sha256:HEX" of the file at path, into out, reading it in blocks. */
int digest_file(const char *path, char out[DIGEST_LEN + 1], err_t *err);

#endif
