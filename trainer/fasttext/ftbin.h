/* ftbin.h - fastText 0.9.2's model file (.bin): a reader and a writer.
 *
 * The file is, in order (every number little-endian, see below):
 *   magic int32 793712314, version int32 (12; 11 is read too)
 *   args: dim ws epoch minCount neg wordNgrams loss model bucket minn maxn
 *         lrUpdateRate (int32 each), t (float64)
 *   dictionary: size nwords nlabels (int32), ntokens pruneidx_size (int64),
 *         size entries (the word's bytes, a NUL, count int64, type int8),
 *         then pruneidx_size pairs of int32 when it is positive
 *   quant_input (one byte), input matrix: m n (int64), m*n float32 row-major
 *   qout (one byte), output matrix: the same
 *
 * fastText writes its numbers in the host's byte order, so the files that
 * Debian's fasttext writes on amd64 (and every .bin that upstream ships)
 * are little-endian.  This code reads and writes little-endian on every
 * architecture, so a .bin made on s390x loads in fastText on amd64.
 *
 * Only unquantised models: a .ftz (quant_input set) is refused with a
 * message that says so.  What fastText itself refuses (an unquantised
 * model with a pruned dictionary) is refused too.  The reader checks
 * every count against the bytes left in the file before it allocates, so
 * a hostile file gives an error and never a crash or a huge allocation.
 */
#ifndef DM_FTBIN_H
#define DM_FTBIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "output/atomic.h"

enum {
	DM_FT_MAGIC = 793712314,
	DM_FT_VERSION = 12 /* what fastText 0.9.2 writes */
};

/* fastText's enums, with its numbers (args.h) */
enum { DM_FT_MODEL_CBOW = 1, DM_FT_MODEL_SKIPGRAM = 2, DM_FT_MODEL_SUPERVISED = 3 };
enum { DM_FT_LOSS_HS = 1, DM_FT_LOSS_NS = 2, DM_FT_LOSS_SOFTMAX = 3, DM_FT_LOSS_OVA = 4 };
enum { DM_FT_ENTRY_WORD = 0, DM_FT_ENTRY_LABEL = 1 };

/* The training arguments that fastText saves (the others, such as lr,
 * -label and -thread, are not in the file). */
typedef struct dm_ft_args {
	int32_t dim, ws, epoch, min_count, neg, word_ngrams;
	int32_t loss;  /* DM_FT_LOSS_* */
	int32_t model; /* DM_FT_MODEL_* */
	int32_t bucket, minn, maxn, lr_update_rate;
	double t;      /* sampling threshold */
} dm_ft_args;

typedef struct dm_ft_entry {
	char *word;   /* NUL-terminated; cannot hold a NUL (the file ends it there) */
	size_t len;
	int64_t count;
	int8_t type;  /* DM_FT_ENTRY_WORD or DM_FT_ENTRY_LABEL */
} dm_ft_entry;

/* m rows of n float32, row-major.  Input: nwords + bucket rows of dim;
 * output: nlabels rows (supervised) or nwords rows (skipgram, cbow). */
typedef struct dm_ft_matrix {
	int64_t m, n;
	float *data;
} dm_ft_matrix;

typedef struct dm_ft_model {
	int32_t version;      /* as read; the writer always writes 12, as fastText does */
	dm_ft_args args;
	/* the dictionary: words first, then labels, each by falling count */
	int32_t size, nwords, nlabels;
	int64_t ntokens;
	int64_t pruneidx_size; /* -1: not pruned (every unquantised model) */
	dm_ft_entry *entries;  /* size of them */
	int32_t (*pruneidx)[2]; /* pruneidx_size pairs, in file order, when > 0 */
	dm_ft_matrix input, output;
	/* quant_input and qout are always 0 here: the reader refuses others */
} dm_ft_model;

/* Does a file start with fastText's magic number?  buf holds its first n
 * bytes (4 are enough). */
int dm_ft_is_bin(const void *buf, size_t n);

/* Read a .bin.  where names the file in messages; size is the number of
 * bytes that f holds from its current position (the reader never trusts
 * a count beyond them).  On error, m is left empty (dm_ft_free-safe). */
int dm_ft_read_stream(FILE *f, uint64_t size, const char *where, dm_ft_model *m,
		      dm_error *err);
/* The same from memory. */
int dm_ft_read_mem(const void *buf, size_t n, const char *where, dm_ft_model *m, dm_error *err);
/* The same from a path (a regular file: base/file.h). */
int dm_ft_read(const char *path, dm_ft_model *m, dm_error *err);

/* The number of bytes dm_ft_write gives for m. */
uint64_t dm_ft_size(const dm_ft_model *m);
/* Write m as fastText 0.9.2 would save it: the same bytes, little-endian.
 * m is checked first (counts that agree with the entries, the matrices'
 * data present), so a half-filled struct is an error, not a bad file. */
int dm_ft_write_stream(const dm_ft_model *m, FILE *f, const char *where, dm_error *err);
/* The same into a malloc'd buffer (*n bytes). */
int dm_ft_write_mem(const dm_ft_model *m, unsigned char **buf, size_t *n, dm_error *err);
/* The same to path, atomically through a (output/atomic.h; NULL: a plain
 * write). */
int dm_ft_write(dm_atomic *a, const dm_ft_model *m, const char *path, dm_error *err);

/* The consistency the writer checks, usable on its own: nwords + nlabels
 * == size, the entries' types in that order, matrices of m*n floats. */
int dm_ft_check(const dm_ft_model *m, const char *where, dm_error *err);

/* fastText's names for the enums ("supervised", "softmax", ...), or "?". */
const char *dm_ft_model_name(int32_t model);
const char *dm_ft_loss_name(int32_t loss);

void dm_ft_free(dm_ft_model *m);

#endif
