/* test_csv_oracle.c - the CSV reader against Python's csv module.
 *
 * RFC 4180 leaves line ends and quoted line breaks to readers; we decided
 * to read them as Python's csv module does (open(newline=''), the
 * default dialect): "\n", "\r\n" and a lone "\r" end a record, and a
 * quoted cell may hold any of them.  Each file below is read by both; the
 * rows, the columns and every value (as a float's bits) must agree.  A
 * file Python's csv reads but we refuse, or the other way, fails too.
 *
 * PYTHON names the interpreter (make check sets it); without one the test
 * skips.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset.h"
#include "tap.h"

/* Python: the header row skipped, the last column the label, every cell
 * float() then rounded to float32; prints "ROWS COLS" then the bits of
 * each value, row by row, the label last. */
static const char oracle[] =
	"import csv, struct, sys\n"
	"with open(sys.argv[1], newline='') as f:\n"
	"    rows = list(csv.reader(f))[1:]\n"
	"rows = [r for r in rows if r]\n"
	"print(len(rows), len(rows[0]) if rows else 0)\n"
	"for r in rows:\n"
	"    print(' '.join('%08x' % struct.unpack('<I', struct.pack('<f', float(c)))[0]"
	" for c in r))\n";

static const char *python(void)
{
	const char *p = getenv("PYTHON");
	return p && *p ? p : "python3";
}

static int read_oracle(const char *path, size_t *n, size_t *cols, uint32_t *bits,
		       size_t max)
{
	char cmd[4096];
	FILE *p;
	size_t i;
	int r = 0;
	snprintf(cmd, sizeof cmd, "%s -c \"$DM_ORACLE\" '%s'", python(), path);
	if (setenv("DM_ORACLE", oracle, 1) || !(p = popen(cmd, "r")))
		return -1;
	if (fscanf(p, "%zu %zu", n, cols) != 2 || *n * *cols > max)
		r = -1;
	for (i = 0; r == 0 && i < *n * *cols; i++) {
		unsigned v;
		if (fscanf(p, "%x", &v) != 1)
			r = -1;
		bits[i] = v;
	}
	if (pclose(p) != 0)
		r = -1;
	return r;
}

static uint32_t bits_of(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static void check(const char *name, const char *text)
{
	char path[64];
	FILE *f;
	dm_data_spec s;
	dm_dataset d;
	dm_error err = {"", 0};
	uint32_t want[256];
	size_t n = 0, cols = 0, i, j, bad = 0;
	snprintf(path, sizeof path, "%s.csv", name);
	if (!(f = fopen(path, "wb")) || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(2);
	}
	memset(&s, 0, sizeof s);
	s.format = DM_FORMAT_CSV;
	s.features = path;
	s.header_lines = 1;
	s.header_names = 1;
	if (read_oracle(path, &n, &cols, want, sizeof want / sizeof want[0])) {
		ok(0, "%s: Python's csv module reads it", name);
		return;
	}
	if (dm_dataset_load(&s, &d, &err)) {
		ok(0, "%s: read (%s)", name, err.msg);
		return;
	}
	ok(d.n == n && d.dim + 1 == cols, "%s: %zu rows of %zu columns (Python: %zu of %zu)",
	   name, d.n, d.dim + 1, n, cols);
	for (i = 0; d.n == n && d.dim + 1 == cols && i < n; i++)
		for (j = 0; j < cols; j++)
			bad += bits_of(j + 1 < cols ? d.x[i * d.dim + j] : d.y[i]) !=
			       want[i * cols + j];
	ok(bad == 0, "%s: every value as Python's float() gives it (%zu differ)", name, bad);
	dm_dataset_free(&d);
}

int main(void)
{
	char dir[] = "/tmp/dm-test-csv-oracle-XXXXXX", cmd[256];
	snprintf(cmd, sizeof cmd, "%s -c 'import csv, struct' 2>/dev/null", python());
	if (system(cmd) != 0) {
		printf("1..0 # SKIP no %s with the csv module\n", python());
		return 0;
	}
	if (!mkdtemp(dir) || chdir(dir)) {
		perror(dir);
		return 2;
	}
	check("lf", "a,b,y\n1,2,0\n3.5,-4,1\n");
	check("crlf", "a,b,y\r\n1,2,0\r\n3.5,-4,1\r\n");
	check("cr-only", "a,b,y\r1,2,0\r3.5,-4,1\r5e-3,6,0\r");
	check("cr-only-no-last-end", "a,b,y\r1,2,0\r3.5,-4,1");
	check("mixed-ends", "a,b,y\n1,2,0\r\n3.5,-4,1\r5,6,0\n");
	check("quoted-lf-in-name", "\"a\nfirst\",b,y\n1,2,0\n3,4,1\n");
	check("quoted-crlf-in-name", "\"a\r\nfirst\",\"b\"\"\",y\r\n1,2,0\r\n3,4,1\r\n");
	check("quoted-cr-in-name", "\"a\rfirst\",b,y\r1,2,0\r3,4,1\r");
	check("quoted-comma-in-name", "\"a,b\",c,y\n1,2,0\n3,4,1\n");
	check("quoted-numbers", "a,b,y\n\"1\",\"2.5\",\"0\"\n\"3\",4,\"1\"\n");
	check("quoted-number-with-line-end", "a,b,y\n\"1\n\",2,0\n3,\"\r\n4\",1\n");
	check("bom", "\xEF\xBB\xBF" "a,b,y\n1,2,0\n3,4,1\n");
	printf("1..%d\n", tap_count);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 2;
	return tap_failed ? 1 : 0;
}
