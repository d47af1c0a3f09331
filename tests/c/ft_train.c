/* ft_train.c - the supervised trainer (trainer/fasttext/train.h) with
 * fastText's command-line options, for the tests and the benchmark:
 *
 *   ft_train -input FILE -output PREFIX [-loss softmax|ns|hs|ova] [-dim N]
 *            [-epoch N] [-lr X] [-wordNgrams N] [-minn N] [-maxn N]
 *            [-bucket N] [-minCount N] [-minCountLabel N] [-neg N]
 *            [-label PREFIX] [-seed N] [-thread N] [-batch N]
 *            [-parallelFlops N]   (1: split every batch over the threads)
 *
 * writes PREFIX.bin (dm_ft_write) and prints "flops ESTIMATE COUNTED",
 * "lines N", "tokens N", then where the time went, in wall seconds: "time
 * load L estimate E init I train T (cpu C) write W", C the CPU seconds of
 * all threads in training, and fastText's progress figure
 * "words/sec/thread N" (tokens x epochs / T / threads).  As fastText,
 * -bucket becomes 0 when there is no n-gram (wordNgrams 1, maxn 0).  An error: "error: MESSAGE", exit 1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fasttext/load.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	double t0, t_load, t_est, t_train, t_write;
	dm_error err = {0};
	dm_text_dict_cfg dc = {.label_prefix = DM_TEXT_LABEL_PREFIX, .min_count = 1,
			       .min_count_label = 0, .word_ngrams = 1, .bucket = 2000000};
	dm_ft_train_cfg tc;
	const char *input = NULL, *output = NULL;
	int threads = 1;
	long bucket = 2000000;
	dm_text_source s = {0};
	dm_text_sources src = {&s, 1};
	dm_data_limits lim = {0};
	dm_text_dict d;
	dm_ft_corpus c = {0};
	dm_ft_weights w;
	dm_ft_model m;
	dm_pool *pool = NULL;
	uint64_t est = 0;
	char path[4096];
	dm_ft_train_defaults(&tc);
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];
		if (!strcmp(o, "-input")) input = v;
		else if (!strcmp(o, "-output")) output = v;
		else if (!strcmp(o, "-loss")) tc.loss = dm_ft_loss_parse(v);
		else if (!strcmp(o, "-dim")) tc.dim = atoi(v);
		else if (!strcmp(o, "-epoch")) tc.epoch = atoi(v);
		else if (!strcmp(o, "-lr")) tc.lr = strtof(v, NULL);
		else if (!strcmp(o, "-neg")) tc.neg = atoi(v);
		else if (!strcmp(o, "-batch")) tc.batch = atoi(v);
		else if (!strcmp(o, "-parallelFlops")) tc.parallel_flops = strtoull(v, NULL, 10);
		else if (!strcmp(o, "-seed")) tc.seed = strtoull(v, NULL, 10);
		else if (!strcmp(o, "-thread")) threads = atoi(v);
		else if (!strcmp(o, "-wordNgrams")) dc.word_ngrams = atoi(v);
		else if (!strcmp(o, "-minn")) dc.minn = atoi(v);
		else if (!strcmp(o, "-maxn")) dc.maxn = atoi(v);
		else if (!strcmp(o, "-bucket")) bucket = atol(v);
		else if (!strcmp(o, "-minCount")) dc.min_count = atol(v);
		else if (!strcmp(o, "-minCountLabel")) dc.min_count_label = atol(v);
		else if (!strcmp(o, "-label")) dc.label_prefix = v;
		else {
			printf("error: unknown option %s\n", o);
			return 2;
		}
	}
	if (!input || !output) {
		printf("error: -input and -output are needed\n");
		return 2;
	}
	dc.bucket = dc.word_ngrams <= 1 && dc.maxn == 0 ? 0 : (uint32_t)bucket;
	s.path = (char *)input;
	snprintf(path, sizeof path, "%s.bin", output);
	if (dm_text_dict_init(&d, &dc, &err))
		goto fail;
	t0 = now();
	if (dm_ft_load(DM_TEXT_FASTTEXT, &src, dc.label_prefix, &lim, NULL, &d, &c, NULL, NULL,
		       &err))
		goto fail;
	t_load = now();
	if (dm_ft_train_estimate(&d, &c, &tc, &est, &err))
		goto fail;
	t_est = now();
	if ((threads > 1 && !(pool = dm_pool_new(threads, &err))) ||
	    dm_ft_train(&d, &c, &tc, pool, &w, &err))
		goto fail;
	t_train = now();
	if (dm_ft_model_view(&d, &tc, &w, &m, &err) || dm_ft_write(NULL, &m, path, &err))
		goto fail;
	t_write = now();
	printf("flops %" PRIu64 " %" PRIu64 "\nlines %zu\ntokens %" PRIu64 "\n", est, w.flops,
	       c.n, c.ntokens);
	printf("time load %.3f estimate %.3f init %.3f train %.3f (cpu %.3f) write %.3f\n",
	       t_load - t0, t_est - t_load, w.times.init_seconds, w.times.train_seconds, w.times.train_cpu_seconds,
	       t_write - t_train);
	printf("words/sec/thread %.0f\n", dm_ft_words_per_sec(&w.times, c.ntokens, tc.epoch, threads));
	dm_ft_model_view_free(&m);
	dm_ft_weights_free(&w);
	dm_ft_corpus_free(&c);
	dm_text_dict_free(&d);
	dm_pool_free(pool);
	return 0;
fail:
	printf("error: %s\n", err.msg);
	return 1;
}
