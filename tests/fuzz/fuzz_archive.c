/* fuzz_archive.c - the archive path: libarchive's filters (gzip, xz,
 * bzip2, zstd, lzma, lz4, compress) and formats (tar, zip) as the stream
 * reader drives them, then the member's bytes read to the end.
 *
 * The first byte chooses: bit 0 a whole file or archive:MEMBER; bits 1-2
 * which member name; bit 3 a small decompressed-bytes cap (4 KiB, else
 * 1 MiB, so bombs stop); bit 4 read by lines or by blocks; bit 5 a cap of
 * 2 archive entries.  The rest is the file. */
#include "base/sha256.h"
#include "data/stream.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const members[4] = {
		"train.csv", "./train.csv", "d/train.csv", "a"};
	dm_data_limits limits;
	dm_error err = {"", 0};
	char path[128], sha[65];
	const char *file;
	dm_stream *s;
	uint8_t flags;
	int r;
	if (size < 1)
		return 0;
	flags = data[0];
	file = fuzz_file(0, data + 1, size - 1);
	if (flags & 1)
		snprintf(path, sizeof path, "%s:%s", file, members[(flags >> 1) & 3]);
	else
		snprintf(path, sizeof path, "%s", file);
	limits.max_bytes = flags & 8 ? 4096 : (uint64_t)1 << 20;
	limits.max_members = flags & 32 ? 2 : 0;
	s = dm_stream_open(path, &limits, &err);
	if (!s) {
		fuzz_check_message(err.msg);
		return 0;
	}
	if (flags & 16) {
		char *line;
		size_t len;
		while ((r = dm_stream_getline(s, &line, &len, &err)) > 0)
			FUZZ_CHECK(strlen(line) == len);
	} else {
		char buf[4096];
		ptrdiff_t k;
		while ((k = dm_stream_read(s, buf, sizeof buf, &err)) > 0)
			FUZZ_CHECK((size_t)k <= sizeof buf);
		r = k < 0 ? -1 : 0;
	}
	if (r < 0) {
		fuzz_check_message(err.msg);
		dm_stream_abort(s);
		return 0;
	}
	FUZZ_CHECK(dm_stream_bytes(s) <= limits.max_bytes);
	if (dm_stream_close(s, sha, &err) == 0) {
		/* the hash is of the whole file on disk, whatever was read */
		dm_sha256 h;
		unsigned char digest[32];
		char want[65];
		dm_sha256_init(&h);
		dm_sha256_update(&h, data + 1, size - 1);
		dm_sha256_final(&h, digest);
		dm_sha256_hex(digest, want);
		FUZZ_CHECK(strcmp(sha, want) == 0);
	} else {
		fuzz_check_message(err.msg);
	}
	return 0;
}
