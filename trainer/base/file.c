/* file.c - open and read input files, regular ones only. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sha256.h"

int dm_open_regular(const char *path, uint64_t *size, dm_error *err)
{
	/* O_NONBLOCK: a FIFO must not hang the open; it is refused below */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return dm_fail(err, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		dm_fail(err, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		dm_fail(err, "%s: expected a regular file", path);
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

int dm_read_hashed(int fd, uint64_t size, const char *where, char hex[65], char **body,
		 dm_error *err)
{
	unsigned char chunk[1 << 16], digest[32], *keep = NULL;
	uint64_t done = 0;
	dm_sha256 h;
	if (body) {
		*body = NULL;
		if (size > SIZE_MAX - 1 || !(keep = dm_malloc((size_t)size + 1, err)))
			return -1;
	}
	dm_sha256_init(&h);
	for (;;) {
		/* into the body, and one byte past the size fstat gave: more is
		 * a file that changed */
		unsigned char *to = keep && done < size ? keep + done : chunk;
		size_t ask = keep && done < size ? (size_t)(size - done) : sizeof chunk;
		ssize_t n = read(fd, to, ask > (1u << 30) ? (1u << 30) : ask);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(keep);
			return dm_fail(err, "%s: %s", where, strerror(errno));
		}
		if (n == 0)
			break;
		dm_sha256_update(&h, to, (size_t)n);
		done += (uint64_t)n;
	}
	if (keep && done != size) {
		free(keep);
		return dm_fail(err, "%s: changed while it was read", where);
	}
	dm_sha256_final(&h, digest);
	dm_sha256_hex(digest, hex);
	if (body)
		*body = (char *)keep;
	return 0;
}

char *dm_read_regular(const char *path, uint64_t max, size_t *n, char hex[65], dm_error *err)
{
	uint64_t size = 0;
	char h[65], *body = NULL;
	int fd = dm_open_regular(path, &size, err);
	if (fd < 0)
		return NULL;
	if (size > max)
		dm_fail(err, "%s: %llu bytes, expected at most %llu", path, (unsigned long long)size,
			(unsigned long long)max);
	else if (dm_read_hashed(fd, size, path, hex ? hex : h, &body, err) == 0)
		body[size] = 0, *n = (size_t)size;
	close(fd);
	return body;
}
