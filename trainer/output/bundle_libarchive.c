/* bundle_libarchive.c - the bundle written with libarchive's ustar writer. */
#include "bundle_writers.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

static int append(struct archive *a, struct archive_entry *e, const dm_bundle_member *m,
		  uint64_t mtime)
{
	size_t off = 0;
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, m->name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_copy_uname(e, "root");
	archive_entry_copy_gname(e, "root");
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	archive_entry_set_size(e, (la_int64_t)m->size);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return -1;
	while (off < m->size) {
		la_ssize_t k = archive_write_data(a, (const char *)m->data + off, m->size - off);
		if (k <= 0)
			return -1;
		off += (size_t)k;
	}
	return 0;
}

int dm_bundle_libarchive(int fd, const dm_bundle_member *m, size_t n, uint64_t mtime,
			 dm_error *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t i;
	int rc = -1;
	if (!a || !e) {
		dm_fail(err, "libarchive: out of memory");
		goto out;
	}
	/* ustar, no filter; the end is the two zero blocks alone (the default
	 * would pad the last record to 10240 bytes, which libtar does not) */
	if (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK)
		goto fail;
	for (i = 0; i < n; i++)
		if (append(a, e, &m[i], mtime))
			goto fail;
	if (archive_write_close(a) != ARCHIVE_OK)
		goto fail;
	rc = 0;
	goto out;
fail:
	dm_fail(err, "libarchive: %s", archive_error_string(a) ? archive_error_string(a) : "write failed");
out:
	archive_entry_free(e);
	archive_write_free(a);
	return rc;
}
