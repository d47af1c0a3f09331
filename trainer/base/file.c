/* file.c - open and read an input file without ever waiting in open(). */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sha256.h"

static const char *not_regular(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "not a regular file (a FIFO)";
	if (S_ISCHR(mode))
		return "not a regular file (a character device)";
	if (S_ISBLK(mode))
		return "not a regular file (a block device)";
	if (S_ISDIR(mode))
		return "not a regular file (a directory)";
	if (S_ISSOCK(mode))
		return "not a regular file (a socket)";
	return "not a regular file";
}

int dm_open_regular(const char *path, const char **why)
{
	struct stat st;
	int fd, flags;
	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	/* of the file opened, not of whatever the name means a moment later */
	if (fstat(fd, &st) < 0 || (flags = fcntl(fd, F_GETFL)) < 0) {
		*why = strerror(errno);
	} else if (!S_ISREG(st.st_mode)) {
		*why = not_regular(st.st_mode);
		errno = EINVAL;
	} else if (fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		*why = strerror(errno);
	} else {
		return fd;
	}
	{
		int e = errno;
		close(fd);
		errno = e;
	}
	return -1;
}

FILE *dm_fopen_regular(const char *path, const char **why)
{
	int fd = dm_open_regular(path, why);
	FILE *f;
	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "rb"))) {
		*why = strerror(errno);
		close(fd);
	}
	return f;
}

int dm_open_sized(const char *path, uint64_t *size, dm_error *err)
{
	const char *why = NULL;
	struct stat st;
	int fd = dm_open_regular(path, &why);
	if (fd < 0)
		return dm_fail(err, "%s: %s", path, why);
	if (fstat(fd, &st)) {
		dm_fail(err, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

int dm_read_hashed(int fd, const char *where, uint64_t max, char hex[65], char **body,
		   size_t *n, dm_error *err)
{
	unsigned char chunk[1 << 16], digest[32], *keep = NULL;
	uint64_t size, done = 0;
	struct stat st;
	dm_sha256 h;
	if (fstat(fd, &st))
		return dm_fail(err, "%s: %s", where, strerror(errno));
	size = (uint64_t)st.st_size;
	if (size > max)
		return dm_fail(err, "%s: %llu bytes, expected at most %llu", where,
			       (unsigned long long)size, (unsigned long long)max);
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
		ssize_t r = read(fd, to, ask > (1u << 30) ? (1u << 30) : ask);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(keep);
			return dm_fail(err, "%s: %s", where, strerror(errno));
		}
		if (r == 0)
			break;
		dm_sha256_update(&h, to, (size_t)r);
		done += (uint64_t)r;
		if (!keep && done > max) {
			return dm_fail(err, "%s: more than %llu bytes", where, (unsigned long long)max);
		}
	}
	if (done != size) {
		free(keep);
		return dm_fail(err, "%s: changed while it was read", where);
	}
	dm_sha256_final(&h, digest);
	dm_sha256_hex(digest, hex);
	if (body) {
		keep[size] = 0;
		*body = (char *)keep;
	}
	if (n)
		*n = (size_t)size;
	return 0;
}

char *dm_read_regular(const char *path, uint64_t max, size_t *n, char hex[65], dm_error *err)
{
	const char *why = NULL;
	char h[65], *body = NULL;
	int fd = dm_open_regular(path, &why);
	if (fd < 0)
		return dm_fail(err, "%s: %s", path, why), NULL;
	if (dm_read_hashed(fd, path, max, hex ? hex : h, &body, n, err))
		body = NULL;
	close(fd);
	return body;
}

char *dm_read_stream(FILE *f, const char *path, size_t max, const char *too_big, size_t *n,
		     dm_error *err)
{
	char *buf = dm_malloc(max + 1, err);
	size_t got;
	if (!buf) {
		fclose(f);
		return NULL;
	}
	got = fread(buf, 1, max + 1, f);
	if (ferror(f) || got > max) {
		int e = errno;
		fclose(f);
		free(buf);
		if (got > max)
			return dm_fail(err, "%s: %s", path, too_big), NULL;
		return dm_fail(err, "%s: read error: %s", path, strerror(e)), NULL;
	}
	fclose(f);
	buf[got] = 0;
	*n = got;
	return buf;
}
