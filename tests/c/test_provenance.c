/* test_provenance.c - a provenance, its data files and a bundle from
 * elsewhere, read as untrusted input (trainer/provenance/), and the rules
 * that names and shown text follow (trainer/base/text.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sha256.h"
#include "base/text.h"
#include "os/tmpdir.h"
#include "provenance/bundle_read.h"
#include "provenance/datafile.h"
#include "provenance/record.h"
#include "recipe/deb822.h"
#include "tap.h"

static char dir[] = "/tmp/dm-provenance-XXXXXX";

static const char *in_dir(const char *name)
{
	static char buf[4][512];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

static void put_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- names and shown text ---- */

static void test_text(void)
{
	char out[16], big[64];
	ok(!strcmp(dm_printable("a\x1b[2Jb\n\t\x7f", big, sizeof big), "a?[2Jb???"),
	   "dm_printable: C0 controls, DEL and newline become '?'");
	ok(!strcmp(dm_printable("\xc2\x9b" "31m \xc3\xa9 \xff", big, sizeof big), "??31m \xc3\xa9 ?"),
	   "dm_printable: a C1 control (U+009B, CSI) and a bad byte become '?', UTF-8 stays");
	ok(!strcmp(dm_printable("\xef\xbb\xbf" "1 a\xe2\x80\x8b" "b \xe2\x80\xae", big, sizeof big),
		   "<U+FEFF>1 a<U+200B>b <U+202E>"),
	   "dm_printable: a BOM, a zero-width space and a bidi override are shown as <U+XXXX>");
	ok(!strcmp(dm_printable("abcdefghijklmnopqrstuvwxyz", out, sizeof out), "abcdefghijkl..."),
	   "dm_printable: a long text is cut, with '...', within its buffer");
	ok(!strcmp(dm_printable("abcdefghij\xc3\xa9\xc3\xa9\xc3\xa9", out, sizeof out), "abcdefghij\xc3\xa9..."),
	   "dm_printable: the cut falls between characters, never inside one");
	ok(!strcmp(dm_printable("exactly 15 byte", out, sizeof out), "exactly 15 byte"),
	   "dm_printable: text that fits is not cut");
	ok(!dm_model_name_problem("fashion-mlp") && !dm_model_name_problem("a.b+c") &&
	   dm_model_name_problem("../evil") && dm_model_name_problem("a/b") &&
	   dm_model_name_problem("..") && dm_model_name_problem("Caps") && dm_model_name_problem("") &&
	   dm_model_name_problem("a\nb") && dm_model_name_problem(".hidden"),
	   "the Model: rule: no '/', no '..', no control character, no capital");
	ok(!dm_file_name_problem("train-images-idx3-ubyte.gz") && !dm_file_name_problem("Iris data.csv") &&
	   dm_file_name_problem("..") && dm_file_name_problem(".") && dm_file_name_problem("a/b") &&
	   dm_file_name_problem("a\x1b") && dm_file_name_problem("-rf") && dm_file_name_problem(""),
	   "the file-name rule: one component, printable, not an option");
}

/* ---- the record ---- */

static const char *GOOD =
	"{\"format\":\"dh-model-provenance/1\",\"model\":\"m\","
	"\"recipe\":{\"fields\":{\"Model\":\"m\",\"Description\":\"one\\n\\ntwo\","
	"\"Dataset\":\"images.tar:train.idx\",\"Labels\":\"labels.idx\",\"Format\":\"idx\","
	"\"Upstream-Weights\":\"/usr/share/up.safetensors\",\"Network\":\"dense 2\"}},"
	"\"data\":{\"train\":[{\"path\":\"images.tar:train.idx\",\"sha256\":\"%s\"},"
	"{\"path\":\"labels.idx\",\"sha256\":\"%s\"}]},"
	"\"budget\":{\"policy\":\"main\"}}";

static char *record_text(const char *fmt, const char *a, const char *b)
{
	size_t n = strlen(fmt) + strlen(a) + strlen(b) + 1;
	char *s = malloc(n);
	snprintf(s, n, fmt, a, b);
	return s;
}

