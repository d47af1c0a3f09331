/* test_data.c - the data part: streams, compressions, archive members,
 * IDX, CSV/TSV, libsvm, and the errors on bad input.
 *
 * Fixtures are made at test time in a fresh directory with the real tools
 * (gzip, xz, bzip2, zstd, tar, zip); the test runs from inside it, so the
 * paths in the messages are short and exact.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/number.h"
#include "base/sanitizer.h"
#include "data/container.h"
#include "data/dataset.h"
#include "data/stream.h"
#include "tap.h"

static char topdir[] = "/tmp/dm-test-data-XXXXXX";

/* ---- helpers ---- */

static int sh(const char *cmd)
{
	int r = system(cmd);
	if (r != 0)
		diag("command failed (%d): %s", r, cmd);
	return r;
}

static void put(const char *name, const void *data, size_t n)
{
	FILE *f = fopen(name, "wb");
	if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
		perror(name);
		exit(2);
	}
}

static void puts_file(const char *name, const char *text)
{
	put(name, text, strlen(text));
}

static int sha256sum(const char *path, char hex[65])
{
	char cmd[512];
	FILE *p;
	int r;
	snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	r = fscanf(p, "%64s", hex) == 1 ? 0 : -1;
	pclose(p);
	return r;
}

static dm_data_spec spec_of(dm_format f, const char *path)
{
	dm_data_spec s;
	memset(&s, 0, sizeof s);
	s.format = f;
	s.features = path;
	s.integer_labels = 1;
	return s;
}

/* A load that must fail with a message holding WANT (and WANT2). */
static void bad(const dm_data_spec *spec, const char *want, const char *want2)
{
	dm_dataset d;
	dm_error err = {{0}, 0};
	int r = dm_dataset_load(spec, &d, &err);
	int good = r == -1 && strstr(err.msg, want) &&
		   (!want2 || strstr(err.msg, want2)) && !d.x && !d.y &&
		   d.nfiles == 0;
	ok(good, "bad input: %s%s%s", want, want2 ? " ... " : "",
	   want2 ? want2 : "");
	if (!good || getenv("DM_TEST_VERBOSE"))
		diag("got: %s", r == 0 ? "(success)" : err.msg);
	if (r == 0)
		dm_dataset_free(&d);
}

static void bad_csv(const char *path, const char *want, const char *want2)
{
	dm_data_spec s = spec_of(DM_FORMAT_CSV, path);
	bad(&s, want, want2);
}

static void bad_svm(const char *path, const char *want)
{
	dm_data_spec s = spec_of(DM_FORMAT_LIBSVM, path);
	bad(&s, want, NULL);
}

/* Read a whole stream; it must fail with WANT in the message. */
static void bad_stream(const char *path, const dm_data_limits *lim,
		       const char *want, const char *want2)
{
	dm_error err = {{0}, 0};
	dm_stream *s = dm_stream_open(path, lim, &err);
	char buf[4096];
	ptrdiff_t k = 0;
	int good;
	while (s && (k = dm_stream_read(s, buf, sizeof buf, &err)) > 0)
		;
	good = (!s || k < 0) && strstr(err.msg, want) &&
	       (!want2 || strstr(err.msg, want2));
	ok(good, "bad stream %s: %s", path, want);
	if (!good || getenv("DM_TEST_VERBOSE"))
		diag("got: %s", s && k == 0 ? "(read to the end)" : err.msg);
	dm_stream_abort(s);
}

static int load(const dm_data_spec *spec, dm_dataset *d, const char *what)
{
	dm_error err = {{0}, 0};
	int r = dm_dataset_load(spec, d, &err);
	if (r < 0)
		diag("%s: %s", what, err.msg);
	return r;
}

static int same(const float *a, const float *b, size_t n)
{
	return memcmp(a, b, n * sizeof *a) == 0;
}

/* ---- fixtures ---- */

static const char iris[] =
	"sepal_length,sepal_width,species,petal_length,petal_width\n"
	"5.1,3.5,0,1.4,0.2\n"
	"4.9,3.0,0,1.4,0.2\n"
	"7.0,3.2,1,4.7,1.4\n"
	"6.4,3.2,1,4.5,1.5\n"
	"6.3,3.3,2,6.0,2.5\n"
	"5.8,2.7,2,5.1,1.9\n";
static const float iris_x[] = {
	5.1f, 3.5f, 1.4f, 0.2f, 4.9f, 3.0f, 1.4f, 0.2f, 7.0f, 3.2f, 4.7f, 1.4f,
	6.4f, 3.2f, 4.5f, 1.5f, 6.3f, 3.3f, 6.0f, 2.5f, 5.8f, 2.7f, 5.1f, 1.9f};
static const float iris_y[] = {0, 0, 1, 1, 2, 2};

/* ~400 KB of CSV, so that truncating its compressed forms cuts data. */
static void make_big_csv(void)
{
	FILE *f = fopen("big.csv", "w");
	uint32_t r = 12345;
	for (int i = 0; i < 20000; i++) {
		for (int j = 0; j < 4; j++) {
			r = r * 1103515245u + 12345u;
			fprintf(f, "%u.%03u,", (r >> 16) % 100, (r >> 4) % 1000);
		}
		fprintf(f, "%d\n", i % 3);
	}
	fclose(f);
}

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* An IDX file: header from TYPE and DIMS, then BODY as given. */
static void put_idx(const char *name, int type, int ndims, const uint32_t *dims,
		    const void *body, size_t n)
{
	unsigned char *b = malloc(4 + 4 * (size_t)ndims + n);
	b[0] = b[1] = 0;
	b[2] = (unsigned char)type;
	b[3] = (unsigned char)ndims;
	for (int i = 0; i < ndims; i++)
		be32(b + 4 + 4 * i, dims[i]);
	memcpy(b + 4 + 4 * ndims, body, n);
	put(name, b, 4 + 4 * (size_t)ndims + n);
	free(b);
}

static void put_f32_be(unsigned char *p, float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	be32(p, u);
}

/* ---- streams ---- */

static void test_compressions(void)
{
	static const char *const ext[] = {"", ".gz", ".xz", ".bz2", ".zst",
					  ".lz4"};
	dm_dataset d;
	char path[64], hex[65];
	puts_file("iris.csv", iris);
	sh("gzip -9 -n -k iris.csv && xz -k iris.csv && bzip2 -k iris.csv && "
	   "zstd -q -k iris.csv && (lz4 -q iris.csv iris.csv.lz4 2>/dev/null "
	   "|| true)");
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
		dm_data_spec s;
		snprintf(path, sizeof path, "iris.csv%s", ext[i]);
		if (access(path, F_OK) != 0) {
			printf("ok %d # skip no lz4 tool\n", ++tap_count);
			continue;
		}
		s = spec_of(DM_FORMAT_CSV, path);
		s.label_column = "species";
		s.header_lines = 1;
		s.header_names = 1;
		if (load(&s, &d, path) < 0) {
			ok(0, "%s loads", path);
			continue;
		}
		ok(d.n == 6 && d.dim == 4 && same(d.x, iris_x, 24) &&
		   same(d.y, iris_y, 6) && d.nclasses == 3 && !d.bytes_valued,
		   "%s: 6 x 4, values and labels, 3 classes", path);
		ok(d.nfiles == 1 && strcmp(d.files[0].path, path) == 0 &&
		   d.files[0].bytes == sizeof iris - 1,
		   "%s: file record with %zu decompressed bytes", path,
		   sizeof iris - 1);
		ok(sha256sum(path, hex) == 0 && strcmp(hex, d.files[0].sha256) == 0,
		   "%s: sha256 equals sha256sum", path);
		ok(((uintptr_t)d.x & 63) == 0, "%s: x is 64-byte aligned", path);
		dm_dataset_free(&d);
	}
}

