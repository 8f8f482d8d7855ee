/*
 * digest.h - sha256, as content-addressed images name things: "sha256:" and 64 hex digits.
 */
#ifndef MINIDOCK_DIGEST_H
#define MINIDOCK_DIGEST_H

#include <openssl/evp.h>
#include <stddef.h>

#include "err.h"

#define DIGEST_LEN 71 /* "sha256:" + 64 hex digits */

/* The hex digits of the sha256 of len bytes of data, into out (65 bytes). */
void sha256_hex(const void *data, size_t len, char out[65]);

/* "sha256:HEX" of what ctx hashed, into out (DIGEST_LEN + 1 bytes); frees nothing. */
void digest_final(EVP_MD_CTX *ctx, char out[DIGEST_LEN + 1]);

/* "sha256:HEX" of the file at path, into out, reading it in blocks. */
int digest_file(const char *path, char out[DIGEST_LEN + 1], err_t *err);

#endif
