/* test_bundle.c - the reproducibility bundle's tar: its header bytes
 * against a ustar header derived by hand from POSIX, its whole bytes
 * against a fixed SHA-256 (the same on every Debian release and libarchive
 * version), and, where the build has libtar, libtar's bundle against
 * libarchive's, byte for byte.  Then a bundle of a real safetensors file
 * from both writers, and the writer's refusals. */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sha256.h"
#include "output/bundle.h"
#include "output/safetensors.h"
#include "tap.h"

static char dir[] = "/tmp/dm-bundle-XXXXXX";

static char *path_in(const char *name)
{
	static char buf[4][512];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

/* The whole file, malloc'd; *n its size. */
static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long size;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) &&
	    fread(buf, 1, (size_t)size, f) == (size_t)size)
		*n = (size_t)size;
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void sha256_hex(const void *data, size_t n, char hex[65])
{
	dm_sha256 h;
	unsigned char d[32];
	dm_sha256_init(&h);
	dm_sha256_update(&h, data, n);
	dm_sha256_final(&h, d);
	dm_sha256_hex(d, hex);
}

/* Sizes on both sides of the 512-byte block edges, names out of order. */
static unsigned char payload[1100];
static dm_bundle_member members[6];
static void make_members(void)
{
	static const struct { const char *name; size_t size; } spec[] = {
		{"m.safetensors", 1100}, {"data/b.csv", 513}, {"m.json", 511},
		{"data/a.csv", 512}, {"m.md", 1}, {"m.models", 0},
	};
	size_t i;
	uint32_t x = 12345;
	for (i = 0; i < sizeof payload; i++) {
		x = x * 1103515245u + 12345u;
		payload[i] = (unsigned char)(x >> 16);
	}
	for (i = 0; i < 6; i++)
		members[i] = (dm_bundle_member){spec[i].name, payload, spec[i].size};
}

/* POSIX ustar header of a regular file, 0644, root/root, as libarchive
 * writes the numbers: zero-padded octal, then a space and a NUL (size
 * and mtime: a space); checksum: six digits, NUL, space. */
