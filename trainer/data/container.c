/* container.c - a zip's member names through libarchive (container.h). */
#include "container.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/file.h"
#include "../base/text.h"

/* The one reader behind both entry points: zip only, plain or gzipped
 * (libarchive reads a seekable zip by its central directory, a gzipped
 * one by its local headers). */
static struct archive *new_reader(dm_error *err)
{
	struct archive *a = archive_read_new();
	if (!a) {
		dm_fail(err, "out of memory (libarchive)");
		return NULL;
	}
	archive_read_support_filter_gzip(a);
	archive_read_support_format_zip(a);
	return a;
}

static int add_member(dm_container *c, const char *name, const char *file, dm_error *err)
{
	char **m;
	if (c->n >= DM_CONTAINER_MAX_MEMBERS)
		return dm_fail(err, "%s: more than %d members, expected a model container",
			       file, DM_CONTAINER_MAX_MEMBERS);
	if (!(m = realloc(c->members, (c->n + 1) * sizeof *m)))
		return dm_fail(err, "out of memory");
	c->members = m;
	if (!(c->members[c->n] = dm_strdup(name, err)))
		return -1;
	c->n++;
	return 0;
}

/* libarchive's reason, shown safely; frees a. */
static int archive_fail(struct archive *a, const char *file, dm_error *err)
{
	const char *why = archive_error_string(a);
	char shown[256];
	dm_printable(why ? why : "unreadable", shown, sizeof shown);
	archive_read_free(a);
	return dm_fail(err, "%s: expected a zip file (or a gzipped one): %s", file, shown);
}

/* a opened: every entry's name, skipping its data.  Frees a. */
static int read_names(struct archive *a, const char *file, dm_container *c, dm_error *err)
{
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(e);
		/* a name libarchive cannot convert is still a member */
		if (add_member(c, name ? name : "", file, err)) {
			archive_read_free(a);
			dm_container_free(c);
			return -1;
		}
		if (archive_read_data_skip(a) < ARCHIVE_WARN)
			break;
	}
	if (r != ARCHIVE_EOF) {
		dm_container_free(c);
		return archive_fail(a, file, err);
	}
	archive_read_free(a);
	return 0;
}

int dm_container_read_file(const char *path, dm_container *c, dm_error *err)
{
	const char *why;
	struct archive *a;
	int fd, rc;
	memset(c, 0, sizeof *c);
	if ((fd = dm_open_regular(path, &why)) < 0)
		return dm_fail(err, "%s: %s", path, why);
	if (!(a = new_reader(err)))
		rc = -1;
	else if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK)
		rc = archive_fail(a, path, err);
	else
		rc = read_names(a, path, c, err);
	close(fd);
	return rc;
}

int dm_container_read_memory(const void *buf, size_t n, const char *name, dm_container *c,
			     dm_error *err)
{
	struct archive *a;
	memset(c, 0, sizeof *c);
	if (!(a = new_reader(err)))
		return -1;
	if (archive_read_open_memory(a, buf, n) != ARCHIVE_OK)
		return archive_fail(a, name, err);
	return read_names(a, name, c, err);
}

void dm_container_free(dm_container *c)
{
	size_t i;
	for (i = 0; i < c->n; i++)
		free(c->members[i]);
	free(c->members);
	memset(c, 0, sizeof *c);
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && strcmp(s + n - t, tail) == 0;
}

const char *dm_container_class(const dm_container *c)
{
	int config = 0, h5 = 0, all_npy = c->n > 0;
	size_t i;
	for (i = 0; i < c->n; i++) {
		const char *m = c->members[i];
		if (strcmp(m, "data.pkl") == 0 || ends_with(m, "/data.pkl"))
			return "PyTorch checkpoint (zip with data.pkl)";
		config |= strcmp(m, "config.json") == 0;
		h5 |= ends_with(m, ".weights.h5");
		all_npy &= ends_with(m, ".npy");
	}
	if (config && h5)
		return "Keras model (zip)";
	return all_npy ? "NumPy arrays (.npz)" : NULL;
}
