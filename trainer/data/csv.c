/* csv.c - CSV and TSV: a sample a record, the label in one column, every
 * other column a number.  Cells may be in double quotes ("" for a quote),
 * and a quoted cell may hold line breaks (RFC 4180, as Python's csv module
 * reads it; the stream splits lines at LF, CR LF and a lone CR).  Numbers
 * follow the rule of base/number.h, as in the recipe. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/number.h"
#include "base/text.h"
#include "internal.h"

typedef struct csv {
	dm_stream *s;
	const dm_data_spec *spec;
	char delim;
	char **cells;
	size_t ncells, cellcap;
	size_t ncols;  /* 0 until the names line or the first row */
	uint64_t ncols_line; /* the line that set ncols */
	int ncols_names; /* ... and it was the names line */
	size_t label;  /* its column, from 0 */
	uint64_t line; /* the line being read */
	uint64_t blank; /* an empty line seen after the data started */
	unsigned skip;  /* header lines */
	dm_fvec x, y;
	size_t n;
} csv;

static int space(const csv *c, char ch)
{
	return ch == ' ' || (ch == '\t' && c->delim != '\t');
}

static int add_cell(csv *c, char *cell, dm_error *err)
{
	if (c->ncells == c->cellcap) {
		size_t cap = c->cellcap ? 2 * c->cellcap : 16;
		char **p = realloc(c->cells, cap * sizeof *p);
		if (!p)
			return dm_fail(err, "%s: out of memory", dm_stream_path(c->s));
		c->cells = p;
		c->cellcap = cap;
	}
	c->cells[c->ncells++] = cell;
	return 0;
}

/* Split the line into c->cells in place: quotes undone, spaces around
 * cells dropped, each cell NUL-terminated. */
static int split(csv *c, char *p, dm_error *err)
{
	const char *path = dm_stream_path(c->s);
	c->ncells = 0;
	for (;;) {
		char *cell, *end;
		int more;
		while (space(c, *p))
			p++;
		cell = p;
		if (*p == '"') {
			end = cell;
			for (p++;; p++) {
				if (!*p)
					return dm_fail(err, "%s: line %" PRIu64
						       ", column %zu: a quote that "
						       "is not closed", path, c->line,
						       c->ncells + 1);
				if (*p == '"' && p[1] != '"')
					break;
				if (*p == '"')
					p++;
				*end++ = *p;
			}
			for (p++; space(c, *p); p++)
				;
			if (*p && *p != c->delim)
				return dm_fail(err, "%s: line %" PRIu64 ", column "
					       "%zu: text after the closing quote",
					       path, c->line, c->ncells + 1);
		} else {
			while (*p && *p != c->delim)
				p++;
			for (end = p; end > cell && space(c, end[-1]); end--)
				;
		}
		more = *p == c->delim;
		*end = '\0'; /* may be the delimiter itself: tested above */
		if (add_cell(c, cell, err) < 0)
			return -1;
		if (!more)
			return 0;
		p++;
	}
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Once the number of columns is known: which one holds the label.  NAMES
 * is set when the cells are the names line. */
static int find_label(csv *c, int names, dm_error *err)
{
	const char *path = dm_stream_path(c->s), *want = c->spec->label_column;
	c->ncols = c->ncells;
	c->ncols_line = c->line;
	c->ncols_names = names;
	if (c->spec->no_labels) {
		c->label = (size_t)-1;  /* every column is a feature */
		return 0;
	}
	if (c->ncols < 2)
		return dm_fail(err, "%s: line %" PRIu64 ": 1 column; expected "
			       "features and a label", path, c->line);
	if (!want || strcasecmp(want, "last") == 0) {
		c->label = c->ncols - 1;
	} else if (strcasecmp(want, "first") == 0) {
		c->label = 0;
	} else if (all_digits(want)) {
		unsigned long long k = strtoull(want, NULL, 10);
		if (k == 0 || k > c->ncols)
			return dm_fail(err, "%s: line %" PRIu64 ": Label-Column "
				       "%s: there are %zu columns, numbered from 1",
				       path, c->line, want, c->ncols);
		c->label = (size_t)k - 1;
	} else if (names) {
		for (c->label = 0; c->label < c->ncols; c->label++)
			if (strcmp(c->cells[c->label], want) == 0)
				return 0;
		return dm_fail(err, "%s: line %" PRIu64 ": no column named '%s' "
			       "for the label", path, c->line, want);
	} else {
		return dm_fail(err, "%s: label column '%s' is not 'first', "
			       "'last' or a column number, and the file has no "
			       "line of column names", path, want);
	}
	return 0;
}

/* A cell that is not a number the rule of base/number.h accepts. */
static int number_error(csv *c, size_t col, const char *cell,
			dm_number_problem why, int is_label, dm_error *err)
{
	char shown[48];
	dm_printable(cell, shown, sizeof shown);
	if (why == DM_NUMBER_SYNTAX)
		return dm_fail(err, "%s: line %" PRIu64 ", column %zu: expected "
			       "a number%s, got '%s'", dm_stream_path(c->s),
			       c->line, col + 1, is_label ? " (the label)" : "",
			       shown);
	return dm_fail(err, "%s: line %" PRIu64 ", column %zu: %s'%s' %s",
		       dm_stream_path(c->s), c->line, col + 1,
		       is_label ? "label " : "", shown,
		       dm_number_problem_text(why));
}

static int row(csv *c, int keep, dm_error *err)
{
	if (keep && dm_fvec_reserve(&c->x, c->ncols - !c->spec->no_labels, err) < 0)
		return -1;
	if (keep && c->spec->no_labels && dm_fvec_push(&c->y, 0.0f, err) < 0)
		return -1;
	for (size_t j = 0; j < c->ncols; j++) {
		const char *cell = c->cells[j];
		dm_number_problem why;
		double l;
		float v;
		if ((why = dm_number_parse(cell, &l, &v)))
			return number_error(c, j, cell, why, j == c->label, err);
		if (j == c->label) {
			const char *bad = dm_label_problem(l, c->spec->integer_labels);
			char shown[48];
			if (bad)
				return dm_fail(err, "%s: line %" PRIu64 ", column "
					       "%zu: label '%s' %s",
					       dm_stream_path(c->s), c->line, j + 1,
					       dm_printable(cell, shown, sizeof shown),
					       bad);
			if (keep && dm_fvec_push(&c->y, v, err) < 0)
				return -1;
		} else if (keep) {
			c->x.v[c->x.n++] = v;
		}
	}
	c->n++;
	return 0;
}

static int blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return !*p;
}