static void test_members(void)
{
	static const char *const arc[] = {"a.tar.xz", "a.tar.gz", "a.tar.zst",
					  "a.tar", "a.zip"};
	dm_dataset d;
	char path[64], hex[65];
	sh("mkdir -p src/sub && cp iris.csv src/sub/train.csv && "
	   "printf '1,2,0\\n' > src/other.csv && "
	   "ln -s train.csv src/sub/link.csv && "
	   "tar -C src -cJf a.tar.xz other.csv sub && "
	   "tar -C src -czf a.tar.gz other.csv sub && "
	   "tar -C src --zstd -cf a.tar.zst other.csv sub && "
	   "tar -C src -cf a.tar ./other.csv ./sub && "
	   "(cd src && zip -q -r -y ../a.zip other.csv sub)");
	for (size_t i = 0; i < sizeof arc / sizeof *arc; i++) {
		dm_data_spec s;
		snprintf(path, sizeof path, "%s:sub/train.csv", arc[i]);
		s = spec_of(DM_FORMAT_CSV, path);
		s.header_lines = 1;
		s.header_names = 1;
		s.label_column = "3";
		if (load(&s, &d, path) < 0) {
			ok(0, "%s loads", path);
			continue;
		}
		ok(d.n == 6 && d.dim == 4 && same(d.x, iris_x, 24) &&
		   same(d.y, iris_y, 6), "%s: 6 x 4, values and labels", path);
		ok(sha256sum(arc[i], hex) == 0 &&
		   strcmp(hex, d.files[0].sha256) == 0 &&
		   d.files[0].bytes == sizeof iris - 1,
		   "%s: sha256 of the whole archive", path);
		dm_dataset_free(&d);
	}
	{
		dm_data_limits lim = {.max_members = 2};
		bad_stream("a.tar.xz:nope.csv", NULL,
			   "a.tar.xz: no member 'nope.csv' in the archive", NULL);
		bad_stream("a.tar.xz:sub/link.csv", NULL,
			   "a.tar.xz:sub/link.csv: is a symbolic link", NULL);
		bad_stream("a.zip:sub/link.csv", NULL,
			   "a.zip:sub/link.csv: is a symbolic link", NULL);
		bad_stream("a.tar.gz:sub", NULL,
			   "a.tar.gz:sub: is a directory in the archive", NULL);
		bad_stream("a.tar.gz:sub/train.csv", &lim,
			   "a.tar.gz: no member 'sub/train.csv' in the first 2 "
			   "entries (Max-Archive-Members)", NULL);
		bad_stream("a.tar.gz", NULL, "a.tar.gz: is a tar archive; name a "
			   "member as a.tar.gz:MEMBER", NULL);
		bad_stream("a.zip", NULL, "a.zip: is a zip archive", NULL);
		bad_stream("iris.csv:x", NULL, "iris.csv:x: cannot read", NULL);
		bad_stream("a.tar:", NULL, "a.tar:: no member name after ':'",
			   NULL);
	}
	sh("cd src && ln sub/train.csv hard.csv && "
	   "tar -cf ../h.tar sub/train.csv hard.csv");
	bad_stream("h.tar:hard.csv", NULL, "h.tar:hard.csv: is a hard link",
		   NULL);
	/* a whole path with ':' in it wins over splitting */
	sh("cp iris.csv 'we:ird.csv'");
	{
		dm_data_spec s = spec_of(DM_FORMAT_CSV, "we:ird.csv");
		s.header_lines = 1;
		s.label_column = "3";
		ok(load(&s, &d, "we:ird.csv") == 0 && d.n == 6,
		   "a file named we:ird.csv is read whole");
		dm_dataset_free(&d);
	}
	bad_stream("missing.csv", NULL, "missing.csv: No such file or directory",
		   NULL);
	bad_stream("src", NULL, "src: is a directory", NULL);
}

static void flip(const char *path, long off, unsigned char mask)
{
	FILE *f = fopen(path, "r+b");
	int c;
	if (off < 0) {
		fseek(f, off, SEEK_END);
		off = ftell(f);
	}
	fseek(f, off, SEEK_SET);
	c = fgetc(f);
	fseek(f, off, SEEK_SET);
	fputc(c ^ mask, f);
	fclose(f);
}

/* RLIMIT_AS at what the process maps now plus 256 MiB, so that a large
 * allocation fails; 0 under ASan and TSan, which reserve terabytes of
 * address space. */
static struct rlimit saved_as;

static int limit_address_space(void)
{
#if defined(DM_ASAN) || defined(DM_TSAN)
	return 0;
#else
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	struct rlimit rl;
	if (!f || fscanf(f, "%lu", &pages) != 1 || getrlimit(RLIMIT_AS, &saved_as)) {
		if (f)
			fclose(f);
		return 0;
	}
	fclose(f);
	rl = saved_as;
	rl.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)256 << 20);
	if (saved_as.rlim_max != RLIM_INFINITY && rl.rlim_cur > saved_as.rlim_max)
		return 0;
	return setrlimit(RLIMIT_AS, &rl) == 0;
#endif
}

static void unlimit_address_space(void)
{
	setrlimit(RLIMIT_AS, &saved_as);
}

