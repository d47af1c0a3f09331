/* dict.c - fastText's dictionary (see dict.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"

/* Word bytes live in chunks that are never moved. */
struct dm_text_dict_arena {
	struct dm_text_dict_arena *next;
	size_t used, cap;
	char bytes[];
};

static char *arena_copy(dm_text_dict *d, const char *w, size_t len, dm_error *err)
{
	dm_text_dict_arena *a = d->arena;
	char *p;
	if (!a || a->cap - a->used < len + 1) {
		size_t cap = len + 1 > ((size_t)1 << 20) ? len + 1 : (size_t)1 << 20;
		if (!(a = malloc(sizeof *a + cap))) {
			dm_fail(err, "out of memory (the dictionary's words)");
			return NULL;
		}
		a->next = d->arena;
		a->used = 0;
		a->cap = cap;
		d->arena = a;
	}
	p = a->bytes + a->used;
	memcpy(p, w, len);
	p[len] = '\0';
	a->used += len + 1;
	return p;
}

int dm_text_dict_init(dm_text_dict *d, const dm_text_dict_cfg *cfg, dm_error *err)
{
	const char *prefix = cfg->label_prefix ? cfg->label_prefix : DM_TEXT_LABEL_PREFIX;
	memset(d, 0, sizeof *d);
	if (cfg->min_count < 1 || cfg->min_count_label < 0)
		return dm_fail(err, "Min-Count must be >= 1 (found %" PRId64 ") and "
			       "Min-Count-Label >= 0 (found %" PRId64 ")",
			       cfg->min_count, cfg->min_count_label);
	if (cfg->maxn < 0 || cfg->minn < 0 || (cfg->maxn > 0 && cfg->minn > cfg->maxn))
		return dm_fail(err, "expected 0 <= Min-N <= Max-N, found Min-N %d, Max-N %d",
			       cfg->minn, cfg->maxn);
	if (cfg->word_ngrams < 1)
		return dm_fail(err, "expected Word-Ngrams >= 1, found %d", cfg->word_ngrams);
	if ((cfg->maxn > 0 || cfg->word_ngrams > 1) &&
	    (cfg->bucket == 0 || cfg->bucket > INT32_MAX))
		return dm_fail(err, "expected Bucket in 1..%d with character or word "
			       "n-grams, found %" PRIu32, INT32_MAX, cfg->bucket);
	if (!*prefix)
		return dm_fail(err, "expected a Label-Prefix, found an empty one");
	d->cfg = *cfg;
	if (!(d->label_prefix = dm_strdup(prefix, err)))
		return -1;
	d->cfg.label_prefix = d->label_prefix;
	d->prefix_len = strlen(prefix);
	d->min_threshold = 1;
	return 0;
}

void dm_text_dict_free(dm_text_dict *d)
{
	dm_text_dict_arena *a = d->arena;
	while (a) {
		dm_text_dict_arena *next = a->next;
		free(a);
		a = next;
	}
	free(d->label_prefix);
	free(d->e);
	free(d->slot);
	free(d->sub_start);
	free(d->sub);
	memset(d, 0, sizeof *d);
}

dm_text_type dm_text_dict_type_of(const dm_text_dict *d, const char *w, size_t len)
{
	return len >= d->prefix_len && !memcmp(w, d->label_prefix, d->prefix_len) ?
		DM_TEXT_LABEL : DM_TEXT_WORD;
}

/* The slot of w: where it is, or the empty slot where it would go.  The
 * table's size changes nothing but speed: ids come from the entries'
 * order, never from slots. */
static size_t find_slot(const dm_text_dict *d, const char *w, size_t len, uint32_t h)
{
	size_t mask = d->nslots - 1, i = h & mask;
	for (;;) {
		int32_t k = d->slot[i];
		if (k < 0)
			return i;
		if (d->e[k].hash == h && d->e[k].len == len && !memcmp(d->e[k].word, w, len))
			return i;
		i = (i + 1) & mask;
	}
}

static int rebuild_slots(dm_text_dict *d, size_t want, dm_error *err)
{
	size_t n = 1024;
	while (n < 2 * want)
		n *= 2;
	if (n != d->nslots) {
		int32_t *s = realloc(d->slot, n * sizeof *s);
		if (!s)
			return dm_fail(err, "out of memory (the dictionary's table)");
		d->slot = s;
		d->nslots = n;
	}
	memset(d->slot, 0xff, d->nslots * sizeof *d->slot);
	for (size_t i = 0; i < d->size; i++)
		d->slot[find_slot(d, d->e[i].word, d->e[i].len, d->e[i].hash)] = (int32_t)i;
	return 0;
}

