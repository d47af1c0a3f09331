/* vectors.h - fastText's word vectors (skipgram and cbow), trained
 * deterministically.
 *
 * The model is fastText 0.9.2's: a word is the mean of its input rows (its
 * own and its character n-grams' in nwords + bucket rows), the output
 * matrix has one row per word, the loss is negative sampling over
 * fastText's unigram table (counts^0.5), frequent words are sub-sampled
 * with t, each centre's window is drawn from 1..ws, and the learning rate
 * decays linearly with the tokens read.
 *
 * The schedule differs (docs/text-vectors.md): synchronous sparse
 * mini-batches of `batch` centres in corpus order.  Every random draw
 * (sub-sampling, windows, the negatives' place in the shuffled table) is
 * made serially, in corpus order, from the seed; the centres of a batch
 * are then computed in parallel from the weights as they were at the start
 * of the batch, and their updates applied in the centres' order, each row
 * by one thread.  The thread count changes who computes, never what.
 */
#ifndef DM_FT_VECTORS_H
#define DM_FT_VECTORS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "fasttext/ftbin.h"
#include "fasttext/rows.h"
#include "math/pool.h"
#include "text/dict.h"

/* fastText's MAX_LINE_SIZE: getLine stops after this many tokens too. */
#define DM_FTV_MAX_LINE 1024

/* The training text as fastText's getLine gives it to skipgram/cbow: each
 * chunk (a line, or 1025 tokens of a longer one) the ids of its known
 * words ("</s>" included, labels and unknown tokens left out) and the
 * number of known tokens read for it (labels included), which drives the
 * learning rate's decay. */
typedef struct dm_ftv_corpus {
	size_t n, cap;
	size_t *start;      /* n + 1 */
	uint32_t *tokens;   /* n */
	int32_t *ids;
	size_t nids, ids_cap;
	uint64_t ntokens;   /* the sum of tokens */
} dm_ftv_corpus;

/* Add one line (token.h's, from a text reader) with a finished dictionary. */
int dm_ftv_corpus_add_line(dm_ftv_corpus *c, const dm_text_dict *d, const dm_text_line *l,
			   dm_error *err);
void dm_ftv_corpus_free(dm_ftv_corpus *c);

typedef struct dm_ftv_cfg {
	int32_t model;    /* DM_FT_MODEL_SKIPGRAM or DM_FT_MODEL_CBOW */
	int32_t dim;      /* Dim, 100 */
	int32_t ws;       /* Context-Window, 5 */
	int32_t epoch;    /* Epochs, 5 */
	int32_t neg;      /* Neg, 5 */
	float lr;         /* Learning-Rate, 0.05 */
	double t;         /* Sampling-Threshold, 1e-4 */
	int32_t batch;    /* Batch-Size: centres per synchronous step */
	uint64_t seed;
	/* a batch of fewer FLOPs runs on the calling thread (no bit changes);
	 * 0: DM_FTV_PARALLEL_FLOPS.  The tests set 1 to split every batch. */
	uint64_t parallel_flops;
} dm_ftv_cfg;

#define DM_FTV_PARALLEL_FLOPS 250000

#define DM_FTV_DEFAULT_BATCH 32
void dm_ftv_defaults(dm_ftv_cfg *cfg, int32_t model);
/* fastText's dictionary defaults for skipgram/cbow: Min-Count 5, Min-N 3,
 * Max-N 6, Bucket 2000000, Word-Ngrams 1. */
void dm_ftv_dict_defaults(dm_text_dict_cfg *dc);

typedef struct dm_ftv_weights {
	int64_t rows;       /* nwords + bucket */
	int32_t nwords, dim;
	float *input, *output;
	uint64_t flops;
	uint64_t centres;   /* updates made */
	dm_ft_times times;  /* where the time went (rows.h) */
} dm_ftv_weights;

/* The FLOPs that training will count: the same serial draws replayed
 * (sub-sampling and windows decide the work).  Per centre with contexts:
 * dim * (2 * rows + 1) + 6 * dim * outputs, rows the input rows (the
 * centre's for skipgram, its contexts' for cbow), outputs (1 + neg) per
 * context (skipgram) or 1 + neg (cbow). */
int dm_ftv_estimate(const dm_text_dict *d, const dm_ftv_corpus *c, const dm_ftv_cfg *cfg,
		    uint64_t *flops, uint64_t *centres, dm_error *err);

/* Train.  pool may be NULL; its size changes no bit of the result. */
int dm_ftv_train(const dm_text_dict *d, const dm_ftv_corpus *c, const dm_ftv_cfg *cfg,
		 dm_pool *pool, dm_ftv_weights *w, dm_error *err);
void dm_ftv_weights_free(dm_ftv_weights *w);

/* ---- vec.c: the outputs ---- */

/* A fastText 0.9.2 model over d and w (no copy of the matrices; free with
 * dm_ft_model_view_free). */
int dm_ftv_model_view(const dm_text_dict *d, const dm_ftv_cfg *cfg, const dm_ftv_weights *w,
		      dm_ft_model *m, dm_error *err);

/* fastText's getWordVector from a model's input matrix: the mean of the
 * rows of the word (its id and n-grams if known, else its n-grams only;
 * zero without any).  d is the model's dictionary (dm_text_dict_adopt or
 * the training one). */
int dm_ftv_word_vector(const dm_text_dict *d, const float *input, int32_t dim, const char *w,
		       size_t len, float *out, dm_text_ids *scratch, dm_error *err);

/* The dictionary of a fastText .bin (its entries, its minn, maxn and
 * bucket), for dm_ftv_word_vector. */
int dm_ftv_dict_from_model(const dm_ft_model *m, dm_text_dict *d, dm_error *err);

/* fastText's nn: the k words nearest to w (known or not) by cosine, the
 * word itself left out, most similar first. */
typedef struct dm_ftv_neighbour {
	int32_t id;
	float sim;
} dm_ftv_neighbour;
int dm_ftv_nearest(const dm_text_dict *d, const float *input, int32_t dim, const char *w,
		   size_t len, int32_t k, dm_ftv_neighbour *out, size_t *count, dm_error *err);

/* One line of fastText's .vec / print-word-vectors: the word, then each
 * value as C++'s ostream with setprecision(5) ("%.5g") and a space. */
int dm_ftv_print_row(FILE *f, const char *w, size_t len, const float *v, int32_t dim);

/* fastText's saveVectors: "nwords dim", then a row per word (atomically
 * through a, as dm_ft_write). */
int dm_ftv_write_vec(dm_atomic *a, const dm_text_dict *d, const float *input, int32_t dim, const char *path,
		     dm_error *err);
/* The same text in memory (*out malloc'd, *len bytes); path names it in
 * messages. */
int dm_ftv_vec_text(const dm_text_dict *d, const float *input, int32_t dim, const char *path,
		    char **out, size_t *len, dm_error *err);
/* The same two, the rows formatted by the threads of pool (NULL: this
 * one) in parts joined in order: the bytes do not depend on threads. */
int dm_ftv_vec_text_pool(dm_pool *pool, const dm_text_dict *d, const float *input, int32_t dim,
			 const char *path, char **out, size_t *len, dm_error *err);
int dm_ftv_write_vec_pool(dm_pool *pool, dm_atomic *a, const dm_text_dict *d, const float *input,
			  int32_t dim, const char *path, dm_error *err);

#endif
