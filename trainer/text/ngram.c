/* ngram.c - character and word n-grams (see ngram.h). */
#include <stdlib.h>

#include "ngram.h"
#include "token.h"

int dm_text_ids_reserve(dm_text_ids *ids, size_t more, dm_error *err)
{
	size_t need = ids->n + more, c = ids->cap ? ids->cap : 64;
	int32_t *v;
	if (need <= ids->cap)
		return 0;
	while (c < need)
		c *= 2;
	if (c > SIZE_MAX / sizeof *v || !(v = realloc(ids->v, c * sizeof *v)))
		return dm_fail(err, "out of memory (%zu ids)", c);
	ids->v = v;
	ids->cap = c;
	return 0;
}

void dm_text_ids_free(dm_text_ids *ids)
{
	free(ids->v);
	ids->v = NULL;
	ids->n = ids->cap = 0;
}

/* Byte i of "<" word ">". */
static inline unsigned char at(const char *word, size_t len, size_t i)
{
	return i == 0 ? '<' : i == len + 1 ? '>' : (unsigned char)word[i - 1];
}

static inline int continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

int dm_text_subwords(const char *word, size_t len, int minn, int maxn,
		     uint32_t bucket, int32_t nwords, dm_text_ids *out,
		     dm_error *err)
{
	size_t total = len + 2;
	if (maxn < 1)
		return 0;
	if (!bucket)
		return dm_fail(err, "character n-grams (Max-N %d) need Bucket > 0", maxn);
	for (size_t i = 0; i < total; i++) {
		uint32_t h = DM_TEXT_HASH_INIT;
		size_t j = i;
		if (continuation(at(word, len, i)))
			continue;
		for (int n = 1; j < total && n <= maxn; n++) {
			h = dm_text_hash_byte(h, at(word, len, j++));
			while (j < total && continuation(at(word, len, j)))
				h = dm_text_hash_byte(h, at(word, len, j++));
			if (n >= minn && !(n == 1 && (i == 0 || j == total)) &&
			    dm_text_ids_push(out, nwords + (int32_t)(h % bucket), err) < 0)
				return -1;
		}
	}
	return 0;
}

int dm_text_word_ngrams(const uint32_t *hashes, size_t count, int n,
			uint32_t bucket, int32_t nwords, dm_text_ids *out,
			dm_error *err)
{
	if (n < 2)
		return 0;
	if (!bucket)
		return dm_fail(err, "word n-grams (Word-Ngrams %d) need Bucket > 0", n);
	for (size_t i = 0; i < count; i++) {
		/* fastText keeps the hashes as int32_t: sign-extended here */
		uint64_t h = (uint64_t)(int64_t)(int32_t)hashes[i];
		for (size_t j = i + 1; j < count && j < i + (size_t)n; j++) {
			h = h * 116049371u + (uint64_t)(int64_t)(int32_t)hashes[j];
			if (dm_text_ids_push(out, nwords + (int32_t)(h % bucket), err) < 0)
				return -1;
		}
	}
	return 0;
}
