/* datafile.c - find and check the data files of a provenance. */
#include "datafile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/file.h"
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
	if (dlen && (strlen(f->file) <= dlen || strncmp(f->file, joined, dlen) ||
		     climbs(f->file + dlen))) {
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

int dm_data_check_file(const char *where, const char *what, const char *want, dm_error *err)
{
	uint64_t size = 0;
	char hex[65];
	int fd = dm_open_sized(where, &size, err), rc;
	if (fd < 0)
		return dm_error_prefix(err, "data file %s", what);
	rc = dm_read_hashed(fd, where, size, hex, NULL, NULL, err) ||
	     dm_data_compare(what, where, hex, want, err) ? -1 : 0;
	close(fd);
	return rc;
}
