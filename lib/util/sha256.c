/*
 * sha256.c - see sha256.h. Names follow FIPS 180-4, section 6.2.
 *
 * Two versions of the block function: plain C, and one with the SHA extensions of x86 CPUs
 * (SHA-NI: one instruction does two rounds), five times faster, which keeps `image load` as fast
 * as `tar -xzf` though it hashes every byte it unpacks. The CPU is asked once which to use.
 */
#include "sha256.h"

#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

bool sha256_portable_only;

/* The first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

/* Process one 64-byte block, in plain C. */
static void compress_c(uint32_t h[8], const unsigned char block[64])
{
	uint32_t w[64];

	for (int t = 0; t < 16; t++)
		w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 |
		       (uint32_t)block[4 * t + 2] << 8 | block[4 * t + 3];
	for (int t = 16; t < 64; t++) {
		uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int t = 0; t < 64; t++) {
		uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
		uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

#if defined(__x86_64__)
/*
 * The same with SHA-NI. The eight state words live in two registers in the order the
 * instructions want (ABEF and CDGH); each group of four rounds adds four constants to four
 * message words and runs sha256rnds2 twice; sha256msg1/msg2 expand the message schedule.
 */
__attribute__((target("sha,sse4.1"))) static void compress_ni(uint32_t h[8], const unsigned char block[64])
{
	const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1);   /* CDAB */
	__m128i state1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B); /* EFGH */
	__m128i state0 = _mm_alignr_epi8(tmp, state1, 8);                                  /* ABEF */
	state1 = _mm_blend_epi16(state1, tmp, 0xF0);                                        /* CDGH */
	__m128i abef = state0, cdgh = state1, w[16];

	for (int i = 0; i < 16; i++) {
		if (i < 4) {
			w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 16 * i)), byte_swap);
		} else {
			/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time */
			__m128i x = _mm_sha256msg1_epu32(w[i - 4], w[i - 3]);
			x = _mm_add_epi32(x, _mm_alignr_epi8(w[i - 1], w[i - 2], 4));
			w[i] = _mm_sha256msg2_epu32(x, w[i - 1]);
		}
		__m128i msg = _mm_add_epi32(w[i], _mm_loadu_si128((const __m128i *)&K[4 * i]));
		state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
		state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(msg, 0x0E));
	}
	state0 = _mm_add_epi32(state0, abef);
	state1 = _mm_add_epi32(state1, cdgh);
	tmp = _mm_shuffle_epi32(state0, 0x1B);                                            /* FEBA */
	state1 = _mm_shuffle_epi32(state1, 0xB1);                                         /* DCHG */
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(tmp, state1, 0xF0));          /* DCBA */
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(state1, tmp, 8));             /* HGFE */
}
#endif

static void compress(uint32_t h[8], const unsigned char block[64])
{
#if defined(__x86_64__)
	static int has_sha = -1;
	if (has_sha < 0) {
		__builtin_cpu_init();
		has_sha = __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1");
	}
	if (has_sha && !sha256_portable_only) {
		compress_ni(h, block);
		return;
	}
#endif
	compress_c(h, block);
}

void sha256_init(struct sha256 *ctx)
{
	/* The first 32 bits of the fractional parts of the square roots of the first 8 primes. */
	static const uint32_t initial[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(ctx->state, initial, sizeof(initial));
	ctx->length = 0;
	ctx->used = 0;
}

void sha256_update(struct sha256 *ctx, const void *data, size_t len)
{
	const unsigned char *p = data;

	ctx->length += len;
	if (ctx->used) {
		size_t take = 64 - ctx->used < len ? 64 - ctx->used : len;
		memcpy(ctx->block + ctx->used, p, take);
		ctx->used += take;
		p += take;
		len -= take;
		if (ctx->used < 64)
			return;
		compress(ctx->state, ctx->block);
		ctx->used = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		compress(ctx->state, p);
	memcpy(ctx->block, p, len);
	ctx->used = len;
}

void sha256_final(struct sha256 *ctx, unsigned char out[32])
{
	uint64_t bits = ctx->length * 8;

	/* Padding: a 1 bit, zeros up to 56 bytes into a block, then the length in bits. */
	ctx->block[ctx->used++] = 0x80;
	if (ctx->used > 56) {
		memset(ctx->block + ctx->used, 0, 64 - ctx->used);
		compress(ctx->state, ctx->block);
		ctx->used = 0;
	}
	memset(ctx->block + ctx->used, 0, 56 - ctx->used);
	for (int i = 0; i < 8; i++)
		ctx->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	compress(ctx->state, ctx->block);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(ctx->state[i] >> 24);
		out[4 * i + 1] = (unsigned char)(ctx->state[i] >> 16);
		out[4 * i + 2] = (unsigned char)(ctx->state[i] >> 8);
		out[4 * i + 3] = (unsigned char)ctx->state[i];
	}
}
