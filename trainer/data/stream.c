/* stream.c - one dataset file through libarchive, hashed as it is read.
 *
 * libarchive reads the file on disk through raw_read() below, which hashes
 * the bytes as they come.  The hash must be of the file in order, so only
 * bytes that extend the hashed prefix go in; where libarchive seeks (the
 * central directory of a zip, skipping in a plain tar) the hash falls
 * behind, and dm_stream_close() reads on from where it stopped.
 */
#include "stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/file.h"
#include "../base/sha256.h"

#define RAW_CHUNK ((size_t)1 << 16)
#define BUF_CHUNK ((size_t)1 << 16)
#define MAX_LINE ((size_t)1 << 20)

struct dm_stream {
	char *path;         /* as given, for messages */
	char *file;         /* the file on disk (path itself or a prefix) */
	const char *member; /* inside path; NULL for a whole file */
	int fd;
	int raw_errno;
	uint64_t raw_pos;      /* file offset of the next read */
	uint64_t hashed;       /* the first `hashed` bytes are in sha */
	unsigned char tail[8]; /* the last of them: a gzip trailer */
	dm_sha256 sha;
	struct archive *a;
	uint64_t max_bytes, bytes, lineno;
	uint64_t max_members, members; /* entries read, for the cap */
	double deadline, max_wall_time;
	int eof, failed, late;
	int check_gzip; /* a single .gz: libarchive does not check its CRC */
	uint32_t crc, crc_table[256];
	unsigned char *buf; /* decompressed read-ahead */
	size_t pos, len, cap;
	unsigned char raw[RAW_CHUNK];
};

/* K bytes read at raw_pos: hash what extends the hashed prefix. */
static void raw_seen(dm_stream *s, const unsigned char *p, size_t k)
{
	uint64_t end = s->raw_pos + k;
	if (s->raw_pos <= s->hashed && end > s->hashed) {
		p += s->hashed - s->raw_pos;
		k = (size_t)(end - s->hashed);
		dm_sha256_update(&s->sha, p, k);
		s->hashed = end;
		if (k >= 8) {
			memcpy(s->tail, p + k - 8, 8);
		} else {
			memmove(s->tail, s->tail + k, 8 - k);
			memcpy(s->tail + 8 - k, p, k);
		}
	}
	s->raw_pos = end;
}

/* The wall-clock watchdog, checked before each read of the file and each
 * piece of decompressed data: a file that takes too long to read (a huge
 * one, slow storage) ends at Max-Wall-Time like a training. */
static int late(dm_stream *s)
{
	struct timespec t;
	if (!s->deadline || clock_gettime(CLOCK_MONOTONIC, &t))
		return 0;
	if ((double)t.tv_sec + (double)t.tv_nsec * 1e-9 > s->deadline)
		s->late = 1;
	return s->late;
}

static int fail_late(dm_stream *s, dm_error *err)
{
	s->failed = 1;
	return dm_fail_code(err, DM_EXIT_POLICY, "%s: Max-Wall-Time of %g s reached while reading it, "
			    "after %" PRIu64 " bytes", s->path, s->max_wall_time, s->bytes);
}

/* Up to RAW_CHUNK bytes of the file into s->raw: count, 0 at the end, -1. */
static ssize_t raw_fill(dm_stream *s)
{
	ssize_t k;
	if (late(s)) {
		s->raw_errno = ETIMEDOUT;
		return -1;
	}
	do
		k = read(s->fd, s->raw, sizeof s->raw);
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		s->raw_errno = errno;
		return -1;
	}
	raw_seen(s, s->raw, (size_t)k);
	return k;
}

static la_ssize_t raw_read(struct archive *a, void *data, const void **out)
{
	dm_stream *s = data;
	ssize_t k = raw_fill(s);
	if (k < 0) {
		archive_set_error(a, s->raw_errno, "%s", strerror(s->raw_errno));
		return ARCHIVE_FATAL;
	}
	*out = s->raw;
	return k;
}

static la_int64_t raw_seek(struct archive *a, void *data, la_int64_t off,
			   int whence)
{
	dm_stream *s = data;
	off_t r = lseek(s->fd, (off_t)off, whence);
	if (r < 0) {
		s->raw_errno = errno;
		archive_set_error(a, errno, "%s", strerror(errno));
		return ARCHIVE_FATAL;
	}
	s->raw_pos = (uint64_t)r;
	return r;
}