static void ustar_header(unsigned char h[512], const char *name, size_t size, uint64_t mtime)
{
	unsigned sum = 0;
	int i;
	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "000644 ", 8);
	memcpy(h + 108, "000000 ", 8);
	memcpy(h + 116, "000000 ", 8);
	snprintf((char *)h + 124, 13, "%011zo ", size);
	snprintf((char *)h + 136, 13, "%011llo ", (unsigned long long)mtime);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar\0" "00", 8);
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	memcpy(h + 329, "000000 ", 8);
	memcpy(h + 337, "000000 ", 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

#define MTIME 1700000000u
/* sha256sum of the bundle of make_members() at MTIME; the same on every
 * release: a change here changes every bundle's bytes */
#define GOLDEN "42c1b49813f35edae18a48d6157abf4fc51a31eeb485f0a3c64e4e835189c419"

static void test_libarchive_bytes(void)
{
	dm_error err = {{0}, 0};
	unsigned char *tar, want[512];
	size_t n = 0, off = 0, i, blocks = 0;
	char hex[65];
	const char *path = path_in("la.tar");
	make_members();
	ok(dm_bundle_write_with(DM_BUNDLE_LIBARCHIVE, path, members, 6, MTIME, &err) == 0,
	   "libarchive writes a bundle %s", err.msg);
	tar = slurp(path, &n);
	for (i = 0; i < 6; i++)
		blocks += 1 + (members[i].size + 511) / 512;
	ok(tar && n == (blocks + 2) * 512,
	   "%zu bytes: a header and the data blocks of each member, two zero blocks, no padding after", n);
	if (!tar || n != (blocks + 2) * 512)
		return;
	for (i = 0; i < 6; i++) {
		ok(i == 0 || strcmp(members[i - 1].name, members[i].name) < 0,
		   "member %zu is %s, in sorted order", i, members[i].name);
		ustar_header(want, members[i].name, members[i].size, MTIME);
		if (!ok(memcmp(tar + off, want, 512) == 0, "the header of %s is the ustar header by hand",
			members[i].name)) {
			size_t k;
			for (k = 0; k < 512 && tar[off + k] == want[k]; k++)
				;
			diag("first difference at byte %zu: 0x%02x, expected 0x%02x", k, tar[off + k], want[k]);
		}
		off += 512;
		ok(memcmp(tar + off, payload, members[i].size) == 0, "then its %zu bytes", members[i].size);
		off += members[i].size;
		while (off % 512)
			if (tar[off++] != 0)
				break;
		ok(off % 512 == 0, "then zeros to the block's end");
	}
	for (i = off; i < n && !tar[i]; i++)
		;
	ok(i == n && n - off == 1024, "two zero blocks end it");
	sha256_hex(tar, n, hex);
	ok(strcmp(hex, GOLDEN) == 0, "its SHA-256 is the one of every release: %s", hex);
	free(tar);
}

static void test_libtar_same_bytes(void)
{
	dm_error err = {{0}, 0};
	unsigned char *a, *b;
	size_t na = 0, nb = 0;
	make_members();
#ifdef DM_HAVE_LIBTAR
	ok(dm_bundle_default_writer == DM_BUNDLE_LIBTAR, "built with libtar: it writes the bundles");
	ok(dm_bundle_write_with(DM_BUNDLE_LIBTAR, path_in("lt.tar"), members, 6, MTIME, &err) == 0,
	   "libtar writes a bundle %s", err.msg);
	a = slurp(path_in("la.tar"), &na);
	b = slurp(path_in("lt.tar"), &nb);
	ok(a && b && na == nb && memcmp(a, b, na) == 0,
	   "libtar's bundle and libarchive's are byte-identical (%zu and %zu bytes)", na, nb);
	free(a);
	free(b);
#else
	(void)a, (void)b, (void)na, (void)nb;
	diag("built without libtar (LIBTAR=no, or no <libtar.h>): libarchive alone writes bundles");
	ok(dm_bundle_default_writer == DM_BUNDLE_LIBARCHIVE, "built without libtar: libarchive writes the bundles");
	ok(dm_bundle_write_with(DM_BUNDLE_LIBTAR, path_in("lt.tar"), members, 6, MTIME, &err) == -1 &&
	   strstr(err.msg, "built without libtar") && access(path_in("lt.tar"), F_OK) != 0,
	   "asking for libtar says it is not there: %s", err.msg);
#endif
}

/* A real model file, through dm_bundle_write (the build's writer) and
 * through libarchive: the same bytes. */
static void test_model_bundle(void)
{
	dm_error err = {{0}, 0};
	float w[6] = {0.5f, -1.25f, 3.0f, 0.0f, -0.0f, 1e-7f};
	dm_tensor t = {"dense.weight", 2, {2, 3}, 6, w};
	dm_meta meta = {"format", "pt"};
	const char *st = path_in("m.safetensors");
	unsigned char *data, *a, *b;
	size_t n = 0, na = 0, nb = 0;
	dm_bundle_member m[2];
	ok(dm_safetensors_write(st, &t, 1, &meta, 1, &err) == 0, "a safetensors file %s", err.msg);
	data = slurp(st, &n);
	m[0] = (dm_bundle_member){"m.safetensors", data, n};
	m[1] = (dm_bundle_member){"m.models", "Model: m\n", 9};
	ok(dm_bundle_write(path_in("default.tar"), m, 2, MTIME, &err) == 0, "the build's writer %s", err.msg);
	ok(dm_bundle_write_with(DM_BUNDLE_LIBARCHIVE, path_in("la2.tar"), m, 2, MTIME, &err) == 0,
	   "libarchive %s", err.msg);
	a = slurp(path_in("default.tar"), &na);
	b = slurp(path_in("la2.tar"), &nb);
	ok(a && b && na == nb && memcmp(a, b, na) == 0, "a model's bundle: %s and libarchive give the same %zu bytes",
	   dm_bundle_default_writer == DM_BUNDLE_LIBTAR ? "libtar" : "libarchive", na);
	free(a);
	free(b);
	free(data);
}

static void test_refusals(void)
{
	dm_error err = {{0}, 0};
	char longname[101];
	dm_bundle_member m = {longname, "x", 1};
	int w;
	memset(longname, 'a', 100);
	longname[100] = '\0';
	for (w = 0; w < 2; w++) {
		dm_bundle_writer writer = w ? dm_bundle_default_writer : DM_BUNDLE_LIBARCHIVE;
		ok(dm_bundle_write_with(writer, path_in("bad.tar"), &m, 1, MTIME, &err) == -1 &&
		   strstr(err.msg, "bad.tar: member name 'aaaa") && strstr(err.msg, "longer than 99 bytes"),
		   "a name of 100 bytes is refused: %.60s...", err.msg);
		ok(dm_bundle_write_with(writer, path_in("bad.tar"), &m, 0, 077777777777ull + 1, &err) == -1 &&
		   strstr(err.msg, "bad.tar: mtime 8589934592 is past tar's largest"),
		   "an mtime past 11 octal digits is refused: %s", err.msg);
		ok(dm_bundle_write_with(writer, "/nonexistent/dir/b.tar", &m, 0, MTIME, &err) == -1 &&
		   strstr(err.msg, "/nonexistent/dir/b.tar: cannot create a temporary file"),
		   "an unwritable place: %s", err.msg);
		ok(access(path_in("bad.tar"), F_OK) != 0, "nothing written after the errors");
	}
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_libarchive_bytes();
	test_libtar_same_bytes();
	test_model_bundle();
	test_refusals();
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