int32_t dm_text_dict_find(const dm_text_dict *d, const char *w, size_t len, uint32_t hash)
{
	if (!d->nslots)
		return -1;
	return d->slot[find_slot(d, w, len, hash)];
}

/* fastText's Dictionary::threshold: order, then drop the rare ones. */
static int threshold(dm_text_dict *d, int64_t t, int64_t tl, dm_error *err)
{
	size_t k = 0;
	dm_text_dict_sort(d->e, d->size);
	d->nwords = d->nlabels = 0;
	for (size_t i = 0; i < d->size; i++) {
		const dm_text_entry *e = &d->e[i];
		if (e->count < (e->type == DM_TEXT_WORD ? t : tl))
			continue;
		if (e->type == DM_TEXT_WORD)
			d->nwords++;
		else
			d->nlabels++;
		d->e[k++] = *e;
	}
	d->size = k;
	return rebuild_slots(d, d->size, err);
}

int dm_text_dict_add(dm_text_dict *d, const char *w, size_t len, dm_error *err)
{
	uint32_t h = dm_text_hash(w, len);
	size_t s;
	if (d->finished)
		return dm_fail(err, "internal: a token added to a finished dictionary");
	if (len > UINT32_MAX)
		return dm_fail(err, "a token of %zu bytes", len);
	if (2 * (d->size + 1) > d->nslots && rebuild_slots(d, d->size + 1, err) < 0)
		return -1;
	d->ntokens++;
	s = find_slot(d, w, len, h);
	if (d->slot[s] >= 0) {
		d->e[d->slot[s]].count++;
	} else {
		dm_text_entry *e;
		if (d->size == d->cap) {
			size_t c = d->cap ? 2 * d->cap : 1024;
			dm_text_entry *v = realloc(d->e, c * sizeof *v);
			if (!v)
				return dm_fail(err, "out of memory (%zu dictionary entries)", c);
			d->e = v;
			d->cap = c;
		}
		e = &d->e[d->size];
		if (!(e->word = arena_copy(d, w, len, err)))
			return -1;
		e->len = (uint32_t)len;
		e->hash = h;
		e->count = 1;
		e->type = dm_text_dict_type_of(d, w, len);
		d->slot[s] = (int32_t)d->size++;
	}
	/* as fastText: past 3/4 of its table, prune on the fly */
	if ((double)d->size > 0.75 * DM_TEXT_MAX_VOCAB) {
		d->min_threshold++;
		return threshold(d, d->min_threshold, d->min_threshold, err);
	}
	return 0;
}

int dm_text_dict_add_line(dm_text_dict *d, const dm_text_line *l, dm_error *err)
{
	for (size_t i = 0; i < l->n; i++)
		if (dm_text_dict_add(d, dm_text_token(l, i), l->len[i], err) < 0)
			return -1;
	return 0;
}

/* fastText's initNgrams: each word's rows, itself first ("</s>" alone,
 * and every word alone without character n-grams). */
static int init_subwords(dm_text_dict *d, dm_error *err)
{
	dm_text_ids all = {0};
	if (!(d->sub_start = malloc(((size_t)d->nwords + 1) * sizeof *d->sub_start)))
		return dm_fail(err, "out of memory (the subwords of %" PRId32 " words)",
			       d->nwords);
	for (int32_t i = 0; i < d->nwords; i++) {
		const dm_text_entry *e = &d->e[i];
		d->sub_start[i] = all.n;
		if (dm_text_ids_push(&all, i, err) < 0)
			goto fail;
		if (d->cfg.maxn > 0 && !dm_text_is_eos(e->word, e->len) &&
		    dm_text_subwords(e->word, e->len, d->cfg.minn, d->cfg.maxn,
				     d->cfg.bucket, d->nwords, &all, err) < 0)
			goto fail;
	}
	d->sub_start[d->nwords] = all.n;
	d->sub = all.v;
	return 0;
fail:
	dm_text_ids_free(&all);
	return -1;
}

int dm_text_dict_finish(dm_text_dict *d, dm_error *err)
{
	if (d->finished)
		return 0;
	if (threshold(d, d->cfg.min_count, d->cfg.min_count_label, err) < 0)
		return -1;
	if (d->size == 0)
		return dm_fail(err, "empty vocabulary: no word seen Min-Count (%" PRId64
			       ") times and no label Min-Count-Label (%" PRId64 ") times",
			       d->cfg.min_count, d->cfg.min_count_label);
	if ((uint64_t)d->nwords + d->cfg.bucket > INT32_MAX)
		return dm_fail(err, "expected at most %d rows, found %" PRId32
			       " words + Bucket %" PRIu32, INT32_MAX, d->nwords, d->cfg.bucket);
	if (init_subwords(d, err) < 0)
		return -1;
	d->finished = 1;
	return 0;
}

