/* fttrain_driver.c - for tests/cross/ftbin-cross.sh: train the supervised
 * model (trainer/fasttext/train.h) on a fastText file with fastText's
 * defaults but dim 6, epoch 3, word bigrams and character 2..4-grams in
 * 200 buckets, and write the .bin, so that every architecture's bytes can
 * be compared with the native build's.
 *
 *   fttrain_driver TRAIN.txt OUT.bin LOSS THREADS
 *
 * The file is read with trainer/text's tokenizer (not text/source.c, which
 * needs libarchive, not installed for the cross compilers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasttext/train.h"

static ptrdiff_t read_file(void *ctx, void *buf, size_t n, dm_error *err)
{
	(void)err;
	return (ptrdiff_t)fread(buf, 1, n, ctx);
}

static int pass(const char *path, dm_text_dict *d, dm_ft_corpus *c, dm_error *err)
{
	FILE *f = fopen(path, "rb");
	dm_text_tokenizer *t = malloc(sizeof *t);
	dm_text_line l = {0};
	dm_text_ids w = {0}, lab = {0};
	int rc = 0;
	if (!f || !t)
		return dm_fail(err, "%s: cannot open", path);
	dm_text_tokenizer_init(t, read_file, f, path);
	while (!rc && (rc = dm_text_read_line(t, &l, err)) == 1) {
		int64_t k;
		if (!c)
			rc = dm_text_dict_add_line(d, &l, err);
		else if ((k = dm_text_dict_line_ids(d, &l, &w, &lab, err)) < 0)
			rc = -1;
		else
			rc = dm_ft_corpus_add(c, w.v, w.n, lab.v, lab.n, k, err);
	}
	fclose(f);
	free(t);
	dm_text_line_free(&l);
	dm_text_ids_free(&w);
	dm_text_ids_free(&lab);
	return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	dm_error err = {"", 0};
	dm_text_dict_cfg dc = {.label_prefix = DM_TEXT_LABEL_PREFIX, .min_count = 1,
			       .word_ngrams = 2, .minn = 2, .maxn = 4, .bucket = 200};
	dm_ft_train_cfg tc;
	dm_text_dict d;
	dm_ft_corpus c = {0};
	dm_ft_weights w;
	dm_ft_model m;
	dm_pool *pool = NULL;
	if (argc != 5)
		return fprintf(stderr, "usage: fttrain_driver TRAIN OUT.bin LOSS THREADS\n"), 2;
	dm_ft_train_defaults(&tc);
	tc.dim = 6;
	tc.epoch = 3;
	tc.neg = 3;
	tc.seed = 5;
	tc.parallel_flops = 1;   /* every batch over the threads */
	tc.loss = dm_ft_loss_parse(argv[3]);
	if (dm_text_dict_init(&d, &dc, &err) || pass(argv[1], &d, NULL, &err) ||
	    dm_text_dict_finish(&d, &err) || pass(argv[1], &d, &c, &err) ||
	    (atoi(argv[4]) > 1 && !(pool = dm_pool_new(atoi(argv[4]), &err))) ||
	    dm_ft_train(&d, &c, &tc, pool, &w, &err) || dm_ft_model_view(&d, &tc, &w, &m, &err) ||
	    dm_ft_write(NULL, &m, argv[2], &err))
		return fprintf(stderr, "%s\n", err.msg), 1;
	dm_ft_model_view_free(&m);
	dm_ft_weights_free(&w);
	dm_ft_corpus_free(&c);
	dm_text_dict_free(&d);
	dm_pool_free(pool);
	return 0;
}
