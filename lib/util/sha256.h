/*
 * sha256.h - SHA-256 (FIPS 180-4), the hash that names everything in an image.
 *
 * minidock has its own: the algorithm is a page of code, and OpenSSL's start-up (locks,
 * providers, configuration) cost a millisecond at every minidock start, which is a fifth of a
 * container's start time. Checked against the standard's test vectors (tests/unit).
 */
#ifndef MINIDOCK_SHA256_H
#define MINIDOCK_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Set to use the plain C rounds even where the CPU has SHA instructions (for the tests). */
extern bool sha256_portable_only;

struct sha256 {
	uint32_t state[8];
	uint64_t length;       /* bytes hashed so far */
	unsigned char block[64];
	size_t used;           /* bytes waiting in block */
};

void sha256_init(struct sha256 *ctx);
void sha256_update(struct sha256 *ctx, const void *data, size_t len);
/* The 32-byte digest; ctx must be initialized again before reuse. */
void sha256_final(struct sha256 *ctx, unsigned char out[32]);

#endif