int dm_text_dict_adopt(dm_text_dict *d, const dm_text_entry *e, size_t n,
		       int64_t ntokens, dm_error *err)
{
	if (d->size || d->finished)
		return dm_fail(err, "internal: adopt into a dictionary that has entries");
	if (n > INT32_MAX)
		return dm_fail(err, "expected at most %d dictionary entries, found %zu",
			       INT32_MAX, n);
	if (!(d->e = dm_calloc(n ? n : 1, sizeof *d->e, err)))
		return -1;
	d->cap = n;
	for (size_t i = 0; i < n; i++) {
		dm_text_entry *t = &d->e[i];
		if (i && e[i].type < e[i - 1].type)
			return dm_fail(err, "dictionary entry %zu: expected the words before the "
				       "labels, found a word after a label", i);
		if (e[i].type != DM_TEXT_WORD && e[i].type != DM_TEXT_LABEL)
			return dm_fail(err, "dictionary entry %zu: expected type 0 (word) or 1 "
				       "(label), found %d", i, (int)e[i].type);
		if (!(t->word = arena_copy(d, e[i].word, e[i].len, err)))
			return -1;
		t->len = e[i].len;
		t->hash = dm_text_hash(e[i].word, e[i].len);
		t->count = e[i].count;
		t->type = e[i].type;
		if (t->type == DM_TEXT_WORD)
			d->nwords++;
		else
			d->nlabels++;
		d->size++;
	}
	d->ntokens = ntokens;
	if ((uint64_t)d->nwords + d->cfg.bucket > INT32_MAX)
		return dm_fail(err, "expected at most %d rows, found %" PRId32
			       " words + Bucket %" PRIu32, INT32_MAX, d->nwords, d->cfg.bucket);
	if (rebuild_slots(d, d->size, err) < 0 || init_subwords(d, err) < 0)
		return -1;
	d->finished = 1;
	return 0;
}

const int32_t *dm_text_dict_word_rows(const dm_text_dict *d, int32_t id, size_t *n)
{
	*n = d->sub_start[id + 1] - d->sub_start[id];
	return d->sub + d->sub_start[id];
}

int64_t dm_text_dict_line_ids(const dm_text_dict *d, const dm_text_line *l,
			      dm_text_ids *words, dm_text_ids *labels,
			      dm_error *err)
{
	uint32_t small[256], *hashes = small; /* most lines: no malloc */
	size_t nh = 0;
	int64_t ntokens = 0;
	words->n = labels->n = 0;
	if (l->n > 256 && !(hashes = malloc(l->n * sizeof *hashes)))
		return dm_fail(err, "out of memory (a line of %zu tokens)", l->n);
	for (size_t i = 0; i < l->n; i++) {
		const char *w = dm_text_token(l, i);
		size_t len = l->len[i];
		uint32_t h = dm_text_hash(w, len);
		int32_t id = dm_text_dict_find(d, w, len, h);
		dm_text_type type = id < 0 ? dm_text_dict_type_of(d, w, len) : d->e[id].type;
		int eos = dm_text_is_eos(w, len);
		ntokens++;
		if (type == DM_TEXT_WORD) {
			int r = 0;
			if (id < 0) {
				if (!eos)
					r = dm_text_subwords(w, len, d->cfg.minn, d->cfg.maxn,
							     d->cfg.bucket, d->nwords, words, err);
			} else {
				size_t n;
				const int32_t *rows = dm_text_dict_word_rows(d, id, &n);
				r = dm_text_ids_reserve(words, n, err);
				if (!r) {
					memcpy(words->v + words->n, rows, n * sizeof *rows);
					words->n += n;
				}
			}
			if (r < 0)
				goto fail;
			hashes[nh++] = h;
		} else if (id >= 0 && dm_text_ids_push(labels, id - d->nwords, err) < 0) {
			goto fail;
		}
		if (eos)
			break;
	}
	if (nh > 1 && dm_text_word_ngrams(hashes, nh, d->cfg.word_ngrams, d->cfg.bucket,
					  d->nwords, words, err) < 0)
		goto fail;
	if (hashes != small)
		free(hashes);
	return ntokens;
fail:
	if (hashes != small)
		free(hashes);
	return -1;
}