static void test_corrupt(void)
{
	dm_data_limits mb = {.max_bytes = 1048576};
	dm_data_spec s;
	make_big_csv();
	sh("gzip -n -k big.csv && xz -k big.csv && bzip2 -k big.csv && "
	   "zstd -q -k big.csv && "
	   "head -c $(( $(stat -c%s big.csv.gz) / 2 )) big.csv.gz > cut.gz && "
	   "head -c $(( $(stat -c%s big.csv.gz) - 4 )) big.csv.gz > cut4.gz && "
	   "head -c $(( $(stat -c%s big.csv.xz) / 2 )) big.csv.xz > cut.xz && "
	   "head -c $(( $(stat -c%s big.csv.xz) - 10 )) big.csv.xz > cut10.xz && "
	   "head -c $(( $(stat -c%s big.csv.bz2) / 2 )) big.csv.bz2 > cut.bz2 && "
	   "head -c $(( $(stat -c%s big.csv.zst) / 2 )) big.csv.zst > cut.zst");
	{
		dm_dataset d;
		dm_data_spec g = spec_of(DM_FORMAT_CSV, "big.csv.gz");
		g.header_lines = 0;
		ok(load(&g, &d, "big.csv.gz") == 0 && d.n == 20000 && d.dim == 4,
		   "big.csv.gz: 20000 x 4");
		dm_dataset_free(&d);
	}
	bad_csv("cut.gz", "cut.gz: corrupt or truncated (truncated gzip input)",
		NULL);
	bad_csv("cut4.gz", "cut4.gz: corrupt or truncated", NULL);
	bad_csv("cut.xz", "cut.xz: corrupt or truncated", NULL);
	bad_csv("cut10.xz", "cut10.xz: corrupt or truncated", NULL);
	bad_csv("cut.bz2", "cut.bz2: ", "truncated bzip2 input");
	bad_csv("cut.zst", "cut.zst: ", "runcated zstd input");
	/* a gzip whose trailer CRC is wrong: libarchive does not look */
	sh("cp big.csv.gz crc.gz");
	flip("crc.gz", -8, 0x01);
	bad_csv("crc.gz", "crc.gz: corrupt gzip data (CRC-32", NULL);
	/* incompressible data is stored: a flipped byte still inflates */
	{
		unsigned char *b = malloc(100000);
		uint32_t r = 7;
		for (int i = 0; i < 100000; i++) {
			r = r * 1664525u + 1013904223u;
			b[i] = (unsigned char)(r >> 24);
		}
		put("noise.bin", b, 100000);
		free(b);
		sh("gzip -n -k noise.bin && cp noise.bin.gz noise2.gz");
		flip("noise2.gz", 5000, 0x10);
		bad_stream("noise2.gz", NULL, "noise2.gz: corrupt gzip data",
			   NULL);
	}
	/* a bad CRC in a zip member */
	sh("cd src && zip -q -0 ../stored.zip other.csv");
	{
		/* the data starts after 30 bytes, the name and the extra field */
		FILE *f = fopen("stored.zip", "rb");
		unsigned char h[30];
		long off = -1;
		if (f && fread(h, 1, 30, f) == 30)
			off = 30 + (h[26] | h[27] << 8) + (h[28] | h[29] << 8);
		if (f)
			fclose(f);
		if (off > 0)
			flip("stored.zip", off + 2, 0x01);
	}
	bad_stream("stored.zip:other.csv", NULL, "stored.zip:other.csv: corrupt "
		   "or truncated (ZIP bad CRC", NULL);
	/* a tar whose second header fails its checksum */
	sh("cp a.tar damaged.tar");
	flip("damaged.tar", 1024 + 100, 0x04);
	bad_stream("damaged.tar:./sub/train.csv", NULL,
		   "damaged.tar:./sub/train.csv: corrupt archive (Damaged tar "
		   "archive", NULL);
	sh("head -c 700 a.tar > short.tar");
	bad_stream("short.tar:sub/train.csv", NULL, "short.tar:sub/train.csv: ",
		   "runcated");
	/* decompression bombs: 200 MB of zeros, capped at 1 MiB */
	sh("head -c 200000000 /dev/zero | gzip -1 > bomb.gz && "
	   "head -c 200000000 /dev/zero | zstd -q > bomb.zst && "
	   "head -c $(( $(stat -c%s bomb.gz) / 2 )) bomb.gz > bombcut.gz && "
	   "head -c $(( $(stat -c%s bomb.zst) / 2 )) bomb.zst > bombcut.zst");
	s = spec_of(DM_FORMAT_CSV, "bomb.gz");
	s.limits = mb;
	bad(&s, "bomb.gz: more than 1048576 decompressed bytes "
	    "(Max-Dataset-Bytes)", NULL);
	s.features = "bomb.zst";
	bad(&s, "bomb.zst: more than 1048576 decompressed bytes "
	    "(Max-Dataset-Bytes)", NULL);
	/* they stop early, at the cap, not after decompressing it all (no
	 * clock: a bomb cut in half holds about 100 MB of zeros, and a reader
	 * that went on would find it "truncated", as it does under a higher
	 * cap) */
	{
		dm_data_limits high = {.max_bytes = 300000000};
		bad_stream("bombcut.gz", &mb, "bombcut.gz: more than 1048576 "
			   "decompressed bytes (Max-Dataset-Bytes)", NULL);
		bad_stream("bombcut.zst", &mb, "bombcut.zst: more than 1048576 "
			   "decompressed bytes (Max-Dataset-Bytes)", NULL);
		bad_stream("bombcut.gz", &high, "bombcut.gz: ", "runcated");
		bad_stream("bombcut.zst", &high, "bombcut.zst: ", "runcated");
	}
	{
		dm_error err = {{0}, 0};
		dm_dataset d;
		s.features = "bomb.gz";
		dm_dataset_load(&s, &d, &err);
		ok(err.code == DM_EXIT_POLICY, "the byte cap is a policy failure");
	}
	/* exactly at the cap is fine */
	{
		dm_data_limits lim = {.max_bytes = sizeof iris - 1};
		dm_dataset d;
		char want[128];
		s = spec_of(DM_FORMAT_CSV, "iris.csv.xz");
		s.header_lines = 1;
		s.label_column = "3";
		s.limits = lim;
		ok(load(&s, &d, "at the cap") == 0, "a file of exactly the cap");
		dm_dataset_free(&d);
		s.limits.max_bytes--;
		snprintf(want, sizeof want, "iris.csv.xz: more than %zu "
			 "decompressed bytes", sizeof iris - 2);
		bad(&s, want, NULL);
	}
}