static void test_record(void)
{
	static const char *bad[][2] = {
		{"\"model\":\"m\"", "\"model\":\"../m\""},
		{"\"Network\":\"dense 2\"", "\"Network\":2"},
		{"\"Network\":\"dense 2\"", "\"Network\":\"dense 2\",\"X: y\\nPolicy\":\"z\""},
		{"\"policy\":\"main\"", "\"policy\":\"/etc/passwd\""},
		{"\"Labels\":\"labels.idx\"", "\"Labels\":\"/etc/passwd\""},
		{"\"format\":\"dh-model-provenance/1\"", "\"format\":\"other\""},
		{"\"Network\":\"dense 2\"", "\"Network\":\"dense\\u0007 2\""},
		{"{\"path\":\"labels.idx\",\"sha256\":\"", "{\"path\":\"labels.idx\",\"sha\":\""},
	};
	char sha[65], *text, *recipe;
	const char *paths[DM_RECORD_MAX_DATA] = {"data/images.tar:train.idx", NULL};
	dm_record r;
	dm_error err = {"", 0};
	dm_deb822 d;
	size_t i;
	memset(sha, 'a', 64);
	sha[64] = 0;
	text = record_text(GOOD, sha, sha);
	ok(dm_record_parse("w", text, strlen(text), &r, &err) == 0 && r.ndata == 2 &&
	   !strcmp(r.data[0].field, "Dataset") && !strcmp(r.data[1].path, "labels.idx") &&
	   !strcmp(r.policy, "main"), "a good record: two data files, each with its field; the policy");
	recipe = dm_record_recipe(&r, NULL, 0, &err);
	ok(recipe && !strcmp(recipe, "Model: m\nDescription: one\n .\n two\nDataset: images.tar:train.idx\n"
			     "Labels: labels.idx\nFormat: idx\nUpstream-Weights: /usr/share/up.safetensors\n"
			     "Network: dense 2\n"), "the recipe again, continuation lines and all: %s",
	   recipe ? recipe : err.msg);
	free(recipe);
	recipe = dm_record_recipe(&r, paths, DM_RECIPE_NO_UPSTREAM, &err);
	ok(recipe && strstr(recipe, "Dataset: data/images.tar:train.idx\n") &&
	   strstr(recipe, "Labels: labels.idx\n") && !strstr(recipe, "Upstream"),
	   "with a data path replaced and Upstream-* left out");
	if (recipe && dm_deb822_parse("x", recipe, strlen(recipe), &d, &err) == 0) {
		ok(d.n == 1 && d.stanzas[0].n == 6, "it parses as one stanza of 6 fields");
		dm_deb822_free(&d);
	}
	free(recipe);
	dm_record_free(&r);
	free(text);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *good = record_text(GOOD, sha, sha), *at = strstr(good, bad[i][0]), *evil;
		size_t n;
		if (!at) {
			ok(0, "case %zu: '%s' is in the good record", i, bad[i][0]);
			continue;
		}
		n = strlen(good) + strlen(bad[i][1]) + 1;
		evil = malloc(n);
		snprintf(evil, n, "%.*s%s%s", (int)(at - good), good, bad[i][1], at + strlen(bad[i][0]));
		err.msg[0] = 0;
		ok(dm_record_parse("w", evil, strlen(evil), &r, &err) == -1 && !strncmp(err.msg, "w: ", 3) &&
		   !strchr(err.msg, '\n') && !strchr(err.msg, '\x07'),
		   "refused: %s: %s", bad[i][1], err.msg);
		free(evil);
		free(good);
	}
	/* values that a recipe reader would not give back as written */
	{
		static const char *values[] = {"\\nlate", "x\\n.\\ny", " lead", "trail ", "a\\n b"};
		for (i = 0; i < sizeof values / sizeof values[0]; i++) {
			char *good = record_text(GOOD, sha, sha), *at = strstr(good, "dense 2"), *evil;
			size_t n = strlen(good) + strlen(values[i]) + 1;
			evil = malloc(n);
			snprintf(evil, n, "%.*s%s%s", (int)(at - good), good, values[i], at + 7);
			recipe = NULL;
			ok(dm_record_parse("w", evil, strlen(evil), &r, &err) == 0 &&
			   !(recipe = dm_record_recipe(&r, NULL, 0, &err)) && strstr(err.msg, "read back"),
			   "Network \"%s\" does not read back: refused", values[i]);
			free(recipe);
			dm_record_free(&r);
			free(evil);
			free(good);
		}
	}
}

