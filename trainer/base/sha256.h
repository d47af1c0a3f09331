/* sha256.h - SHA-256 (FIPS 180-4), for dataset and output hashes, from
 * libmd (<sha2.h>; dpkg itself links it, so every Debian system has it). */
#ifndef DM_SHA256_H
#define DM_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* Room for libmd's SHA2_CTX (sha256.c checks its size and alignment), so
 * that callers need neither <sha2.h> nor its include path. */
typedef struct dm_sha256 {
	union {
		uint64_t align;
		unsigned char bytes[256];
	} ctx;
} dm_sha256;

void dm_sha256_init(dm_sha256 *h);
void dm_sha256_update(dm_sha256 *h, const void *data, size_t n);
void dm_sha256_final(dm_sha256 *h, unsigned char digest[32]);
/* digest as 64 lower-case hex digits and a NUL */
void dm_sha256_hex(const unsigned char digest[32], char hex[65]);
/* the SHA-256 of n bytes at data, as hex: init, update, final and hex */
void dm_sha256_hex_of(const void *data, size_t n, char hex[65]);

#endif
