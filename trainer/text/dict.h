/* dict.h - fastText's dictionary: words and labels with their counts, in
 * fastText's order, so that ids (and the .bin's dictionary) match.
 *
 * Tokens are added in the order of the training text (every token counts,
 * "</s>" too; ntokens is their number).  dm_text_dict_finish() then keeps
 * the words seen at least min_count times and the labels seen at least
 * min_count_label times, ordered as fastText's Dictionary::threshold
 * orders them: words before labels, then by count, largest first; ties
 * keep the order that libstdc++'s std::sort leaves them in (not first
 * seen), which dict_sort.c reproduces.  Ids: words 0..nwords-1, labels
 * nwords..size-1 (label index = id - nwords).
 */
#ifndef DM_TEXT_DICT_H
#define DM_TEXT_DICT_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "ngram.h"
#include "token.h"

/* fastText's defaults for the supervised model (fasttext supervised). */
#define DM_TEXT_LABEL_PREFIX "__label__"
/* fastText's MAX_VOCAB_SIZE: past 0.75 of it, reading prunes rare
 * entries on the fly, as fastText does. */
#define DM_TEXT_MAX_VOCAB 30000000

typedef enum dm_text_type { DM_TEXT_WORD = 0, DM_TEXT_LABEL = 1 } dm_text_type;

typedef struct dm_text_dict_cfg {
	const char *label_prefix;   /* Label-Prefix; tokens starting with it are labels */
	int64_t min_count;          /* Min-Count: words */
	int64_t min_count_label;    /* Min-Count-Label: labels */
	int minn, maxn;             /* Min-N, Max-N: character n-grams (maxn 0: none) */
	int word_ngrams;            /* Word-Ngrams (1: none) */
	uint32_t bucket;            /* Bucket: hashed rows after the words */
} dm_text_dict_cfg;

typedef struct dm_text_entry {
	const char *word;  /* NUL-terminated (and len bytes, which may hold NUL: never) */
	uint32_t len;
	uint32_t hash;     /* dm_text_hash(word) */
	int64_t count;
	dm_text_type type;
} dm_text_entry;

typedef struct dm_text_dict_arena dm_text_dict_arena;

typedef struct dm_text_dict {
	dm_text_dict_cfg cfg;
	char *label_prefix;       /* the dictionary's own copy */
	size_t prefix_len;
	dm_text_entry *e;         /* size entries: words, then labels */
	size_t size, cap;
	int32_t nwords, nlabels;
	int64_t ntokens;          /* tokens added */
	int32_t *slot;            /* open addressing: entry index or -1 */
	size_t nslots;
	int64_t min_threshold;    /* the on-the-fly pruning's current count */
	dm_text_dict_arena *arena;
	/* after finish: the rows of word i are
	 * sub[sub_start[i] .. sub_start[i+1]): i itself, then its subwords */
	size_t *sub_start;
	int32_t *sub;
	int finished;
} dm_text_dict;

/* cfg.label_prefix is copied.  Checks the numbers (Bucket > 0 when there
 * are n-grams, minn <= maxn, ...) with messages that name fastText's
 * options. */
int dm_text_dict_init(dm_text_dict *d, const dm_text_dict_cfg *cfg, dm_error *err);
void dm_text_dict_free(dm_text_dict *d);

/* 1 if the token is a label by its prefix. */
dm_text_type dm_text_dict_type_of(const dm_text_dict *d, const char *w, size_t len);

/* Count one token (fastText's Dictionary::add). */
int dm_text_dict_add(dm_text_dict *d, const char *w, size_t len, dm_error *err);
/* Count every token of a line. */
int dm_text_dict_add_line(dm_text_dict *d, const dm_text_line *l, dm_error *err);

/* Threshold, order, ids, subwords.  An empty result is an error
 * ("empty vocabulary", as fastText).  No more adds after it. */
int dm_text_dict_finish(dm_text_dict *d, dm_error *err);

/* A dictionary read from a file (fastText's .bin): the entries as they
 * are, in their order (words, then labels), with ntokens as recorded; the
 * words are copied.  Like dm_text_dict_finish(), it leaves d finished.
 * d must come from dm_text_dict_init() with no token added. */
int dm_text_dict_adopt(dm_text_dict *d, const dm_text_entry *e, size_t n,
		       int64_t ntokens, dm_error *err);

/* The id of a word or label, or -1. */
int32_t dm_text_dict_find(const dm_text_dict *d, const char *w, size_t len,
			  uint32_t hash);

/* fastText's supervised Dictionary::getLine on one line (finished
 * dictionary): words gets, for each word token (known or not, "</s>"
 * included), its rows (the word id and its subwords' rows, or for an
 * unknown word its subwords' rows only), then the word n-grams' rows;
 * labels gets the label index (id - nwords) of each known label.  Both
 * are cleared first.  Returns the number of tokens looked at. */
int64_t dm_text_dict_line_ids(const dm_text_dict *d, const dm_text_line *l,
			      dm_text_ids *words, dm_text_ids *labels,
			      dm_error *err);

/* The rows of known word id: id, then its subwords (maxn > 0). */
const int32_t *dm_text_dict_word_rows(const dm_text_dict *d, int32_t id,
				      size_t *n);

/* libstdc++'s std::sort of the entries by (type, count descending), as
 * fastText compiled with g++ orders them (dict_sort.c). */
void dm_text_dict_sort(dm_text_entry *e, size_t n);

#endif