/* ---- data files ---- */

static void test_data(void)
{
	static const char body[] = "x,y\n1,0\n";
	char sha[65], hex[65], *got = NULL;
	dm_error err = {"", 0};
	dm_data_found f;
	dm_record_data d = {"train", "Dataset", "d.csv", NULL, 0, 0, 0};
	uint64_t size;
	int fd;
	mkdir(in_dir("data"), 0700);
	put_file(in_dir("data/d.csv"), body, sizeof body - 1);
	dm_sha256_hex_of(body, sizeof body - 1, sha);
	d.sha256 = sha;
	ok(dm_data_find(&d, in_dir("data"), &f, &err) == 0 && !strcmp(f.file, in_dir("data/d.csv")) &&
	   !f.member && !strcmp(f.name, "d.csv"), "a relative path is below the data directory: %s",
	   err.msg);
	dm_data_found_free(&f);
	d.path = "../data/d.csv";
	ok(dm_data_find(&d, in_dir("data"), &f, &err) == -1 && strstr(err.msg, "'..'"),
	   "a path that climbs out of it is refused: %s", err.msg);
	d.path = "sub/../../d.csv";
	ok(dm_data_find(&d, ".", &f, &err) == -1, "also inside a path, below '.'");
	fd = dm_open_sized(in_dir("data/d.csv"), &size, &err);
	ok(fd >= 0 && dm_read_hashed(fd, "d.csv", size, hex, &got, NULL, &err) == 0 && !strcmp(hex, sha) &&
	   got && !memcmp(got, body, sizeof body - 1), "read and hashed in one pass");
	close(fd);
	free(got);
	ok(dm_data_compare("d.csv", "d.csv", hex, "0000", &err) == -1 && err.code == DM_EXIT_DIFFER &&
	   strstr(err.msg, "data file d.csv has SHA-256"), "another SHA-256: %s", err.msg);
	ok(dm_open_sized(in_dir("data"), &size, &err) == -1 && strstr(err.msg, "not a regular file"),
	   "a directory is no data file");
	mkfifo(in_dir("fifo"), 0600);
	ok(dm_open_sized(in_dir("fifo"), &size, &err) == -1 && strstr(err.msg, "not a regular file (a FIFO)"),
	   "a FIFO is refused, without blocking in open");
	ok(dm_open_sized("/dev/null", &size, &err) == -1, "a device is refused");
}

/* ---- bundles ---- */

