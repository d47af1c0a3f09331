/* bundle_libtar.c - the bundle written with libtar, where the system still
 * has it (the Makefile defines DM_HAVE_LIBTAR).
 *
 * The bytes must be those of libarchive's ustar writer
 * (bundle_libarchive.c), so the numbers are formatted here as libarchive
 * does: zero-padded octal, "000644 \0", checksum "012345\0 ".  libtar's own
 * th_set_mode/th_set_size/th_write pad with spaces ("   644 \0", checksum
 * " 12345 \0") and would give other bytes, so only its name and type
 * setters, its block writer and its end-of-archive are used.  libtar
 * never reads: the file is a new temporary one, open for writing only.
 */
#ifdef DM_HAVE_LIBTAR
#include "bundle_writers.h"

#include <errno.h>
#include <fcntl.h>
#include <libtar.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* v in octal, zero-padded to `digits` digits, at field (which the caller
 * has filled with the field's terminator bytes) */
static void octal(char *field, int digits, unsigned long long v)
{
	int i;
	for (i = digits - 1; i >= 0; i--, v >>= 3)
		field[i] = (char)('0' + (v & 7));
}

/* the header block of one member, as libarchive's ustar writer makes it */
static void header(TAR *t, const dm_bundle_member *m, uint64_t mtime)
{
	struct tar_header *h = &t->th_buf;
	const unsigned char *p = (const unsigned char *)h;
	unsigned sum = 0;
	size_t i;
	/* a clean header: nothing from the previous member or this machine */
	memset(h, 0, offsetof(struct tar_header, gnu_longname));
	th_set_type(t, S_IFREG);
	th_set_path(t, (char *)m->name);
	memcpy(h->mode, "000644 ", 8);
	memcpy(h->uid, "000000 ", 8);
	memcpy(h->gid, "000000 ", 8);
	memcpy(h->size, "            ", 12);
	octal(h->size, 11, m->size);
	memcpy(h->mtime, "            ", 12);
	octal(h->mtime, 11, mtime);
	memcpy(h->magic, "ustar", 6);
	memcpy(h->version, "00", 2);
	snprintf(h->uname, sizeof h->uname, "root");
	snprintf(h->gname, sizeof h->gname, "root");
	memcpy(h->devmajor, "000000 ", 8);
	memcpy(h->devminor, "000000 ", 8);
	memset(h->chksum, ' ', sizeof h->chksum);
	for (i = 0; i < T_BLOCKSIZE; i++)
		sum += p[i];
	octal(h->chksum, 6, sum);
	h->chksum[6] = '\0';
}

static int append(TAR *t, const dm_bundle_member *m, uint64_t mtime)
{
	char block[T_BLOCKSIZE];
	size_t off;
	header(t, m, mtime);
	if (tar_block_write(t, &t->th_buf) != T_BLOCKSIZE)
		return -1;
	for (off = 0; off < m->size; off += T_BLOCKSIZE) {
		size_t k = m->size - off < T_BLOCKSIZE ? m->size - off : T_BLOCKSIZE;
		memset(block, 0, sizeof block);
		memcpy(block, (const char *)m->data + off, k);
		if (tar_block_write(t, block) != T_BLOCKSIZE)
			return -1;
	}
	return 0;
}

int dm_bundle_libtar(int fd, const dm_bundle_member *m, size_t n, uint64_t mtime,
		     dm_error *err)
{
	TAR *t = NULL;
	size_t i;
	int saved;
	/* tar_close closes the descriptor it was given: give it a copy */
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (copy < 0)
		return dm_fail(err, "libtar: %s", strerror(errno));
	if (tar_fdopen(&t, copy, "bundle", NULL, O_WRONLY, 0644, 0) != 0) {
		saved = errno;
		close(copy);
		return dm_fail(err, "libtar: %s", strerror(saved));
	}
	errno = 0;
	for (i = 0; i < n; i++)
		if (append(t, &m[i], mtime))
			goto fail;
	if (tar_append_eof(t) != 0)
		goto fail;
	if (tar_close(t) != 0)
		return dm_fail(err, "libtar: %s", strerror(errno));
	return 0;
fail:
	saved = errno;
	tar_close(t);
	return dm_fail(err, "libtar: %s", saved ? strerror(saved) : "short write");
}
#endif
