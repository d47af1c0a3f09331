/* bundle_read.c - unpack a bundle that anyone may have written. */
#include "bundle_read.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/text.h"

#define MAX_MEMBER (1ull << 32)  /* bytes */
#define MAX_MEMBERS (8 + DM_BUNDLE_MAX_DATA)  /* dm_bundle writes 4 and the data files */

static const char *why(struct archive *a)
{
	const char *s = archive_error_string(a);
	return s ? s : "unreadable";
}

static const struct {
	const char *suffix;
	unsigned bit;
} KINDS[] = {{".json", DM_BUNDLE_JSON}, {".md", DM_BUNDLE_CARD}, {".models", DM_BUNDLE_RECIPE},
	     {".safetensors", DM_BUNDLE_WEIGHTS}};

/* NAME.SUFFIX with a valid NAME, the same for every such member: its bit. */
static unsigned model_member(const char *name, dm_bundle_contents *out)
{
	size_t i, n = strlen(name);
	char model[65];
	for (i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++) {
		size_t s = strlen(KINDS[i].suffix);
		if (n <= s || n - s >= sizeof model || strcmp(name + n - s, KINDS[i].suffix))
			continue;
		memcpy(model, name, n - s);
		model[n - s] = 0;
		if (dm_model_name_problem(model) || (out->model[0] && strcmp(model, out->model)))
			return 0;
		snprintf(out->model, sizeof out->model, "%s", model);
		return KINDS[i].bit;
	}
	return 0;
}

static int check_entry(const char *bundle, struct archive_entry *e, const char *name,
		       dm_error *err)
{
	int64_t size = archive_entry_size(e);
	if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) ||
	    archive_entry_symlink(e))
		return dm_fail(err, "%s: member '%s' is not a regular file", bundle, name);
	if (archive_entry_sparse_count(e) > 0)
		return dm_fail(err, "%s: member '%s' is a sparse file; expected a plain one", bundle,
			       name);
	if (!archive_entry_size_is_set(e) || size < 0 || (uint64_t)size > MAX_MEMBER)
		return dm_fail(err, "%s: member '%s' is larger than 4 GiB", bundle, name);
	return 0;
}

/* Where a member goes: its directory and name there. */
static int place(const char *bundle, const char *name, int dirfd, int *datafd,
		 dm_bundle_contents *out, int *at, const char **base, dm_error *err)
{
	unsigned bit;
	const char *want;
	if (!strncmp(name, "data/", 5)) {
		*base = name + 5;
		if ((want = dm_file_name_problem(*base)))
			return dm_fail(err, "%s: member '%s': expected data/FILE with %s", bundle, name,
				       want);
		if (out->ndata == DM_BUNDLE_MAX_DATA)
			return dm_fail(err, "%s: more than %d data files", bundle, DM_BUNDLE_MAX_DATA);
		if (*datafd < 0) {
			if (mkdirat(dirfd, "data", 0700) ||
			    (*datafd = openat(dirfd, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					      O_CLOEXEC)) < 0)
				return dm_fail(err, "%s: cannot make its data directory: %s", bundle,
					       strerror(errno));
		}
		snprintf(out->data[out->ndata++], sizeof out->data[0], "%s", *base);
		*at = *datafd;
		return 0;
	}
	if (!(bit = model_member(name, out)))
		return dm_fail(err, "%s: unexpected member name '%s'; expected NAME.json, NAME.md, "
			       "NAME.models, NAME.safetensors (NAME a model name, the same for all) "
			       "or data/FILE", bundle, name);
	if (out->have & bit)
		return dm_fail(err, "%s: member '%s' twice", bundle, name);
	out->have |= bit;
	*base = name;
	*at = dirfd;
	return 0;
}

int dm_bundle_unpack(const char *path, int dirfd, dm_bundle_contents *out, dm_error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r, rc = -1, datafd = -1, count = 0;
	memset(out, 0, sizeof *out);
	if (!a)
		return dm_fail(err, "%s: out of memory", path);
	archive_read_support_format_tar(a);
	archive_read_support_filter_none(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		dm_fail(err, "%s: %s", path, why(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e), *base = NULL;
		int at = -1, fd;
		if (!name) {
			dm_fail(err, "%s: a member without a name", path);
			goto out;
		}
		if (++count > MAX_MEMBERS) {
			dm_fail(err, "%s: more than %d members", path, MAX_MEMBERS);
			goto out;
		}
		if (check_entry(path, e, name, err) ||
		    place(path, name, dirfd, &datafd, out, &at, &base, err))
			goto out;
		fd = openat(at, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			dm_fail(err, "%s: member '%s' %s: %s", path, name,
				errno == EEXIST ? "twice" : "cannot be written", strerror(errno));
			goto out;
		}
		r = archive_read_data_into_fd(a, fd);
		if (close(fd) && r == ARCHIVE_OK) {
			dm_fail(err, "%s: member '%s' cannot be written: %s", path, name, strerror(errno));
			goto out;
		}
		if (r != ARCHIVE_OK) {
			dm_fail(err, "%s: member '%s': %s", path, name, why(a));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		dm_fail(err, "%s: %s", path, why(a));
		goto out;
	}
	rc = 0;
out:
	if (datafd >= 0)
		close(datafd);
	archive_read_free(a);
	return rc;
}