static int line(csv *c, char *p, unsigned skip, int keep, dm_error *err)
{
	const char *path = dm_stream_path(c->s);
	if (c->line <= skip) {
		if (c->line > 1 || !c->spec->header_names)
			return 0;
		if (split(c, p, err) < 0)
			return -1;
		return find_label(c, 1, err);
	}
	if (blank(p)) {
		if (!c->blank)
			c->blank = c->line;
		return 0;
	}
	if (c->blank)
		return dm_fail(err, "%s: line %" PRIu64 ": an empty line, then "
			       "more data on line %" PRIu64, path, c->blank,
			       c->line);
	if (split(c, p, err) < 0)
		return -1;
	if (!c->ncols && find_label(c, 0, err) < 0)
		return -1;
	if (c->ncells != c->ncols && c->ncols_names)
		return dm_fail(err, "%s: line %" PRIu64 ": %zu columns, but line %"
			       PRIu64 ", the column names (Column-Names: yes), has %zu",
			       path, c->line, c->ncells, c->ncols_line, c->ncols);
	if (c->ncells != c->ncols)
		return dm_fail(err, "%s: line %" PRIu64 ": %zu columns, expected "
			       "%zu as on line %" PRIu64, path, c->line, c->ncells,
			       c->ncols, c->ncols_line);
	return row(c, keep, err);
}

/* Whether P leaves a quoted cell open: an odd number of quotes, as a
 * record of RFC 4180 has an even number ("" inside a cell is two). */
static int quote_open(const char *p, int open)
{
	for (; (p = strchr(p, '"')); p++)
		open = !open;
	return open;
}

/* The next record: a line, or (RFC 4180, as Python's csv module reads)
 * several when a quoted cell holds line breaks, joined with "\n" in *buf.
 * c->line is the record's first line. */
static int record(csv *c, char **out, char **buf, size_t *cap, dm_error *err)
{
	char *p;
	size_t len, used;
	int r = dm_stream_getline(c->s, &p, &len, err);
	if (r <= 0)
		return r;
	c->line = dm_stream_lineno(c->s);
	/* header lines other than the names are free text, not records */
	if (!quote_open(p, 0) ||
	    (c->line <= c->skip && !(c->line == 1 && c->spec->header_names))) {
		*out = p;
		return 1;
	}
	for (used = 0;;) {
		if (used + len + 2 > *cap) {
			size_t want = 2 * (used + len + 2);
			char *q;
			if (want > ((size_t)1 << 24))
				return dm_fail(err, "%s: line %" PRIu64 ": a quoted "
					       "cell longer than 16 MiB (a quote that "
					       "is not closed?)", dm_stream_path(c->s),
					       c->line);
			if (!(q = realloc(*buf, want)))
				return dm_fail(err, "%s: out of memory",
					       dm_stream_path(c->s));
			*buf = q;
			*cap = want;
		}
		memcpy(*buf + used, p, len);
		used += len;
		(*buf)[used] = '\0';
		if (!quote_open(*buf, 0))
			break;
		if ((r = dm_stream_getline(c->s, &p, &len, err)) < 0)
			return -1;
		if (r == 0)
			break; /* split() says which quote is not closed */
		(*buf)[used++] = '\n';
	}
	*out = *buf;
	return 1;
}

int dm_csv_read(dm_stream *s, const dm_data_spec *spec, int keep,
		dm_dataset *d, dm_error *err)
{
	csv c = {.s = s, .spec = spec};
	unsigned skip = spec->header_lines;
	char *p = NULL, *buf = NULL;
	size_t cap = 0;
	int r;
	c.delim = spec->format == DM_FORMAT_TSV ? '\t' : ',';
	if (spec->header_names && skip == 0)
		skip = 1; /* the names are a header line */
	c.skip = skip;
	while ((r = record(&c, &p, &buf, &cap, err)) > 0)
		if ((r = line(&c, p, skip, keep, err)) < 0)
			break;
	free(buf);
	if (r == 0 && c.n == 0)
		r = dm_fail(err, "%s: no data rows", dm_stream_path(s));
	free(c.cells);
	if (r < 0) {
		dm_fvec_free(&c.x);
		dm_fvec_free(&c.y);
		return -1;
	}
	d->n = c.n;
	d->dim = c.ncols - !spec->no_labels;
	if (!keep)
		return 0;
	d->x = dm_fvec_take(&c.x, err);
	d->y = d->x ? dm_fvec_take(&c.y, err) : NULL;
	if (!d->y) {
		dm_fvec_free(&c.y);
		return dm_error_prefix(err, "%s", dm_stream_path(s));
	}
	return 0;
}
