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
 * The tokens, the hash, the lookup, the character and word n-grams are
 * trainer/text/'s (one implementation of each of fastText's rules): the
 * .bin's entries become a dm_text_dict, each line's rows come from
 * dm_text_dict_line_ids.  What is here is the arithmetic.
 */
#ifndef DM_FTPREDICT_H
#define DM_FTPREDICT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "fasttext/ftbin.h"
#include "text/dict.h"

typedef struct dm_ft_prediction {
	float logp;    /* fastText's score: log(p + 1e-5); exp gives predict-prob's number */
	int32_t label; /* 0 .. nlabels-1; its entry is nwords + label */
} dm_ft_prediction;

typedef struct dm_ft_predictor {
	const dm_ft_model *m;
	dm_text_dict dict;	       /* the .bin's dictionary, with its args */
	float sigmoid[513];
	int32_t *left, *right;	       /* hs: the tree, 2*nlabels-1 nodes */
	float *hidden, *output;
	/* the current line: ids the input rows, labels the known labels on it
	 * (0 .. nlabels-1); both point into words and label_ids */
	int32_t *ids, *labels;
	size_t nids, nlabels;
	dm_text_ids words, label_ids;
	dm_text_line line;
	/* the text being read, from memory */
	dm_text_tokenizer *tok;
	struct dm_ft_text_src { const char *text; size_t n, off; } src;
	/* the k best */
	dm_ft_prediction *heap, *stack_score;
	int32_t *stack;
} dm_ft_predictor;

/* Check that m can predict (supervised, matrices of the shapes its args
 * and dictionary give, the buckets that its n-grams need) and build the
 * dictionary (trainer/text), the sigmoid table and the hs tree. */
int dm_ft_predictor_init(dm_ft_predictor *p, const dm_ft_model *m, const char *where,
			 dm_error *err);
void dm_ft_predictor_free(dm_ft_predictor *p);

/* Read one line of text[*pos .. n) as fastText's getLine does: p->ids the
 * input rows, p->labels the known labels on it.  Returns 1 for a line
 * (possibly with no ids), 0 at the end of the text, -1 on error.  Calls
 * that go on where the last one left *pos read on from the tokenizer's
 * buffer, so text must not change between them. */
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
