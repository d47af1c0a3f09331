/* ftvec_driver.c - for tests/cross/ftvec-cross.sh: train word vectors
 * (trainer/fasttext/vectors.h) on a text with fastText's defaults but dim
 * 8, epoch 3, Min-Count 2, character 2..4-grams in 300 buckets, and write
 * the .bin and the .vec, so that every architecture's bytes can be
 * compared with the native build's.
 *
 *   ftvec_driver TEXT OUT skipgram|cbow THREADS      (OUT.bin, OUT.vec)
 *
 * The file is read with trainer/text's tokenizer (not text/source.c, which
 * needs libarchive, not installed for the cross compilers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasttext/train.h"
#include "fasttext/vectors.h"

static ptrdiff_t read_file(void *ctx, void *buf, size_t n, dm_error *err)
{
	(void)err;
	return (ptrdiff_t)fread(buf, 1, n, ctx);
}

static int pass(const char *path, dm_text_dict *d, dm_ftv_corpus *c, dm_error *err)
{
	FILE *f = fopen(path, "rb");
	dm_text_tokenizer *t = malloc(sizeof *t);
	dm_text_line l = {0};
	int rc = 0;
	if (!f || !t)
		return dm_fail(err, "%s: cannot open", path);
	dm_text_tokenizer_init(t, read_file, f, path);
	while (!rc && (rc = dm_text_read_line(t, &l, err)) == 1)
		rc = c ? dm_ftv_corpus_add_line(c, d, &l, err) : dm_text_dict_add_line(d, &l, err);
	fclose(f);
	free(t);
	dm_text_line_free(&l);
	return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	dm_error err = {"", 0};
	dm_text_dict_cfg dc;
	dm_ftv_cfg tc;
	dm_text_dict d;
	dm_ftv_corpus c = {0};
	dm_ftv_weights w;
	dm_ft_model m;
	dm_pool *pool = NULL;
	char bin[4096], vec[4096];
	if (argc != 5)
		return fprintf(stderr, "usage: ftvec_driver TEXT OUT skipgram|cbow THREADS\n"), 2;
	dm_ftv_defaults(&tc, strcmp(argv[3], "cbow") ? DM_FT_MODEL_SKIPGRAM : DM_FT_MODEL_CBOW);
	dm_ftv_dict_defaults(&dc);
	tc.dim = 8;
	tc.epoch = 3;
	tc.seed = 9;
	tc.parallel_flops = 1;   /* every batch over the threads */
	dc.min_count = 2;
	dc.minn = 2;
	dc.maxn = 4;
	dc.bucket = 300;
	snprintf(bin, sizeof bin, "%s.bin", argv[2]);
	snprintf(vec, sizeof vec, "%s.vec", argv[2]);
	if (dm_text_dict_init(&d, &dc, &err) || pass(argv[1], &d, NULL, &err) ||
	    dm_text_dict_finish(&d, &err) || pass(argv[1], &d, &c, &err) ||
	    (atoi(argv[4]) > 1 && !(pool = dm_pool_new(atoi(argv[4]), &err))) ||
	    dm_ftv_train(&d, &c, &tc, pool, &w, &err) || dm_ftv_model_view(&d, &tc, &w, &m, &err) ||
	    dm_ft_write(NULL, &m, bin, &err) || dm_ftv_write_vec(NULL, &d, w.input, w.dim, vec, &err))
		return fprintf(stderr, "%s\n", err.msg), 1;
	dm_ft_model_view_free(&m);
	dm_ftv_weights_free(&w);
	dm_ftv_corpus_free(&c);
	dm_text_dict_free(&d);
	dm_pool_free(pool);
	return 0;
}