static void test_stream_api(void)
{
	dm_error err = {{0}, 0};
	dm_stream *s;
	char hex[65], want[65], buf[16], *line;
	size_t len;
	int r;
	/* close after a partial read still hashes the whole file */
	s = dm_stream_open("big.csv.gz", NULL, &err);
	ok(s && dm_stream_read_exact(s, buf, 10, "start", &err) == 0 &&
	   dm_stream_bytes(s) == 10,
	   "read 10 bytes of big.csv.gz");
	ok(s && dm_stream_close(s, hex, &err) == 0 &&
	   sha256sum("big.csv.gz", want) == 0 && strcmp(hex, want) == 0,
	   "close after 10 bytes: sha256 of the whole file");
	/* read_exact past the end */
	s = dm_stream_open("src/other.csv", NULL, &err);
	{
		char b[100];
		ok(s && dm_stream_read_exact(s, b, 100, "row", &err) == -1 &&
		   strstr(err.msg, "src/other.csv: row: expected 100 bytes, file "
			  "ends after 6"), "read_exact names the shortfall");
	}
	dm_stream_abort(s);
	/* lines: CRLF, no final newline, empty lines, line numbers */
	puts_file("lines.txt", "a\r\n\r\nbb\nccc");
	s = dm_stream_open("lines.txt", NULL, &err);
	r = dm_stream_getline(s, &line, &len, &err);
	ok(r == 1 && len == 1 && strcmp(line, "a") == 0, "line 1 without CRLF");
	r = dm_stream_getline(s, &line, &len, &err);
	ok(r == 1 && len == 0 && dm_stream_lineno(s) == 2, "line 2 empty");
	dm_stream_getline(s, &line, &len, &err);
	r = dm_stream_getline(s, &line, &len, &err);
	ok(r == 1 && strcmp(line, "ccc") == 0 && dm_stream_lineno(s) == 4,
	   "a last line without a newline");
	ok(dm_stream_getline(s, &line, &len, &err) == 0 &&
	   strcmp(dm_stream_path(s), "lines.txt") == 0, "then the end");
	ok(dm_stream_close(s, NULL, &err) == 0, "close without a hash");
	/* a plain tar skips a big first entry by seeking: the hash holds */
	sh("tar -cf bigfirst.tar big.csv src/other.csv && "
	   "printf '3,4,1\n' | zip -q piped.zip - && "
	   "zip -q bigz.zip big.csv && "
	   "head -c $(( $(stat -c%s bigz.zip) / 2 )) bigz.zip > cut.zip && "
	   "head -c 200 a.zip > cut200.zip");
	{
		dm_data_spec sp = spec_of(DM_FORMAT_CSV, "bigfirst.tar:src/other.csv");
		dm_dataset d;
		ok(load(&sp, &d, "bigfirst.tar") == 0 && d.n == 1 &&
		   d.x[1] == 2 && sha256sum("bigfirst.tar", want) == 0 &&
		   strcmp(want, d.files[0].sha256) == 0,
		   "a member after a big entry in a plain tar; sha256 holds");
		dm_dataset_free(&d);
		/* zip from a pipe: sizes in a data descriptor after the data */
		sp.features = "piped.zip:-";
		ok(load(&sp, &d, "piped.zip") == 0 && d.n == 1 && d.y[0] == 1 &&
		   sha256sum("piped.zip", want) == 0 &&
		   strcmp(want, d.files[0].sha256) == 0,
		   "a zip written to a pipe (data descriptor)");
		dm_dataset_free(&d);
	}
	bad_stream("cut.zip:big.csv", NULL, "cut.zip:big.csv: corrupt or "
		   "truncated", NULL);
	bad_stream("cut200.zip:sub/train.csv", NULL, "cut200.zip:sub/train.csv: ",
		   NULL);
	/* an empty file, and an empty compressed file */
	sh(": > empty.csv && : | gzip > empty.csv.gz");
	bad_csv("empty.csv", "empty.csv: no data rows", NULL);
	bad_csv("empty.csv.gz", "empty.csv.gz: no data rows", NULL);
	/* a NUL byte, a very long line */
	put("nul.csv", "1,2,0\n3,\0,1\n", 12);
	bad_csv("nul.csv", "nul.csv: line 2: a NUL byte", NULL);
	sh("(printf '1,'; head -c 2000000 /dev/zero | tr '\\0' 1; "
	   "printf ',0\\n') > long.csv");
	bad_csv("long.csv", "long.csv: line 1: longer than 1048576 bytes", NULL);
	/* a long line under the limit is fine */
	sh("(printf '0'; for i in $(seq 1 20000); do printf ',%d' $i; done; "
	   "printf '\\n') > wide.csv");
	{
		dm_data_spec sp = spec_of(DM_FORMAT_CSV, "wide.csv");
		dm_dataset d;
		sp.label_column = "first";
		ok(load(&sp, &d, "wide.csv") == 0 && d.n == 1 && d.dim == 20000 &&
		   d.x[19999] == 20000 && d.y[0] == 0, "a row of 20001 columns");
		dm_dataset_free(&d);
	}
}

/* ---- IDX ---- */

