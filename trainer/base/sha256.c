/* sha256.c - SHA-256 through libmd's SHA256Init/Update/Final. */
#include "sha256.h"

#include <sha2.h>
#include <stdalign.h>

_Static_assert(sizeof(SHA2_CTX) <= sizeof(((dm_sha256 *)0)->ctx.bytes),
	       "dm_sha256 has no room for libmd's SHA2_CTX");
_Static_assert(alignof(SHA2_CTX) <= alignof(uint64_t),
	       "dm_sha256 is not aligned for libmd's SHA2_CTX");
_Static_assert(SHA256_DIGEST_LENGTH == 32, "SHA-256 gives 32 bytes");

static SHA2_CTX *ctx(dm_sha256 *h)
{
	return (SHA2_CTX *)(void *)h->ctx.bytes;
}

void dm_sha256_init(dm_sha256 *h)
{
	SHA256Init(ctx(h));
}

void dm_sha256_update(dm_sha256 *h, const void *data, size_t n)
{
	SHA256Update(ctx(h), data, n);
}

void dm_sha256_final(dm_sha256 *h, unsigned char digest[32])
{
	SHA256Final(digest, ctx(h));
}

void dm_sha256_hex(const unsigned char digest[32], char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	int i;
	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[64] = 0;
}

void dm_sha256_hex_of(const void *data, size_t n, char hex[65])
{
	dm_sha256 h;
	unsigned char d[32];
	dm_sha256_init(&h);
	dm_sha256_update(&h, data, n);
	dm_sha256_final(&h, d);
	dm_sha256_hex(d, hex);
}
