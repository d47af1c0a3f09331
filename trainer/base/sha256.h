/* sha256.h - SHA-256 (FIPS 180-4), for dataset and output hashes. */
#ifndef DM_SHA256_H
#define DM_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct dm_sha256 {
	uint32_t state[8];
	uint64_t bytes;
	unsigned char block[64];
	size_t used;
} dm_sha256;

void dm_sha256_init(dm_sha256 *h);
void dm_sha256_update(dm_sha256 *h, const void *data, size_t n);
void dm_sha256_final(dm_sha256 *h, unsigned char digest[32]);
/* digest as 64 lower-case hex digits and a NUL */
void dm_sha256_hex(const unsigned char digest[32], char hex[65]);
/* the SHA-256 of n bytes at data, as hex: init, update, final and hex */
void dm_sha256_hex_of(const void *data, size_t n, char hex[65]);

#endif
