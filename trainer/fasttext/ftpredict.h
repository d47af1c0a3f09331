/* ftpredict.h - fastText 0.9.2's predict and test, from a .bin alone.
 *
 * The same numbers as `fasttext predict-prob` and `fasttext test`, in the
 * same order: a line is split into tokens as fastText splits it (its
 * whitespace set, "</s>" at each newline, a line also ending at a literal
 * "</s>"), each word becomes its row (or, with character n-grams, its row
 * and the rows of its n-grams, hashed with FNV-1a where bytes >= 0x80 are
 * sign-extended), word n-grams their hashed rows; the hidden vector is the
 * mean of those input rows; then softmax, the sigmoid of each label (ns,
 * ova: fastText's 512-entry table), or the best-first search down
 * fastText's Huffman tree (hs); the k best kept in a heap that breaks ties
 * as libstdc++'s std::push_heap/pop_heap/sort_heap do, so that even equal
 * probabilities come out in fastText's order.
 *
 * The tokeniser and the hashing here are the minimum that prediction
 * needs, looked up in the .bin's own dictionary; trainer/text/ has the
 * full ones (to be merged: see the report of branch issue-21-ftbin).
 */
#ifndef DM_FTPREDICT_H
#define DM_FTPREDICT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "fasttext/ftbin.h"

typedef struct dm_ft_prediction {
	float logp;    /* fastText's score: log(p + 1e-5); exp gives predict-prob's number */
	int32_t label; /* 0 .. nlabels-1; its entry is nwords + label */
} dm_ft_prediction;

typedef struct dm_ft_predictor {
	const dm_ft_model *m;
	int32_t *word2int, table_size; /* fastText's open-addressing table */
	float sigmoid[513];
	int32_t *left, *right;	       /* hs: the tree, 2*nlabels-1 nodes */
	float *hidden, *output;
	/* the current line */
	int32_t *ids, *labels;
	size_t nids, nlabels, cap_ids, cap_labels;
	int32_t *hashes;	       /* the words' hashes, for word n-grams */
	size_t nhashes, cap_hashes;
	char *token;
	size_t cap_token;
	/* the k best */
	dm_ft_prediction *heap, *stack_score;
	int32_t *stack;
} dm_ft_predictor;

/* Check that m can predict (supervised, matrices of the shapes its args
 * and dictionary give, the buckets that its n-grams need) and build the
 * lookup table, the sigmoid table and the hs tree. */
int dm_ft_predictor_init(dm_ft_predictor *p, const dm_ft_model *m, const char *where,
			 dm_error *err);
void dm_ft_predictor_free(dm_ft_predictor *p);

/* fastText's hash of a token (FNV-1a over signed chars). */
uint32_t dm_ft_hash(const char *s, size_t n);

/* Read one line of text[*pos .. n) as fastText's getLine does: p->ids the
 * input rows, p->labels the known labels on it.  Returns 1 for a line
 * (possibly with no ids), 0 at the end of the text, -1 on error. */
int dm_ft_next_line(dm_ft_predictor *p, const char *text, size_t n, size_t *pos, dm_error *err);

/* The k best labels of the current line with a probability of at least
 * threshold, best first, in out (room for k), their number in *count; no
 * ids gives none, as in fastText. */
int dm_ft_predict_line(dm_ft_predictor *p, int32_t k, float threshold, dm_ft_prediction *out,
		       size_t *count, dm_error *err);

/* fastText's `test`: lines with a known label and some ids, precision
 * and recall at k. */
typedef struct dm_ft_test {
	int64_t examples, gold, predicted, predicted_gold;
} dm_ft_test;
int dm_ft_test_text(dm_ft_predictor *p, const char *text, size_t n, int32_t k, float threshold,
		    dm_ft_test *t, dm_error *err);

#endif
