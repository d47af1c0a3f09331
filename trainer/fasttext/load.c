/* load.c - text datasets into a dictionary and training lines (load.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fasttext/load.h"
#include "math/rng.h"

/* One pass over every dataset: fn on each record with its number. */
typedef int (*line_fn)(void *ctx, uint64_t no, const dm_text_line *l, dm_error *err);

static int each_line(dm_text_format fmt, const dm_text_sources *src, const char *prefix,
		     const dm_data_limits *lim, dm_file_record *records, line_fn fn,
		     void *ctx, dm_error *err)
{
	dm_text_line l = {0};
	uint64_t no = 0;
	int rc = 0;
	for (size_t k = 0; k < src->n && !rc; k++) {
		dm_text_reader *r = dm_text_reader_open(fmt, &src->v[k], prefix, lim, err);
		int got;
		if (!r) {
			rc = -1;
			break;
		}
		while ((got = dm_text_reader_next(r, &l, err)) > 0)
			if (fn(ctx, no++, &l, err)) {
				dm_text_error_at(err, src->v[k].path, l.lineno);
				got = -1;
				break;
			}
		if (got < 0) {
			dm_text_reader_abort(r);
			rc = -1;
		} else if (records) {
			free(records[k].path);
			rc = dm_text_reader_close(r, &records[k], err);
		} else {
			rc = dm_text_reader_close(r, NULL, err);
		}
	}
	dm_text_line_free(&l);
	return rc;
}

typedef struct counting {
	uint64_t lines, tokens;
} counting;

static int count_one(void *ctx, uint64_t no, const dm_text_line *l, dm_error *err)
{
	counting *c = ctx;
	(void)no, (void)err;
	c->lines++;
	c->tokens += l->n;
	return 0;
}

int dm_ft_count_lines(dm_text_format fmt, const dm_text_sources *src, const char *prefix,
		      const dm_data_limits *lim, uint64_t *lines, uint64_t *tokens,
		      dm_error *err)
{
	counting c = {0, 0};
	if (each_line(fmt, src, prefix, lim, NULL, count_one, &c, err))
		return -1;
	*lines = c.lines;
	if (tokens)
		*tokens = c.tokens;
	return 0;
}

int dm_ft_holdout_make(dm_ft_holdout *h, uint64_t lines, double fraction, uint64_t seed,
		       dm_error *err)
{
	uint64_t k = (uint64_t)(fraction * (double)lines + 0.5), *idx;
	dm_rng rng;
	memset(h, 0, sizeof *h);
	h->lines = lines;
	if (!k)
		return 0;
	if (!(h->held = dm_calloc(lines, 1, err)) || !(idx = dm_malloc(lines * sizeof *idx, err))) {
		dm_ft_holdout_free(h);
		return -1;
	}
	/* the first k of a Fisher-Yates permutation from the seed */
	for (uint64_t i = 0; i < lines; i++)
		idx[i] = i;
	dm_rng_seed(&rng, seed, DM_STREAM_SPLIT);
	for (uint64_t i = 0; i < k; i++) {
		uint64_t j = i + dm_rng_below(&rng, lines - i), t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
		h->held[idx[i]] = 1;
	}
	free(idx);
	return 0;
}

void dm_ft_holdout_free(dm_ft_holdout *h)
{
	free(h->held);
	memset(h, 0, sizeof *h);
}

static int held(const dm_ft_holdout *h, uint64_t no)
{
	return h && h->held && no < h->lines && h->held[no];
}

typedef struct adding {
	dm_text_dict *d;
	const dm_ft_holdout *h;
	dm_ft_corpus *train, *test;
	dm_text_ids w, lab;
} adding;

static int count_words(void *ctx, uint64_t no, const dm_text_line *l, dm_error *err)
{
	adding *a = ctx;
	return held(a->h, no) ? 0 : dm_text_dict_add_line(a->d, l, err);
}

static int add_rows(void *ctx, uint64_t no, const dm_text_line *l, dm_error *err)
{
	adding *a = ctx;
	dm_ft_corpus *c = held(a->h, no) ? a->test : a->train;
	int64_t tokens;
	if (!c)
		return 0;
	if ((tokens = dm_text_dict_line_ids(a->d, l, &a->w, &a->lab, err)) < 0)
		return -1;
	return dm_ft_corpus_add(c, a->w.v, a->w.n, a->lab.v, a->lab.n, tokens, err);
}

int dm_ft_load_rows(dm_text_format fmt, const dm_text_sources *src, const char *prefix,
		    const dm_data_limits *lim, dm_text_dict *d, dm_ft_corpus *c,
		    dm_file_record *records, dm_error *err)
{
	adding a = {d, NULL, c, NULL, {0}, {0}};
	int rc = each_line(fmt, src, prefix, lim, records, add_rows, &a, err);
	dm_text_ids_free(&a.w);
	dm_text_ids_free(&a.lab);
	return rc;
}

int dm_ft_load(dm_text_format fmt, const dm_text_sources *src, const char *prefix,
	       const dm_data_limits *lim, const dm_ft_holdout *h, dm_text_dict *d,
	       dm_ft_corpus *train, dm_ft_corpus *test, dm_file_record *records,
	       dm_error *err)
{
	adding a = {d, h, train, test, {0}, {0}};
	int rc = each_line(fmt, src, prefix, lim, NULL, count_words, &a, err) ||
			 dm_text_dict_finish(d, err) ||
			 each_line(fmt, src, prefix, lim, records, add_rows, &a, err)
		 ? -1 : 0;
	dm_text_ids_free(&a.w);
	dm_text_ids_free(&a.lab);
	return rc;
}

int dm_ft_load_held(dm_text_format fmt, const dm_text_sources *src, const char *prefix,
		    const dm_data_limits *lim, const dm_ft_holdout *h, dm_text_dict *d,
		    dm_ft_corpus *test, dm_error *err)
{
	adding a = {d, h, NULL, test, {0}, {0}};
	int rc = each_line(fmt, src, prefix, lim, NULL, add_rows, &a, err);
	dm_text_ids_free(&a.w);
	dm_text_ids_free(&a.lab);
	return rc;
}
