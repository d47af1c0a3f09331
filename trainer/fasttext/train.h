/* train.h - fastText's supervised model, trained deterministically.
 *
 * The model is fastText's: the hidden vector is the mean of the input rows
 * of a line (its words, their character n-grams, its word n-grams, in
 * nwords + bucket rows), the output a linear layer over it with fastText's
 * losses (softmax, ns, hs over its Huffman tree, ova), plain SGD with its
 * linear learning-rate decay.
 *
 * What differs from fastText is the schedule, chosen so that the bits do
 * not depend on the thread count (docs/text-training.md): synchronous
 * sparse mini-batches of `batch` lines, in an order shuffled by the seed
 * each epoch.  Every line of a batch is computed from the weights as they
 * were at the start of the batch (in parallel over lines), then the
 * updates are applied in the order of the lines, each row by one thread
 * (in parallel over rows).  A row's sum thus has the same terms in the same
 * order for any number of threads.  batch 1 is plain sequential SGD.
 */
#ifndef DM_FT_TRAIN_H
#define DM_FT_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "fasttext/ftbin.h"
#include "fasttext/rows.h"
#include "math/pool.h"
#include "text/dict.h"

/* The training lines, as rows: each line its input rows (dict.h's
 * dm_text_dict_line_ids), its labels (0 .. nlabels-1) and its number of
 * tokens (for the learning rate's decay).  Lines without a label or
 * without a row are not kept (fastText skips them too). */
typedef struct dm_ft_corpus {
	size_t n, cap;
	size_t *start;     /* n + 1: line i's rows are ids[start[i] .. start[i+1]) */
	size_t *lstart;    /* n + 1: its labels are labels[lstart[i] .. lstart[i+1]) */
	uint32_t *tokens;  /* n */
	int32_t *ids, *labels;
	size_t nids, ids_cap, nlabels, labels_cap;
	uint64_t ntokens;  /* tokens of the kept lines */
	uint64_t skipped;  /* lines not kept */
} dm_ft_corpus;

/* Add one line: the rows and labels from dm_text_dict_line_ids, and the
 * number of tokens it returned. */
int dm_ft_corpus_add(dm_ft_corpus *c, const int32_t *ids, size_t nids,
		     const int32_t *labels, size_t nlabels, int64_t tokens, dm_error *err);
void dm_ft_corpus_free(dm_ft_corpus *c);

typedef struct dm_ft_train_cfg {
	int32_t dim;      /* Dim, 100 */
	int32_t epoch;    /* Epochs, 5 */
	int32_t neg;      /* Neg, 5 */
	int32_t loss;     /* DM_FT_LOSS_*, softmax */
	float lr;         /* Learning-Rate, 0.1 */
	int32_t batch;    /* Batch-Size: lines per synchronous step */
	uint64_t seed;
	/* a batch of fewer FLOPs is not split over threads (no bit changes);
	 * 0: DM_FT_PARALLEL_FLOPS.  The tests set 1 to split every batch. */
	uint64_t parallel_flops;
} dm_ft_train_cfg;

#define DM_FT_DEFAULT_BATCH 8
#define DM_FT_PARALLEL_FLOPS 250000
void dm_ft_train_defaults(dm_ft_train_cfg *cfg);
/* "softmax", "ns", "hs", "ova" -> DM_FT_LOSS_*; -1 for another name. */
int dm_ft_loss_parse(const char *s);

/* The trained weights: input (nwords + bucket) x dim, output nlabels x
 * dim, row-major; flops as counted while training. */
typedef struct dm_ft_weights {
	int64_t rows, nlabels;
	int32_t dim;
	float *input, *output;
	uint64_t flops;
	uint64_t examples; /* line updates made: kept lines x epochs */
	dm_ft_times times;  /* where the time went (rows.h) */
} dm_ft_weights;

/* The FLOPs that training will count, from the corpus alone (the order
 * and the targets are drawn from the seed as training draws them).  Per
 * line update: dim * (2 * rows + 2) + 6 * dim * outputs, where outputs is
 * nlabels (softmax, ova), 1 + neg (ns) or the target's depth in the tree
 * (hs). */
int dm_ft_train_estimate(const dm_text_dict *d, const dm_ft_corpus *c,
			 const dm_ft_train_cfg *cfg, uint64_t *flops, dm_error *err);

/* Train on c with dictionary d.  pool may be NULL (one thread); its size
 * changes no bit of the result. */
int dm_ft_train(const dm_text_dict *d, const dm_ft_corpus *c, const dm_ft_train_cfg *cfg,
		dm_pool *pool, dm_ft_weights *w, dm_error *err);
void dm_ft_weights_free(dm_ft_weights *w);

/* A fastText 0.9.2 model over d and w (no copy of the matrices: m points
 * into w and d; free it with dm_ft_model_view_free, not dm_ft_free). */
int dm_ft_model_view(const dm_text_dict *d, const dm_ft_train_cfg *cfg,
		     const dm_ft_weights *w, dm_ft_model *m, dm_error *err);
void dm_ft_model_view_free(dm_ft_model *m);

#endif
