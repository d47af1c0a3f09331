/* datafile.c - find and check the data files of a provenance. */
#include "datafile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/sha256.h"
#include "../data/stream.h"

/* Does the relative path p have a ".." component? */
static int climbs(const char *p)
{
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += n + (p[n] == '/');
	}
	return 0;
}

int dm_data_find(const dm_record_data *d, const char *dir, dm_data_found *f, dm_error *err)
{
	const char *path = d->path, *slash;
	size_t dlen = 0;
	char *joined;
	memset(f, 0, sizeof *f);
	if (!*path)
		return dm_fail(err, "the provenance's %s is empty", d->field);
	if (path[0] != '/' && climbs(path))
		return dm_fail(err, "%s: a relative data path with a '..' component; expected one "
			       "below the data directory", path);
	if (path[0] == '/' || !strcmp(dir, ".")) {
		joined = dm_strdup(path, err);
	} else {
		dlen = strlen(dir) + 1;
		if ((joined = dm_malloc(dlen + strlen(path) + 1, err)))
			sprintf(joined, "%s/%s", dir, path);
	}
	if (!joined)
		return -1;
	if (dm_data_file_of(joined, &f->file, &f->member, err)) {
		free(joined);
		return -1;
	}
	f->path = joined;
	/* the archive part is below dir too: dir itself may hold a ':' */
	if (dlen && (strlen(f->file) <= dlen || strncmp(f->file, joined, dlen) || climbs(f->file + dlen))) {
		dm_data_found_free(f);
		return dm_fail(err, "%s: the data file is not below the data directory %s", path, dir);
	}
	if (!dlen && path[0] != '/' && climbs(f->file)) {
		dm_data_found_free(f);
		return dm_fail(err, "%s: a relative data path with a '..' component; expected one "
			       "below the data directory", path);
	}
	slash = strrchr(f->file, '/');
	f->name = slash ? slash + 1 : f->file;
	return 0;
}

void dm_data_found_free(dm_data_found *f)
{
	free(f->file);
	free(f->path);
	memset(f, 0, sizeof *f);
}

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

int dm_data_read(int fd, uint64_t size, const char *where, char hex[65], char **body,
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

int dm_data_compare(const char *what, const char *where, const char *hex, const char *want,
		    dm_error *err)
{
	if (!strcmp(hex, want))
		return 0;
	return dm_fail_code(err, DM_EXIT_DIFFER, "data file %s has SHA-256 %s%s%s, but the model "
			    "was trained on %s",
			    what, hex, strcmp(what, where) ? " at " : "",
			    strcmp(what, where) ? where : "", want);
}

char *dm_read_regular(const char *path, uint64_t max, size_t *n, char hex[65], dm_error *err)
{
	uint64_t size;
	char h[65], *body = NULL;
	int fd = dm_open_regular(path, &size, err);
	if (fd < 0)
		return NULL;
	if (size > max)
		dm_fail(err, "%s: %llu bytes, expected at most %llu", path, (unsigned long long)size,
			(unsigned long long)max);
	else if (dm_data_read(fd, size, path, hex ? hex : h, &body, err) == 0)
		body[size] = 0, *n = (size_t)size;
	close(fd);
	return body;
}

int dm_data_check_file(const char *where, const char *what, const char *want, dm_error *err)
{
	uint64_t size;
	char hex[65];
	int fd = dm_open_regular(where, &size, err), rc;
	if (fd < 0)
		return dm_error_prefix(err, "data file %s", what);
	rc = dm_data_read(fd, size, where, hex, NULL, err) ||
	     dm_data_compare(what, where, hex, want, err) ? -1 : 0;
	close(fd);
	return rc;
}