/* Hash the rest of the file on disk, from where the hash stopped. */
static int drain(dm_stream *s, dm_error *err)
{
	ssize_t k;
	if (s->raw_pos != s->hashed) {
		if (lseek(s->fd, (off_t)s->hashed, SEEK_SET) < 0)
			return dm_fail(err, "%s: %s", s->file, strerror(errno));
		s->raw_pos = s->hashed;
	}
	do
		k = raw_fill(s);
	while (k > 0);
	if (k < 0 && s->late)
		return fail_late(s, err);
	if (k < 0)
		return dm_fail(err, "%s: read error: %s", s->file,
			       strerror(s->raw_errno));
	return 0;
}

static int fail(dm_stream *s, dm_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(dm_stream *s, dm_error *err, const char *fmt, ...)
{
	char msg[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	s->failed = 1;
	return dm_fail(err, "%s", msg);
}

/* libarchive's reason; it gives none for some truncated inputs. */
static int fail_archive(dm_stream *s, dm_error *err, const char *what)
{
	const char *why = archive_error_string(s->a);
	int n;
	if (s->late)
		return fail_late(s, err);
	if (s->raw_errno)
		return fail(s, err, "%s: read error: %s", s->path,
			    strerror(s->raw_errno));
	if (!why)
		why = "unexpected end of data";
	/* some of libarchive's messages end in a newline: one line is ours */
	n = (int)strlen(why);
	while (n > 0 && (why[n - 1] == '\n' || why[n - 1] == ' '))
		n--;
	return fail(s, err, "%s: %s (%.*s)", s->path, what, n, why);
}

static void crc_init(dm_stream *s)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		s->crc_table[i] = c;
	}
	s->crc = 0xFFFFFFFFu;
}