static void test_idx(void)
{
	static const uint32_t fdims[] = {4, 2, 3}, ldims[] = {4};
	unsigned char pix[24], lab[] = {0, 1, 2, 1};
	dm_data_spec s = spec_of(DM_FORMAT_IDX, "img.idx");
	dm_dataset d;
	size_t n = 0, dim = 0;
	dm_error err = {{0}, 0};
	for (int i = 0; i < 24; i++)
		pix[i] = (unsigned char)(i * 11);
	put_idx("img.idx", 0x08, 3, fdims, pix, 24);
	put_idx("lab.idx", 0x08, 1, ldims, lab, 4);
	sh("gzip -n -k img.idx lab.idx");
	s.labels = "lab.idx";
	ok(load(&s, &d, "idx u8") == 0 && d.n == 4 && d.dim == 6 &&
	   d.x[5] == 55 && d.x[23] == 253 && d.y[2] == 2 && d.nclasses == 3 &&
	   d.bytes_valued && d.nfiles == 2 &&
	   strcmp(d.files[1].path, "lab.idx") == 0 && d.files[0].bytes == 40,
	   "IDX u8: 4 x 6, values, labels, bytes_valued");
	dm_dataset_free(&d);
	s.features = "img.idx.gz";
	s.labels = "lab.idx.gz";
	ok(load(&s, &d, "idx gz") == 0 && d.n == 4 && d.x[23] == 253,
	   "IDX .gz");
	dm_dataset_free(&d);
	ok(dm_dataset_probe(&s, &n, &dim, &err) == 0 && n == 4 && dim == 6,
	   "IDX probe: 4 x 6");
	{
		dm_shape sh = {0, {0}};
		ok(dm_dataset_probe_shape(&s, &n, &sh, &err) == 0 && sh.ndim == 3 && sh.d[0] == 1 &&
			   sh.d[1] == 2 && sh.d[2] == 3,
		   "IDX probe: a 4 x 2 x 3 file has samples of shape 1 x 2 x 3");
		ok(load(&s, &d, "idx shape") == 0 && d.shape.ndim == 3 && d.shape.d[0] == 1 &&
			   d.shape.d[1] == 2 && d.shape.d[2] == 3,
		   "IDX load: samples of shape 1 x 2 x 3");
		dm_dataset_free(&d);
	}

	/* every type */
	{
		unsigned char b[64];
		static const uint32_t two[] = {2, 2};
		dm_data_spec t = s;
		t.labels = "lab2.idx";
		put_idx("lab2.idx", 0x08, 1, (uint32_t[]){2}, lab, 2);
		b[0] = 0x80; b[1] = 0x7f; b[2] = 0xff; b[3] = 1;
		put_idx("s8.idx", 0x09, 2, two, b, 4);
		t.features = "s8.idx";
		ok(load(&t, &d, "s8") == 0 && d.x[0] == -128 && d.x[1] == 127 &&
		   d.x[2] == -1 && !d.bytes_valued, "IDX s8");
		dm_dataset_free(&d);
		b[0] = 0x80; b[1] = 0; b[2] = 0x01; b[3] = 0x02;
		b[4] = 0xff; b[5] = 0xfe; b[6] = 0; b[7] = 0;
		put_idx("i16.idx", 0x0B, 2, two, b, 8);
		t.features = "i16.idx";
		ok(load(&t, &d, "i16") == 0 && d.x[0] == -32768 && d.x[1] == 258 &&
		   d.x[2] == -2, "IDX i16");
		dm_dataset_free(&d);
		be32(b, 0x80000000u); be32(b + 4, 70000); be32(b + 8, 0xffffffffu);
		be32(b + 12, 0);
		put_idx("i32.idx", 0x0C, 2, two, b, 16);
		t.features = "i32.idx";
		ok(load(&t, &d, "i32") == 0 && d.x[0] == -2147483648.0f &&
		   d.x[1] == 70000 && d.x[2] == -1, "IDX i32");
		dm_dataset_free(&d);
		put_f32_be(b, 1.5f); put_f32_be(b + 4, -0.25f);
		put_f32_be(b + 8, 3e38f); put_f32_be(b + 12, 1e-40f);
		put_idx("f32.idx", 0x0D, 2, two, b, 16);
		t.features = "f32.idx";
		ok(load(&t, &d, "f32") == 0 && d.x[0] == 1.5f && d.x[1] == -0.25f &&
		   d.x[2] == 3e38f && d.x[3] == 1e-40f, "IDX f32");
		dm_dataset_free(&d);
		{
			double v[4] = {0.1, -2.5, 1e10, 0};
			for (int i = 0; i < 4; i++) {
				uint64_t u;
				memcpy(&u, &v[i], 8);
				be32(b + 8 * i, (uint32_t)(u >> 32));
				be32(b + 8 * i + 4, (uint32_t)u);
			}
			put_idx("f64.idx", 0x0E, 2, two, b, 32);
			t.features = "f64.idx";
			ok(load(&t, &d, "f64") == 0 && d.x[0] == 0.1f &&
			   d.x[1] == -2.5f && d.x[2] == 1e10f, "IDX f64");
			dm_dataset_free(&d);
			/* i16 labels, and regression labels in f64 */
			put_idx("lab16.idx", 0x0B, 1, (uint32_t[]){2},
				(unsigned char[]){0, 7, 1, 0}, 4);
			t.labels = "lab16.idx";
			ok(load(&t, &d, "i16 labels") == 0 && d.y[0] == 7 &&
			   d.y[1] == 256 && d.nclasses == 257, "IDX i16 labels");
			dm_dataset_free(&d);
			put_idx("labf.idx", 0x0E, 1, (uint32_t[]){2}, b, 16);
			t.labels = "labf.idx";
			t.integer_labels = 0;
			ok(load(&t, &d, "f64 labels") == 0 && d.y[0] == 0.1f &&
			   d.y[1] == -2.5f && d.nclasses == 0,
			   "IDX f64 regression targets");
			dm_dataset_free(&d);
			t.integer_labels = 1;
			bad(&t, "labf.idx: class labels of type f64; expected an "
			    "integer type", NULL);
		}
	}

	/* bad IDX */
	{
		dm_data_spec t = s;
		unsigned char b[64] = {0};
		t.features = "img.idx";
		t.labels = "lab.idx";
		puts_file("notidx", "hello world, not IDX\n");
		t.features = "notidx";
		bad(&t, "notidx: not an IDX file (magic 0x68656c6c", NULL);
		put("tiny.idx", "\0\0\x08", 3);
		t.features = "tiny.idx";
		bad(&t, "tiny.idx: IDX magic number: expected 4 bytes, file ends "
		    "after 3", NULL);
		put("hdr.idx", "\0\0\x08\x03\0\0", 6);
		t.features = "hdr.idx";
		bad(&t, "hdr.idx: IDX header: expected 4 bytes, file ends after 2",
		    NULL);
		/* declares 10^8 x 28 x 28, holds 10 bytes: fails at once,
		 * without allocating the 78 GB (no clock: under an address-space
		 * limit, an allocation of them would fail as "out of memory") */
		put_idx("huge.idx", 0x08, 3, (uint32_t[]){100000000, 28, 28}, b,
			10);
		t.features = "huge.idx";
		{
			int limited = limit_address_space();
			bad(&t, "huge.idx: expected 78400000016 bytes (a 16-byte "
			    "header, then 100000000 x 784 values of type u8), file "
			    "ends after 26", NULL);
			if (limited)
				unlimit_address_space();
			else
				diag("no address-space limit under a sanitizer: the "
				     "allocation is not checked");
		}
		ok(dm_dataset_probe(&t, &n, &dim, &err) == -1 &&
		   strstr(err.msg, "lab.idx: 4 labels, but the features have "
			  "100000000 samples"), "probe compares the counts");
		put_idx("trail.idx", 0x08, 3, fdims, pix, 24);
		sh("printf 'xx' >> trail.idx");
		t.features = "trail.idx";
		bad(&t, "trail.idx: trailing data after the 40 bytes the IDX "
		    "header declares", NULL);
		put_idx("lab5.idx", 0x08, 1, (uint32_t[]){5}, b, 5);
		t.features = "img.idx";
		t.labels = "lab5.idx";
		bad(&t, "lab5.idx: 5 labels, but the features have 4 samples",
		    NULL);
		put_idx("lab2d.idx", 0x08, 2, (uint32_t[]){4, 1}, b, 4);
		t.labels = "lab2d.idx";
		bad(&t, "lab2d.idx: labels must be 1-D, the IDX header has 2 "
		    "dimensions", NULL);
		for (int i = 0; i < 12; i++)
			put_f32_be(b + 4 * i, (float)i);
		put_f32_be(b + 4 * 7, NAN);
		put_idx("nan.idx", 0x0D, 3, (uint32_t[]){4, 1, 3}, b, 48);
		t.features = "nan.idx";
		t.labels = "lab.idx";
		bad(&t, "nan.idx: sample 3: feature 2 is NaN", NULL);
		put_f32_be(b + 4 * 7, 1);
		put_f32_be(b + 4 * 10, -INFINITY);
		put_idx("inf.idx", 0x0D, 2, (uint32_t[]){4, 3}, b, 48);
		t.features = "inf.idx";
		bad(&t, "inf.idx: sample 4: feature 2 is infinite", NULL);
		memset(b, 0, 32);
		be32(b + 8, 0x7fefffffu); /* 1.7e308 as f64 */
		put_idx("big64.idx", 0x0E, 2, (uint32_t[]){4, 1}, b, 32);
		t.features = "big64.idx";
		bad(&t, "big64.idx: sample 2: feature 1 is infinite or beyond the "
		    "float range", NULL);
		memset(b, 0, 16);
		be32(b + 8, 16777216);
		put_idx("lab32.idx", 0x0C, 1, (uint32_t[]){4}, b, 16);
		t.features = "img.idx";
		t.labels = "lab32.idx";
		bad(&t, "lab32.idx: sample 3: label 16777216 is too large", NULL);
		put_idx("labs8.idx", 0x09, 1, (uint32_t[]){4},
			(unsigned char[]){1, 0, 0xff, 2}, 4);
		t.labels = "labs8.idx";
		bad(&t, "labs8.idx: sample 3: label -1 is negative", NULL);
		put_idx("zero.idx", 0x08, 3, (uint32_t[]){0, 28, 28}, b, 0);
		t.features = "zero.idx";
		bad(&t, "zero.idx: no samples", NULL);
		t.labels = NULL;
		bad(&t, "zero.idx: IDX needs a separate Labels file", NULL);
	}
}

/* ---- CSV and TSV ---- */

