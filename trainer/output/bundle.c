/* bundle.c - write the reproducibility bundle: check and sort the members,
 * let a writer (bundle_libarchive.c, bundle_libtar.c) make the tar in a
 * temporary file, sync it and give it its name. */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle_writers.h"

#ifdef DM_HAVE_LIBTAR
const dm_bundle_writer dm_bundle_default_writer = DM_BUNDLE_LIBTAR;
#else
const dm_bundle_writer dm_bundle_default_writer = DM_BUNDLE_LIBARCHIVE;
#endif

/* ustar's numeric fields: 11 octal digits */
#define USTAR_MAX_NUMBER 077777777777ull

static int by_name(const void *a, const void *b)
{
	return strcmp(((const dm_bundle_member *)a)->name, ((const dm_bundle_member *)b)->name);
}

static int write_tar(dm_bundle_writer writer, int fd, const dm_bundle_member *m, size_t n,
		     uint64_t mtime, dm_error *err)
{
	switch (writer) {
	case DM_BUNDLE_LIBARCHIVE:
		return dm_bundle_libarchive(fd, m, n, mtime, err);
	case DM_BUNDLE_LIBTAR:
#ifdef DM_HAVE_LIBTAR
		return dm_bundle_libtar(fd, m, n, mtime, err);
#else
		return dm_fail(err, "this dh-model-train was built without libtar");
#endif
	}
	return dm_fail(err, "unknown tar writer %d", (int)writer);
}

int dm_bundle_write_with(dm_bundle_writer writer, const char *path, dm_bundle_member *m,
			 size_t n, uint64_t mtime, dm_error *err)
{
	char tmp[4096];
	size_t i;
	int fd;
	const char *slash = strrchr(path, '/');
	for (i = 0; i < n; i++) {
		if (strlen(m[i].name) >= 100 || !*m[i].name)
			return dm_fail(err, "%s: member name '%s' is empty or longer than 99 bytes",
				       path, m[i].name);
		if (m[i].size > USTAR_MAX_NUMBER)
			return dm_fail(err, "%s: member '%s' has %zu bytes, a tar member at most %llu",
				       path, m[i].name, m[i].size, USTAR_MAX_NUMBER);
	}
	if (mtime > USTAR_MAX_NUMBER)
		return dm_fail(err, "%s: mtime %llu is past tar's largest, %llu", path,
			       (unsigned long long)mtime, USTAR_MAX_NUMBER);
	qsort(m, n, sizeof *m, by_name);
	if (snprintf(tmp, sizeof tmp, "%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0, path,
		     slash ? slash + 1 : path) >= (int)sizeof tmp)
		return dm_fail(err, "%s: the path is too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return dm_fail(err, "%s: cannot create a temporary file: %s", path, strerror(errno));
	if (write_tar(writer, fd, m, n, mtime, err) != 0) {
		close(fd);
		unlink(tmp);
		return dm_error_prefix(err, "%s: cannot write the bundle", path);
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		int saved = errno;
		unlink(tmp);
		return dm_fail(err, "%s: cannot write the bundle: %s", path, strerror(saved));
	}
	if (chmod(tmp, 0644) != 0 || rename(tmp, path) != 0) {
		int saved = errno;
		unlink(tmp);
		return dm_fail(err, "%s: cannot write the bundle: %s", path, strerror(saved));
	}
	return 0;
}

int dm_bundle_write(const char *path, dm_bundle_member *m, size_t n, uint64_t mtime,
		    dm_error *err)
{
	return dm_bundle_write_with(dm_bundle_default_writer, path, m, n, mtime, err);
}