static void crc_update(dm_stream *s, const unsigned char *p, size_t n)
{
	uint32_t c = s->crc;
	while (n--)
		c = s->crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
	s->crc = c;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* At the end of a single .gz: compare its trailer with what came out.  A
 * trailer whose length differs may belong to the last of several
 * concatenated members (or trailing bytes follow); that we cannot check. */
static int gzip_verify(dm_stream *s, dm_error *err)
{
	if (drain(s, err) < 0) {
		s->failed = 1;
		return -1;
	}
	if (s->hashed < 18 || le32(s->tail + 4) != (uint32_t)s->bytes)
		return 0;
	if (le32(s->tail) != ~s->crc)
		return fail(s, err,
			    "%s: corrupt gzip data (CRC-32 %08" PRIx32
			    " in the trailer, %08" PRIx32 " computed)",
			    s->path, le32(s->tail), ~s->crc);
	return 0;
}

/* Decompressed bytes from libarchive, against the cap. */
static ptrdiff_t pull(dm_stream *s, void *dst, size_t n, dm_error *err)
{
	la_ssize_t k;
	if (s->failed)
		return dm_fail(err, "%s: read after an error", s->path);
	if (s->eof || n == 0)
		return 0;
	if (late(s))
		return fail_late(s, err);
	/* never ask for more than one byte past the cap */
	if (s->max_bytes && n > s->max_bytes - s->bytes + 1)
		n = (size_t)(s->max_bytes - s->bytes + 1);
	k = archive_read_data(s->a, dst, n);
	if (k < 0)
		return fail_archive(s, err, "corrupt or truncated");
	if (k == 0) {
		s->eof = 1;
		return s->check_gzip ? gzip_verify(s, err) : 0;
	}
	if (s->check_gzip)
		crc_update(s, dst, (size_t)k);
	s->bytes += (uint64_t)k;
	if (s->max_bytes && s->bytes > s->max_bytes) {
		s->failed = 1;
		return dm_fail_code(err, DM_EXIT_POLICY,
				    "%s: more than %" PRIu64
				    " decompressed bytes (Max-Dataset-Bytes)",
				    s->path, s->max_bytes);
	}
	return k;
}

/* Make at least WANT bytes available in the read-ahead, unless the data
 * ends first.  One byte of room stays free for getline's NUL. */
static int fill(dm_stream *s, size_t want, dm_error *err)
{
	while (s->len - s->pos < want && !s->eof) {
		ptrdiff_t k;
		if (s->pos && s->cap - s->len <= BUF_CHUNK) {
			memmove(s->buf, s->buf + s->pos, s->len - s->pos);
			s->len -= s->pos;
			s->pos = 0;
		}
		if (s->cap - s->len <= BUF_CHUNK) {
			size_t cap = s->cap * 2;
			unsigned char *p = realloc(s->buf, cap);
			if (!p)
				return fail(s, err, "%s: out of memory", s->path);
			s->buf = p;
			s->cap = cap;
		}
		k = pull(s, s->buf + s->len, s->cap - s->len - 1, err);
		if (k < 0)
			return -1;
		s->len += (size_t)k;
	}
	return 0;
}

/* "data/x.tar.xz:train.csv": the whole path if it exists, else the first
 * prefix before a ':' that is a regular file. */
static int split_path(dm_stream *s, dm_error *err)
{
	struct stat st;
	int whole_errno;
	if (stat(s->path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return dm_fail(err, "%s: is a directory, not a file",
				       s->path);
		s->file = s->path;
		return 0;
	}
	whole_errno = errno;
	for (const char *c = strchr(s->path, ':'); c; c = strchr(c + 1, ':')) {
		char *prefix = strndup(s->path, (size_t)(c - s->path));
		if (!prefix)
			return dm_fail(err, "%s: out of memory", s->path);
		if (stat(prefix, &st) == 0 && S_ISREG(st.st_mode)) {
			s->file = prefix;
			s->member = c + 1;
			if (!*s->member)
				return dm_fail(err, "%s: no member name after ':'",
					       s->path);
			return 0;
		}
		free(prefix);
	}
	return dm_fail(err, "%s: %s", s->path, strerror(whole_errno));
}

int dm_data_file_of(const char *path, char **file, const char **member,
		    dm_error *err)
{
	struct stat st;
	*member = NULL;
	if (stat(path, &st) == 0) {
		*file = dm_strdup(path, err);
		return *file ? 0 : -1;
	}
	for (const char *c = strchr(path, ':'); c; c = strchr(c + 1, ':')) {
		char *prefix = strndup(path, (size_t)(c - path));
		if (!prefix)
			return dm_fail(err, "%s: out of memory", path);
		if (stat(prefix, &st) == 0 && S_ISREG(st.st_mode)) {
			*file = prefix;
			*member = c + 1;
			return 0;
		}
		free(prefix);
	}
	return dm_fail(err, "%s: %s", path, strerror(errno));
}

/* Entry names compare without a leading "./" or a trailing "/". */
static int same_name(const char *entry, const char *member)
{
	size_t n;
	while (entry[0] == '.' && entry[1] == '/')
		entry += 2;
	while (member[0] == '.' && member[1] == '/')
		member += 2;
	n = strlen(entry);
	while (n > 1 && entry[n - 1] == '/')
		n--;
	return strlen(member) == n && memcmp(entry, member, n) == 0;
}

static int find_member(dm_stream *s, uint64_t max_members, dm_error *err)
{
	struct archive_entry *e;
	uint64_t seen = 0;
	s->max_members = max_members;
	for (;;) {
		const char *name;
		int r = archive_read_next_header(s->a, &e);
		if (r == ARCHIVE_EOF)
			return dm_fail(err, "%s: no member '%s' in the archive",
				       s->file, s->member);
		/* ARCHIVE_WARN: e.g. a name not convertible in the C locale;
		 * ARCHIVE_RETRY: a damaged tar header, which is not fine */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return fail_archive(s, err, "corrupt archive");
		s->members = ++seen;
		if (max_members && seen > max_members)
			return dm_fail_code(err, DM_EXIT_POLICY,
					    "%s: no member '%s' in the first %" PRIu64
					    " entries (Max-Archive-Members)",
					    s->file, s->member, max_members);
		name = archive_entry_pathname(e);
		if (!name)
			name = archive_entry_pathname_utf8(e);
		if (!name || !same_name(name, s->member))
			continue;
		if (archive_entry_hardlink(e))
			return dm_fail(err, "%s: is a hard link in the archive, "
				       "not a regular file", s->path);
		switch (archive_entry_filetype(e)) {
		case AE_IFREG:
			return 0;
		case AE_IFLNK:
			return dm_fail(err, "%s: is a symbolic link in the "
				       "archive, not a regular file", s->path);
		case AE_IFDIR:
			return dm_fail(err, "%s: is a directory in the archive, "
				       "not a regular file", s->path);
		default:
			return dm_fail(err, "%s: is not a regular file in the "
				       "archive", s->path);
		}
	}
}

static int tar_header(const unsigned char *h)
{
	unsigned sum = 0, want = 0;
	int i;
	if (memcmp(h + 257, "ustar", 5) != 0)
		return 0;
	for (i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	for (i = 148; i < 156 && h[i] == ' '; i++)
		;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
		want = want * 8 + (unsigned)(h[i] - '0');
	return sum == want;
}

/* A whole file that is really an archive would only confuse the parsers. */
static int not_an_archive(dm_stream *s, dm_error *err)
{
	const char *kind = NULL;
	if (fill(s, 512, err) < 0)
		return -1;
	if (s->len - s->pos >= 4 && memcmp(s->buf + s->pos, "PK\3\4", 4) == 0)
		kind = "a zip";
	else if (s->len - s->pos >= 512 && tar_header(s->buf + s->pos))
		kind = "a tar";
	if (kind)
		return dm_fail(err, "%s: is %s archive; name a member as %s:MEMBER",
			       s->path, kind, s->path);
	return 0;
}

static int start_archive(dm_stream *s, const dm_data_limits *limits,
			 dm_error *err)
{
	struct archive_entry *e;
	int r;
	s->a = archive_read_new();
	if (!s->a)
		return dm_fail(err, "%s: out of memory", s->path);
	if (s->member) {
		archive_read_support_format_tar(s->a);
		archive_read_support_format_zip(s->a);
	} else {
		archive_read_support_format_raw(s->a);
		archive_read_support_format_empty(s->a);
	}
	/* the compressions with a library behind them: no external programs */
	archive_read_support_filter_gzip(s->a);
	archive_read_support_filter_bzip2(s->a);
	archive_read_support_filter_xz(s->a);
	archive_read_support_filter_lzma(s->a);
	archive_read_support_filter_lzip(s->a);
	archive_read_support_filter_zstd(s->a);
	archive_read_support_filter_lz4(s->a);
	archive_read_support_filter_compress(s->a);
	/* a zip is read from its central directory, which has the modes
	 * (symbolic links); streamed, zip entries all look like files */
	if (s->member)
		archive_read_set_seek_callback(s->a, raw_seek);
	if (archive_read_open(s->a, s, NULL, raw_read, NULL) != ARCHIVE_OK)
		return fail_archive(s, err, "cannot read");
	if (s->member)
		return find_member(s, limits ? limits->max_members : 0, err);
	r = archive_read_next_header(s->a, &e);
	if (r == ARCHIVE_EOF) { /* an empty file, maybe compressed */
		s->eof = 1;
		return 0;
	}
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return fail_archive(s, err, "cannot read");
	if (archive_filter_count(s->a) == 2 &&
	    archive_filter_code(s->a, 0) == ARCHIVE_FILTER_GZIP) {
		s->check_gzip = 1;
		crc_init(s);
	}
	return not_an_archive(s, err);
}

dm_stream *dm_stream_open(const char *path, const dm_data_limits *limits,
			  dm_error *err)
{
	dm_stream *s = dm_calloc(1, sizeof *s, err);
	const char *why;
	if (!s)
		return NULL;
	s->fd = -1;
	s->max_bytes = limits ? limits->max_bytes : 0;
	s->deadline = limits ? limits->deadline : 0;
	s->max_wall_time = limits ? limits->max_wall_time : 0;
	dm_sha256_init(&s->sha);
	s->cap = 2 * BUF_CHUNK;
	s->buf = dm_malloc(s->cap, err);
	s->path = s->buf ? dm_strdup(path, err) : NULL;
	if (!s->path)
		goto fail;
	if (split_path(s, err) < 0)
		goto fail;
	s->fd = dm_open_regular(s->file, &why);
	if (s->fd < 0) {
		dm_fail(err, "%s: %s", s->file, why);
		goto fail;
	}
	if (start_archive(s, limits, err) < 0)
		goto fail;
	return s;
fail:
	dm_stream_abort(s);
	return NULL;
}

ptrdiff_t dm_stream_read(dm_stream *s, void *buf, size_t n, dm_error *err)
{
	size_t k = s->len - s->pos;
	if (k == 0)
		return pull(s, buf, n, err);
	if (k > n)
		k = n;
	memcpy(buf, s->buf + s->pos, k);
	s->pos += k;
	return (ptrdiff_t)k;
}

int dm_stream_read_exact(dm_stream *s, void *buf, size_t n, const char *what,
			 dm_error *err)
{
	size_t got = 0;
	while (got < n) {
		ptrdiff_t k = dm_stream_read(s, (char *)buf + got, n - got, err);
		if (k < 0)
			return -1;
		if (k == 0)
			return dm_fail(err, "%s: %s: expected %zu bytes, file ends "
				       "after %zu", s->path, what ? what : "data",
				       n, got);
		got += (size_t)k;
	}
	return 0;
}

/* The first line end at or after P: "\n", "\r\n" or a lone "\r" (the
 * three that RFC 4180 readers and Python's universal newlines know); NULL
 * when there is none in the N bytes, or when a "\r" ends them and the next
 * byte, not read yet, may be its "\n". */
static char *line_end(char *p, size_t n, int eof, size_t *width)
{
	char *nl = memchr(p, '\n', n);
	char *cr = memchr(p, '\r', nl ? (size_t)(nl - p) : n);
	if (!cr) {
		*width = 1;
		return nl;
	}
	if (cr + 1 == p + n && !eof)
		return NULL;
	*width = cr + 1 < p + n && cr[1] == '\n' ? 2 : 1;
	return cr;
}

int dm_stream_getline(dm_stream *s, char **line, size_t *len, dm_error *err)
{
	size_t scanned = 0, k, width;
	char *start;
	for (;;) {
		size_t avail = s->len - s->pos;
		char *end;
		start = (char *)s->buf + s->pos;
		end = line_end(start + scanned, avail - scanned, s->eof, &width);
		if (end) {
			k = (size_t)(end - start);
			if (k > MAX_LINE)
				break;
			s->pos += k + width;
			goto found;
		}
		if (avail > MAX_LINE)
			break;
		if (s->eof) {
			if (avail == 0)
				return 0;
			k = avail; /* a last line without a line end */
			s->pos += k;
			goto found;
		}
		/* a "\r" at the end is looked at again with the next byte */
		scanned = avail && start[avail - 1] == '\r' ? avail - 1 : avail;
		if (fill(s, avail + 1, err) < 0)
			return -1;
	}
	return fail(s, err, "%s: line %" PRIu64 ": longer than %zu bytes",
		    s->path, s->lineno + 1, MAX_LINE);
found:
	s->lineno++;
	start[k] = '\0'; /* the line end, or the free byte fill() keeps */
	if (memchr(start, '\0', k))
		return fail(s, err, "%s: line %" PRIu64 ": a NUL byte (binary "
			    "data?)", s->path, s->lineno);
	if (s->lineno == 1 && k >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
		start += 3; /* a UTF-8 byte order mark, in every text format */
		k -= 3;
	}
	*line = start;
	*len = k;
	return 1;
}

uint64_t dm_stream_lineno(const dm_stream *s)
{
	return s->lineno;
}

uint64_t dm_stream_bytes(const dm_stream *s)
{
	return s->bytes - (s->len - s->pos); /* not the read-ahead */
}

const char *dm_stream_path(const dm_stream *s)
{
	return s->path;
}

/* After the member was read to its end: the entries after it must not
 * have its name.  tar(1) would extract the last of them and we read the
 * first, so such an archive is refused rather than read either way.  A
 * damaged tail or the Max-Archive-Members cap ends the search quietly: the
 * member itself was read whole. */
static int no_second_member(dm_stream *s, dm_error *err)
{
	struct archive_entry *e;
	for (;;) {
		const char *name;
		int r;
		if (s->max_members && ++s->members > s->max_members)
			return 0;
		r = archive_read_next_header(s->a, &e);
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return 0;
		name = archive_entry_pathname(e);
		if (name && same_name(name, s->member))
			return dm_fail(err, "%s: the archive has a second member named "
				       "'%s' (tar would extract the last, we would read "
				       "the first); expected each name once", s->path,
				       s->member);
	}
}

int dm_stream_close(dm_stream *s, char sha256_hex[65], dm_error *err)
{
	int rc = s->member && s->eof && !s->failed ? no_second_member(s, err) : 0;
	if (rc == 0)
		rc = drain(s, err);
	if (rc == 0 && sha256_hex) {
		unsigned char digest[32];
		dm_sha256_final(&s->sha, digest);
		dm_sha256_hex(digest, sha256_hex);
	}
	dm_stream_abort(s);
	return rc;
}

void dm_stream_abort(dm_stream *s)
{
	if (!s)
		return;
	if (s->a)
		archive_read_free(s->a);
	if (s->fd >= 0)
		close(s->fd);
	if (s->file != s->path)
		free(s->file);
	free(s->path);
	free(s->buf);
	free(s);
}
