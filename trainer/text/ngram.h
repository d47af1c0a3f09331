/* ngram.h - fastText's hashed rows: character n-grams of a word and word
 * n-grams of a line, as ids into the input matrix (nwords + bucket).
 *
 * The word vectors (skipgram, cbow) use the same functions: a word's
 * subwords do not depend on the model type.
 */
#ifndef DM_TEXT_NGRAM_H
#define DM_TEXT_NGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"

/* A growing array of int32 ids. */
typedef struct dm_text_ids {
	int32_t *v;
	size_t n, cap;
} dm_text_ids;

int dm_text_ids_reserve(dm_text_ids *ids, size_t more, dm_error *err);
static inline int dm_text_ids_push(dm_text_ids *ids, int32_t id, dm_error *err)
{
	if (ids->n == ids->cap && dm_text_ids_reserve(ids, 1, err) < 0)
		return -1;
	ids->v[ids->n++] = id;
	return 0;
}
void dm_text_ids_free(dm_text_ids *ids);

/* fastText's computeSubwords on "<" word ">": for each start that is not a
 * UTF-8 continuation byte (10xxxxxx), the n-grams of n = 1..maxn
 * characters that fit, where a character is a byte and the continuation
 * bytes after it; those with n >= minn are kept, except a 1-gram "<" or
 * ">".  Bytes are never validated: a stray continuation byte belongs to
 * the character before it, a lead byte without its continuations is a
 * character of one byte.  The whole "<word>" is one of them when it has at
 * most maxn characters.  Appends nwords + hash % bucket for each; bucket
 * must be > 0 unless maxn < 1 (no n-gram then). */
int dm_text_subwords(const char *word, size_t len, int minn, int maxn,
		     uint32_t bucket, int32_t nwords, dm_text_ids *out,
		     dm_error *err);

/* fastText's addWordNgrams over the hashes of the words of a line (labels
 * left out, "</s>" in): for each i and each j in i+1 .. i+n-1,
 *   h = h * 116049371 + hashes[j]   (uint64, from h = hashes[i])
 * appending nwords + h % bucket.  Each 32-bit hash enters as fastText's
 * int32 does, sign-extended to 64 bits.  Nothing when n < 2. */
int dm_text_word_ngrams(const uint32_t *hashes, size_t count, int n,
			uint32_t bucket, int32_t nwords, dm_text_ids *out,
			dm_error *err);

#endif