static void test_csv(void)
{
	dm_data_spec s;
	dm_dataset d;
	size_t n, dim;
	dm_error err = {{0}, 0};

	/* label first, in quotes, CRLF, a BOM, blank lines at the end */
	puts_file("q.csv", "\xEF\xBB\xBF\"label\",\"a, b\",c\r\n"
		  "\"1\",\" 0.5\" , -2e-3\r\n"
		  "0 , 7,\"8\"\r\n\r\n  \n");
	s = spec_of(DM_FORMAT_CSV, "q.csv");
	s.header_lines = 1;
	s.header_names = 1;
	s.label_column = "label";
	ok(load(&s, &d, "q.csv") == 0 && d.n == 2 && d.dim == 2 &&
	   d.x[0] == 0.5f && d.x[1] == -2e-3f && d.x[3] == 8 && d.y[0] == 1 &&
	   d.y[1] == 0 && d.nclasses == 2,
	   "CSV: quotes, spaces, CRLF, BOM, trailing blank lines");
	dm_dataset_free(&d);
	s.label_column = "first";
	ok(load(&s, &d, "q.csv first") == 0 && d.y[0] == 1, "label 'first'");
	dm_dataset_free(&d);
	/* a quoted name with a comma picks column 2 */
	s.label_column = "a, b";
	s.integer_labels = 0;
	ok(load(&s, &d, "q.csv 'a, b'") == 0 && d.y[0] == 0.5f &&
	   d.x[0] == 1, "a column name with a comma in quotes");
	dm_dataset_free(&d);
	s.integer_labels = 1;

	/* TSV, two header lines, regression targets */
	puts_file("r.tsv", "# made by hand\nx1\tx2\ty\n1\t2\t0.25\n3\t4\t-1.5\n");
	s = spec_of(DM_FORMAT_TSV, "r.tsv");
	s.header_lines = 2;
	s.integer_labels = 0;
	ok(load(&s, &d, "r.tsv") == 0 && d.n == 2 && d.dim == 2 &&
	   d.x[2] == 3 && d.y[1] == -1.5f && d.nclasses == 0,
	   "TSV with 2 header lines and real-valued targets");
	dm_dataset_free(&d);
	ok(dm_dataset_probe(&s, &n, &dim, &err) == 0 && n == 2 && dim == 2,
	   "TSV probe: 2 x 2");
	s.integer_labels = 1;
	bad(&s, "r.tsv: line 3, column 3: label '0.25' is not an integer",
	    NULL);

	/* errors */
	puts_file("iris-bad.csv", "a,b,c,d,label\n"
		  "1,2,3,4,0\n1,2,3,4,0\n1,2,3,4,0\n1,2,3,4,0\n1,2,3,4,0\n"
		  "1,2,abc,4,0\n");
	bad_csv("iris-bad.csv", "iris-bad.csv: line 1, column 1: expected a "
		"number, got 'a'", NULL);
	s = spec_of(DM_FORMAT_CSV, "iris-bad.csv");
	s.header_lines = 1;
	bad(&s, "iris-bad.csv: line 7, column 3: expected a number, got 'abc'",
	    NULL);
	puts_file("ragged.csv", "a,b,c,d,e\n1,2,3,4,0\n1,2,3,4,0\n1,2,3,4,0\n"
		  "1,2,3,4,0\n1,2,3,4,0\n1,2,3,4,0\n1,2,3,4,0\n1,2,3,0\n");
	s.features = "ragged.csv";
	bad(&s, "ragged.csv: line 9: 4 columns, expected 5", NULL);
	puts_file("nan.csv", "1,2,0\n1,nan,0\n");
	bad_csv("nan.csv", "nan.csv: line 2, column 2: 'nan' is not a finite "
		"number", NULL);
	puts_file("inf.csv", "1,2,0\n-Inf,1,0\n");
	bad_csv("inf.csv", "inf.csv: line 2, column 1: '-Inf' is not a finite "
		"number", NULL);
	puts_file("big.num.csv", "1,1e39,0\n");
	bad_csv("big.num.csv", "big.num.csv: line 1, column 2: '1e39' is beyond "
		"the float range", NULL);
	puts_file("neg.csv", "1,2,0\n1,2,-1\n");
	bad_csv("neg.csv", "neg.csv: line 2, column 3: label '-1' is negative",
		NULL);
	puts_file("frac.csv", "1,2,1.5\n");
	bad_csv("frac.csv", "frac.csv: line 1, column 3: label '1.5' is not an "
		"integer", NULL);
	puts_file("word.csv", "1,2,setosa\n");
	bad_csv("word.csv", "word.csv: line 1, column 3: expected a number (the "
		"label), got 'setosa'", NULL);
	puts_file("nanlab.csv", "1,2,NaN\n");
	bad_csv("nanlab.csv", "nanlab.csv: line 1, column 3: label 'NaN' is not "
		"a finite number", NULL);
	puts_file("huge.csv", "1,2,16777216\n");
	bad_csv("huge.csv", "huge.csv: line 1, column 3: label '16777216' is too "
		"large", NULL);
	puts_file("hdr-only.csv", "a,b,c\n\n");
	s.features = "hdr-only.csv";
	bad(&s, "hdr-only.csv: no data rows", NULL);
	puts_file("gap.csv", "1,2,0\n\n1,2,0\n");
	bad_csv("gap.csv", "gap.csv: line 2: an empty line, then more data on "
		"line 3", NULL);
	puts_file("quote.csv", "1,\"2,0\n");
	bad_csv("quote.csv", "quote.csv: line 1, column 2: a quote that is not "
		"closed", NULL);
	puts_file("quote2.csv", "1,\"2\"x,0\n");
	bad_csv("quote2.csv", "quote2.csv: line 1, column 2: text after the "
		"closing quote", NULL);
	puts_file("empty-cell.csv", "1,,0\n");
	bad_csv("empty-cell.csv", "empty-cell.csv: line 1, column 2: expected a "
		"number, got ''", NULL);
	puts_file("one.csv", "1\n2\n");
	bad_csv("one.csv", "one.csv: line 1: 1 column; expected features and a "
		"label", NULL);
	s = spec_of(DM_FORMAT_CSV, "iris.csv");
	s.header_lines = 1;
	s.header_names = 1;
	s.label_column = "colour";
	bad(&s, "iris.csv: line 1: no column named 'colour' for the label",
	    NULL);
	s.label_column = "9";
	bad(&s, "iris.csv: line 1: Label-Column 9: there are 5 columns, numbered from 1",
	    NULL);
	s.header_names = 0;
	s.label_column = "species";
	bad(&s, "iris.csv: label column 'species' is not 'first', 'last' or a "
	    "column number", NULL);
	s.label_column = NULL;
	s.labels = "lab.idx";
	bad(&s, "iris.csv: a Labels file is for IDX only", NULL);
	ok(dm_dataset_probe(&s, &n, &dim, &err) == -1, "probe checks the spec");
	s.labels = NULL;
	s.label_column = "species";
	s.header_names = 1;
	ok(dm_dataset_probe(&s, &n, &dim, &err) == 0 && n == 6 && dim == 4,
	   "CSV probe: 6 x 4");
	{
		dm_shape sh = {0, {0}};
		ok(dm_dataset_probe_shape(&s, &n, &sh, &err) == 0 && sh.ndim == 1 && sh.d[0] == 4,
		   "CSV probe: samples of a plain width 4");
	}
	s.features = "ragged.csv";
	s.label_column = NULL;
	ok(dm_dataset_probe(&s, &n, &dim, &err) == -1 &&
	   strstr(err.msg, "ragged.csv: line 9: 4 columns, but line 1, the column "
		  "names (Column-Names: yes), has 5"),
	   "probe finds ragged rows too");
}

