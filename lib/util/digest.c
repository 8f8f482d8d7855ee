/* digest.c - see digest.h. */
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

bool digest_hex_valid(const char *s)
{
	return s && strlen(s) == DIGEST_HEX_LEN && strspn(s, "0123456789abcdef") == DIGEST_HEX_LEN;
}

bool digest_valid(const char *s)
{
	return s && strncmp(s, "sha256:", 7) == 0 && digest_hex_valid(s + 7);
}

static void to_hex(const unsigned char md[32], char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	struct sha256 ctx;
	unsigned char md[32];

	sha256_init(&ctx);
	sha256_update(&ctx, data, len);
	sha256_final(&ctx, md);
	to_hex(md, out);
}

void digest_final(struct sha256 *ctx, char out[DIGEST_LEN + 1])
{
	unsigned char md[32];

	sha256_final(ctx, md);
	sprintf(out, "sha256:");
	to_hex(md, out + 7);
}

int digest_file(const char *path, char out[DIGEST_LEN + 1], err_t *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct sha256 ctx;
	char buf[1 << 16];

	if (fd < 0)
		return err_sys(err, "open %s", path);
	sha256_init(&ctx);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, "read %s", path);
		if (n == 0)
			break;
		sha256_update(&ctx, buf, (size_t)n);
	}
	digest_final(&ctx, out);
	return 0;
}
