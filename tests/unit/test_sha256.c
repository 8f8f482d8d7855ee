/* test_sha256.c - SHA-256 against the FIPS 180-4 examples, whole and in pieces. */
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "unit.h"

static void vector(const char *text, const char *want)
{
	char hex[65];
	sha256_hex(text, strlen(text), hex);
	CU_ASSERT_STRING_EQUAL(hex, want);
}

static void standard_vectors(void)
{
	vector("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	vector("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	vector("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void a_million_a_in_uneven_pieces(void)
{
	char *data = malloc(1000000);
	struct sha256 ctx;
	char out[DIGEST_LEN + 1];

	memset(data, 'a', 1000000);
	sha256_init(&ctx);
	/* Pieces of 1, 63, 64, 65, ... bytes cross every block boundary case. */
	size_t done = 0, piece = 1;
	while (done < 1000000) {
		size_t n = piece < 1000000 - done ? piece : 1000000 - done;
		sha256_update(&ctx, data + done, n);
		done += n;
		piece = piece * 7 % 193 + 1;
	}
	digest_final(&ctx, out);
	CU_ASSERT_STRING_EQUAL(out, "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(data);
}

static void lengths_around_the_padding_boundary(void)
{
	/* 55, 56 and 64 bytes: the length field fits, just does not, and a whole block. */
	char buf[65];
	char one[65], pieces[65];
	for (size_t len = 54; len <= 65; len++) {
		memset(buf, 'x', len);
		sha256_hex(buf, len, one);
		struct sha256 ctx;
		unsigned char md[32];
		sha256_init(&ctx);
		sha256_update(&ctx, buf, len / 2);
		sha256_update(&ctx, buf + len / 2, len - len / 2);
		sha256_final(&ctx, md);
		for (int i = 0; i < 32; i++)
			sprintf(pieces + 2 * i, "%02x", md[i]);
		CU_ASSERT_STRING_EQUAL(one, pieces);
	}
	memset(buf, 'x', 64);
	sha256_hex(buf, 64, one); /* the value of `printf 'x%.0s' $(seq 64) | sha256sum` */
	CU_ASSERT_STRING_EQUAL(one, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}

/* Every test once with the CPU's SHA instructions (where it has them), once in plain C. */
static void portable(void (*test)(void))
{
	sha256_portable_only = true;
	test();
	sha256_portable_only = false;
}

static void standard_vectors_c(void) { portable(standard_vectors); }
static void a_million_a_c(void) { portable(a_million_a_in_uneven_pieces); }
static void padding_c(void) { portable(lengths_around_the_padding_boundary); }

static const struct unit_test tests[] = {
	{ "FIPS 180-4 example vectors (plain C)", standard_vectors_c },
	{ "a million 'a' fed in uneven pieces (plain C)", a_million_a_c },
	{ "lengths around the padding boundary (plain C)", padding_c },
	{ "FIPS 180-4 example vectors", standard_vectors },
	{ "a million 'a' fed in uneven pieces", a_million_a_in_uneven_pieces },
	{ "lengths around the padding boundary", lengths_around_the_padding_boundary },
	{ NULL, NULL },
};
const struct unit_suite suite_sha256 = { "sha256", tests };