/* ---- libsvm ---- */

static void test_libsvm(void)
{
	dm_data_spec s = spec_of(DM_FORMAT_LIBSVM, "a.svm");
	dm_dataset d;
	size_t n, dim;
	dm_error err = {{0}, 0};
	puts_file("a.svm", "# a comment\n"
		  "1 1:0.5 3:-2 # trailing comment\n"
		  "\n"
		  "0\t2:1e-3\n"
		  "2 4:7\r\n");
	ok(load(&s, &d, "a.svm") == 0 && d.n == 3 && d.dim == 4 &&
	   d.x[0] == 0.5f && d.x[1] == 0 && d.x[2] == -2 && d.x[5] == 1e-3f &&
	   d.x[11] == 7 && d.y[0] == 1 && d.y[2] == 2 && d.nclasses == 3,
	   "libsvm: comments, blank lines, dense 3 x 4");
	dm_dataset_free(&d);
	s.nfeatures = 6;
	ok(load(&s, &d, "a.svm 6") == 0 && d.dim == 6 && d.x[6 * 2 + 3] == 7,
	   "libsvm with nfeatures 6");
	dm_dataset_free(&d);
	ok(dm_dataset_probe(&s, &n, &dim, &err) == 0 && n == 3 && dim == 6,
	   "libsvm probe");
	s.nfeatures = 3;
	bad(&s, "a.svm: line 5: index 4, but there are 3 features", NULL);
	puts_file("order.svm", "1 1:1 3:1\n0 3:1 2:1\n");
	bad_svm("order.svm", "order.svm: line 2: index 2 after 3 (indices must "
		"increase)");
	puts_file("dup.svm", "1 2:1 2:1\n");
	bad_svm("dup.svm", "dup.svm: line 1: index 2 after 2");
	puts_file("zero.svm", "1 0:1\n");
	bad_svm("zero.svm", "zero.svm: line 1: index 0 (indices start at 1)");
	puts_file("val.svm", "1 1:1\n1 1:abc\n");
	bad_svm("val.svm", "val.svm: line 2: index 1: expected a number, got "
		"'abc'");
	puts_file("nan.svm", "1 1:1\n\n1 5:nan\n");
	bad_svm("nan.svm", "nan.svm: line 3: index 5: 'nan' is not a finite "
		"number");
	puts_file("tok.svm", "1 1:1 oops\n");
	bad_svm("tok.svm", "tok.svm: line 1: expected INDEX:VALUE, got 'oops'");
	puts_file("qid.svm", "1 qid:3 1:1\n");
	bad_svm("qid.svm", "qid.svm: line 1: expected a feature index, got "
		"'qid'");
	puts_file("nolab.svm", "1:1 2:1\n");
	bad_svm("nolab.svm", "nolab.svm: line 1: expected a label first, got "
		"'1:1'");
	puts_file("neg.svm", "+1 1:1\n-1 2:1\n");
	bad_svm("neg.svm", "neg.svm: line 2: label '-1' is negative");
	puts_file("empty.svm", "# nothing\n\n");
	bad_svm("empty.svm", "empty.svm: no data rows");
	puts_file("range.svm", "1 1:1\n1 2:-4e38\n");
	bad_svm("range.svm", "range.svm: line 2: index 2: '-4e38' is beyond the "
		"float range");
	puts_file("nofeat.svm", "1\n0\n");
	bad_svm("nofeat.svm", "nofeat.svm: no feature index on any line");
	s = spec_of(DM_FORMAT_LIBSVM, "neg.svm");
	s.integer_labels = 0;
	ok(load(&s, &d, "neg.svm regression") == 0 && d.y[0] == 1 &&
	   d.y[1] == -1, "libsvm regression targets may be negative");
	dm_dataset_free(&d);
}

static void test_formats(void)
{
	dm_format f = DM_FORMAT_IDX;
	ok(dm_format_parse("CSV", &f) == 0 && f == DM_FORMAT_CSV &&
	   dm_format_parse("svmlight", &f) == 0 && f == DM_FORMAT_LIBSVM &&
	   dm_format_parse("tsv", &f) == 0 && f == DM_FORMAT_TSV &&
	   dm_format_parse("idx", &f) == 0 && f == DM_FORMAT_IDX &&
	   dm_format_parse("parquet", &f) == -1,
	   "dm_format_parse");
	ok(strcmp(dm_format_name(DM_FORMAT_LIBSVM), "libsvm") == 0 &&
	   strcmp(dm_format_name(DM_FORMAT_TSV), "tsv") == 0, "dm_format_name");
}

/* ---- real data ---- */

static void test_fashion_mnist(void)
{
	static const char dir[] = "/usr/share/datasets/fashion-mnist";
	dm_data_spec s = spec_of(DM_FORMAT_IDX,
				 "/usr/share/datasets/fashion-mnist/"
				 "train-images-idx3-ubyte.gz");
	dm_dataset d;
	size_t n = 0, dim = 0, counts[10] = {0};
	int labels_ok = 1;
	dm_error err = {{0}, 0};
	char hex[65];
	if (access(dir, R_OK) != 0 || getenv("DM_TEST_SKIP_REAL")) {
		printf("ok %d # skip %s absent\n", ++tap_count, dir);
		printf("ok %d # skip %s absent\n", ++tap_count, dir);
		printf("ok %d # skip %s absent\n", ++tap_count, dir);
		return;
	}
	s.labels = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz";
	if (load(&s, &d, "fashion-mnist") < 0) {
		ok(0, "fashion-mnist train loads");
		return;
	}
	for (size_t i = 0; i < d.n; i++) {
		if (d.y[i] < 0 || d.y[i] > 9)
			labels_ok = 0;
		else
			counts[(int)d.y[i]]++;
	}
	ok(d.n == 60000 && d.dim == 784 && labels_ok && d.nclasses == 10 &&
	   counts[0] == 6000 && counts[9] == 6000 && d.bytes_valued,
	   "fashion-mnist train: 60000 x 784, labels 0..9, 6000 each");
	ok(sha256sum(s.features, hex) == 0 && strcmp(hex, d.files[0].sha256) == 0 &&
	   d.files[0].bytes == 47040016, "fashion-mnist: sha256 and bytes");
	dm_dataset_free(&d);
	ok(dm_dataset_probe(&s, &n, &dim, &err) == 0 && n == 60000 && dim == 784,
	   "fashion-mnist probe: 60000 x 784");
}

/* Issue 18: one rule for numbers (base/number.h), line ends and the BOM in
 * every text reader. */