/* A ustar header for a member. */
static void tar_member(FILE *f, const char *name, char type, const char *link, const char *data,
		       size_t n)
{
	unsigned char h[512];
	unsigned sum = 0;
	size_t i;
	memset(h, 0, sizeof h);
	snprintf((char *)h, 100, "%s", name);
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	snprintf((char *)h + 124, 12, "%011zo", n);
	memcpy(h + 136, "00000000000", 12);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	if (link)
		snprintf((char *)h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (i = 0; i < sizeof h; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	fwrite(h, 1, sizeof h, f);
	fwrite(data, 1, n, f);
	memset(h, 0, sizeof h);
	fwrite(h, 1, (512 - n % 512) % 512, f);
}

static int unpack(const char *const *names, const char *types, dm_bundle_contents *bc, dm_error *err)
{
	char out[512];
	FILE *f = fopen(in_dir("b.tar"), "wb");
	static const char zeros[1024];
	int fd, rc;
	size_t i;
	for (i = 0; names[i]; i++)
		tar_member(f, names[i], types[i], types[i] == '2' ? "/etc/passwd" : NULL, "x",
			   types[i] == '0' ? 1 : 0);
	fwrite(zeros, 1, sizeof zeros, f);
	fclose(f);
	snprintf(out, sizeof out, "%s", in_dir("unpacked"));
	dm_remove_tree(out);
	mkdir(out, 0700);
	fd = open(out, O_RDONLY | O_DIRECTORY);
	rc = dm_bundle_unpack(in_dir("b.tar"), fd, bc, err);
	close(fd);
	return rc;
}

static void test_bundle(void)
{
	static const char *good[] = {"m.json", "m.md", "m.models", "m.safetensors", "data/a.csv", NULL};
	static const char *bad[][3] = {
		{"m.json", "../x", NULL}, {"m.json", "/etc/x", NULL}, {"m.json", "data/../x", NULL},
		{"m.json", "n.md", NULL}, {"m.json", "m.json", NULL}, {"m.json", "data/.", NULL},
		{"m.json", "data/", NULL}, {"M.json", NULL, NULL}, {"m.json", "data/a/b", NULL}};
	dm_bundle_contents bc;
	dm_error err = {"", 0};
	struct stat st;
	size_t i;
	ok(unpack(good, "00000", &bc, &err) == 0 && !strcmp(bc.model, "m") && bc.have == 15 &&
	   bc.ndata == 1 && stat(in_dir("unpacked/data/a.csv"), &st) == 0 && st.st_size == 1,
	   "a bundle as bundle writes it: %s", err.msg);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ok(unpack(bad[i], "000", &bc, &err) == -1 && !strchr(err.msg, '\n'),
		   "refused: a member '%s': %s", bad[i][1] ? bad[i][1] : bad[i][0], err.msg);
	}
	{
		const char *link[] = {"m.json", "data/a", NULL};
		ok(unpack(link, "02", &bc, &err) == -1 && strstr(err.msg, "not a regular file") &&
		   lstat(in_dir("unpacked/data/a"), &st) == -1, "a symbolic link is refused, not made");
		ok(unpack(link, "01", &bc, &err) == -1 && strstr(err.msg, "not a regular file"),
		   "a hard link is refused");
		ok(unpack(link, "05", &bc, &err) == -1, "a directory is refused");
	}
	{
		/* a text model has a file per Dataset line */
		static char names[DM_BUNDLE_MAX_DATA + 1][16];
		const char *many[DM_BUNDLE_MAX_DATA + 2];
		char types[DM_BUNDLE_MAX_DATA + 2];
		char want[64];
		int i;
		for (i = 0; i <= DM_BUNDLE_MAX_DATA; i++) {
			snprintf(names[i], sizeof names[i], "data/f%02d", i);
			many[i] = names[i];
			types[i] = '0';
		}
		many[i] = NULL;
		types[i] = 0;
		snprintf(want, sizeof want, "more than %d data files", DM_BUNDLE_MAX_DATA);
		ok(unpack(many, types, &bc, &err) == -1 && strstr(err.msg, want),
		   "at most %d data files (%s)", DM_BUNDLE_MAX_DATA, err.msg);
	}
}

static void test_remove_tree(void)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof path, "%s", in_dir("tree"));
	mkdir(path, 0700);
	mkdir(in_dir("tree/a"), 0700);
	mkdir(in_dir("tree/a/b"), 0700);
	put_file(in_dir("tree/a/b/f"), "x", 1);
	put_file(in_dir("tree/g"), "y", 1);
	put_file(in_dir("kept"), "z", 1);
	if (symlink(in_dir("kept"), in_dir("tree/link")))
		perror("symlink");
	if (symlink(dir, in_dir("tree/a/dirlink")))
		perror("symlink");
	ok(dm_remove_tree(path) == 0 && lstat(path, &st) == -1 && stat(in_dir("kept"), &st) == 0 &&
	   stat(dir, &st) == 0, "dm_remove_tree removes the tree, links but never what they point to");
	ok(dm_remove_tree(path) == 0, "a tree that is gone is no error");
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_text();
	test_record();
	test_data();
	test_bundle();
	test_remove_tree();
	dm_remove_tree(dir);
	return done_testing();
}