static void test_one_rule(void)
{
	static const struct {
		const char *text;
		dm_number_problem want;
	} nums[] = {
		{"1", DM_NUMBER_OK}, {"-0.5", DM_NUMBER_OK}, {".5", DM_NUMBER_OK},
		{"5.", DM_NUMBER_OK}, {"1e-3", DM_NUMBER_OK}, {"+2E+2", DM_NUMBER_OK},
		{" 3 ", DM_NUMBER_OK}, {"0", DM_NUMBER_OK}, {"-0.0e-999999", DM_NUMBER_OK},
		{"1.4e-45", DM_NUMBER_OK}, {"3.4e38", DM_NUMBER_OK},
		{"0x10", DM_NUMBER_HEX}, {"-0x1p3", DM_NUMBER_HEX}, {"0X1", DM_NUMBER_HEX},
		{"inf", DM_NUMBER_NONFINITE}, {"-Infinity", DM_NUMBER_NONFINITE},
		{"nan", DM_NUMBER_NONFINITE}, {"NaN(1)", DM_NUMBER_NONFINITE},
		{"1e39", DM_NUMBER_RANGE}, {"-1e39", DM_NUMBER_RANGE},
		{"1e-50", DM_NUMBER_RANGE}, {"1e-99999999999999999999", DM_NUMBER_RANGE},
		{"", DM_NUMBER_SYNTAX}, {".", DM_NUMBER_SYNTAX}, {"1e", DM_NUMBER_SYNTAX},
		{"1,5", DM_NUMBER_SYNTAX}, {"1_000", DM_NUMBER_SYNTAX}, {"e5", DM_NUMBER_SYNTAX},
		{"--1", DM_NUMBER_SYNTAX}, {"1 2", DM_NUMBER_SYNTAX},
	};
	char big[512];
	dm_data_spec s = spec_of(DM_FORMAT_LIBSVM, "bom.svm");
	dm_dataset d;
	size_t i, bad = 0;
	float f;
	for (i = 0; i < sizeof nums / sizeof nums[0]; i++)
		if (dm_number_parse(nums[i].text, NULL, &f) != nums[i].want) {
			diag("'%s': got %d, expected %d", nums[i].text,
			     (int)dm_number_parse(nums[i].text, NULL, &f), (int)nums[i].want);
			bad++;
		}
	ok(bad == 0, "dm_number_parse: %zu numbers, decimal only, within the float range",
	   i);
	/* 1 and 400 zeros: beyond the double range too, the same verdict */
	big[0] = '1';
	memset(big + 1, '0', 400);
	big[401] = '\0';
	ok(dm_number_parse(big, NULL, &f) == DM_NUMBER_RANGE &&
	   dm_number_parse("1e39", NULL, &f) == DM_NUMBER_RANGE,
	   "1 and 400 zeros is out of range as 1e39 is");
	puts_file("bom.svm", "\xEF\xBB\xBF" "1 1:2\r0 2:3\r");
	ok(load(&s, &d, "bom.svm") == 0 && d.n == 2 && d.y[0] == 1 && d.x[0] == 2 &&
	   d.x[3] == 3, "libsvm: a BOM on line 1 is skipped, lone CRs end lines");
	dm_dataset_free(&d);
}

/* Zip-like model files, made by Info-ZIP's zip and gzip; the oracle of
 * their members is Python's zipfile (the same names in the same order). */
static void test_containers(void)
{
	static const struct {
		const char *file, *files, *class;
	} cases[] = {
		{"a.npz", "w.npy b.npy", "NumPy arrays (.npz)"},
		{"m.pt", "m/data.pkl m/data/0 m/version", "PyTorch checkpoint (zip with data.pkl)"},
		{"top.pt", "data.pkl", "PyTorch checkpoint (zip with data.pkl)"},
		{"k.keras", "metadata.json config.json model.weights.h5", "Keras model (zip)"},
		{"mixed.npz", "w.npy notes.txt", NULL},
		{"keras-no-config.zip", "model.weights.h5", NULL},
		{"sub-config.zip", "x/config.json model.weights.h5", NULL},
		{"not-pkl.pt", "m/data.pkl.bak", NULL},
	};
	dm_container c;
	dm_error err = {"", 0};
	char cmd[512];
	size_t i;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		int gz;
		snprintf(cmd, sizeof cmd, "rm -rf ct && mkdir ct && cd ct && for f in %s; do "
			 "mkdir -p $(dirname $f) && echo x > $f; done && zip -q -X ../%s %s && "
			 "cd .. && gzip -n -k -f %s && python3 -c 'import sys, zipfile; "
			 "print(\"\".join(n + \" \" for n in zipfile.ZipFile(sys.argv[1]).namelist()), "
			 "end=\"\")' %s > %s.list",
			 cases[i].files, cases[i].file, cases[i].files, cases[i].file,
			 cases[i].file, cases[i].file);
		if (sh(cmd)) {
			ok(0, "%s: made by zip", cases[i].file);
			continue;
		}
		for (gz = 0; gz < 2; gz++) {
			char path[64], listed[512] = "", want[512];
			const char *class;
			size_t k;
			FILE *f;
			snprintf(path, sizeof path, "%s%s", cases[i].file, gz ? ".gz" : "");
			snprintf(want, sizeof want, "%s.list", cases[i].file);
			f = fopen(want, "r");
			if (!f || !fgets(want, sizeof want, f))
				want[0] = '\0';
			if (f)
				fclose(f);
			if (dm_container_read_file(path, &c, &err)) {
				ok(0, "%s: read (%s)", path, err.msg);
				continue;
			}
			for (k = 0; k < c.n; k++)
				snprintf(listed + strlen(listed), sizeof listed - strlen(listed), "%s ",
					 c.members[k]);
			class = dm_container_class(&c);
			ok(strcmp(listed, want) == 0 &&
			   (class && cases[i].class ? strcmp(class, cases[i].class) == 0
						    : class == cases[i].class),
			   "container %s: members as Python's zipfile lists them, class %s", path,
			   class ? class : "none");
			if (strcmp(listed, want))
				diag("members '%s', zipfile '%s'", listed, want);
			dm_container_free(&c);
		}
	}
	puts_file("plain.txt", "not a zip\n");
	ok(dm_container_read_file("plain.txt", &c, &err) &&
	   !strcmp(err.msg, "plain.txt: expected a zip file (or a gzipped one): "
		   "Unrecognized archive format") && c.n == 0,
	   "container: a file that is no zip: %s", err.msg);
	ok(dm_container_read_file("no-such.npz", &c, &err) &&
	   strstr(err.msg, "no-such.npz: ") == err.msg, "container: a missing file: %s", err.msg);
}

int main(void)
{
	int r;
	char cmd[128];
	if (!mkdtemp(topdir) || chdir(topdir) != 0) {
		perror(topdir);
		return 2;
	}
	diag("fixtures in %s", topdir);
	test_formats();
	test_compressions();
	test_members();
	test_corrupt();
	test_stream_api();
	test_idx();
	test_csv();
	test_libsvm();
	test_one_rule();
	test_containers();
	test_fashion_mnist();
	r = done_testing();
	if (chdir("/") == 0 && !getenv("DM_TEST_KEEP")) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", topdir);
		sh(cmd);
	}
	return r;
}
