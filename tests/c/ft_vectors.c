/* ft_vectors.c - the word-vector trainer (trainer/fasttext/vectors.h) with
 * fastText's command line, for the tests and the benchmark:
 *
 *   ft_vectors skipgram|cbow -input FILE -output PREFIX [-dim N] [-ws N]
 *            [-epoch N] [-minCount N] [-neg N] [-t X] [-minn N] [-maxn N]
 *            [-bucket N] [-lr X] [-seed N] [-thread N] [-batch N]
 *            [-parallelFlops N]
 *
 * writes PREFIX.bin and PREFIX.vec, and prints "flops ESTIMATE COUNTED",
 * "words N", "tokens N", "centres N", then where the time went, in wall
 * seconds: "time load L estimate E init I train T (cpu C) bin B vec V" and
 * fastText's progress figure "words/sec/thread N" (tokens x epochs / T /
 * threads).
 *
 *   ft_vectors print-word-vectors MODEL.bin < WORDS
 *
 * prints, for each whitespace-separated word on stdin, what
 * `fasttext print-word-vectors` prints (dm_ftv_word_vector): known words
 * and unknown ones, from their n-grams.  An error: "error: MESSAGE",
 * exit 1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fasttext/train.h"
#include "fasttext/vectors.h"
#include "text/source.h"

static int read_all(dm_text_format fmt, const dm_text_source *s, dm_text_dict *d,
		    dm_ftv_corpus *c, dm_error *err)
{
	dm_data_limits lim = {0};
	dm_text_line l = {0};
	dm_text_reader *r = dm_text_reader_open(fmt, s, NULL, &lim, err);
	int got;
	if (!r)
		return -1;
	while ((got = dm_text_reader_next(r, &l, err)) > 0)
		if (c ? dm_ftv_corpus_add_line(c, d, &l, err) : dm_text_dict_add_line(d, &l, err)) {
			got = -1;
			break;
		}
	dm_text_line_free(&l);
	if (got < 0) {
		dm_text_reader_abort(r);
		return -1;
	}
	return dm_text_reader_close(r, NULL, err);
}

static int print_vectors(const char *path, dm_error *err)
{
	dm_ft_model m;
	dm_text_dict d;
	dm_text_ids scratch = {0};
	float *v;
	char *text = NULL;
	size_t n = 0, cap = 0, got;
	if (dm_ft_read(path, &m, err) || dm_ftv_dict_from_model(&m, &d, err))
		return -1;
	if (!(v = dm_alloc_floats((size_t)m.args.dim, err)))
		return -1;
	do {
		if (n + 65536 > cap && !(text = realloc(text, cap = 2 * cap + 65536)))
			return dm_fail(err, "out of memory");
		got = fread(text + n, 1, cap - n, stdin);
		n += got;
	} while (got);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && !dm_text_is_space((unsigned char)text[j]))
			j++;
		if (j > i) {
			if (dm_ftv_word_vector(&d, m.input.data, m.args.dim, text + i, j - i, v,
					       &scratch, err))
				return -1;
			dm_ftv_print_row(stdout, text + i, j - i, v, m.args.dim);
		}
		i = j + 1;
	}
	free(text);
	free(v);
	dm_text_ids_free(&scratch);
	dm_text_dict_free(&d);
	dm_ft_free(&m);
	return 0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	double t0, t_load, t_est, t_train, t_bin, t_vec;
	dm_error err = {0};
	dm_text_dict_cfg dc;
	dm_ftv_cfg tc;
	const char *input = NULL, *output = NULL;
	int threads = 1;
	dm_text_source s = {0};
	dm_text_dict d;
	dm_ftv_corpus c = {0};
	dm_ftv_weights w;
	dm_ft_model m;
	dm_pool *pool = NULL;
	uint64_t est = 0, centres = 0;
	char path[4096];
	if (argc == 3 && !strcmp(argv[1], "print-word-vectors")) {
		if (print_vectors(argv[2], &err))
			goto fail;
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "skipgram") && strcmp(argv[1], "cbow"))) {
		printf("error: expected skipgram, cbow or print-word-vectors\n");
		return 2;
	}
	dm_ftv_defaults(&tc, strcmp(argv[1], "cbow") ? DM_FT_MODEL_SKIPGRAM : DM_FT_MODEL_CBOW);
	dm_ftv_dict_defaults(&dc);
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];
		if (!strcmp(o, "-input")) input = v;
		else if (!strcmp(o, "-output")) output = v;
		else if (!strcmp(o, "-dim")) tc.dim = atoi(v);
		else if (!strcmp(o, "-ws")) tc.ws = atoi(v);
		else if (!strcmp(o, "-epoch")) tc.epoch = atoi(v);
		else if (!strcmp(o, "-lr")) tc.lr = strtof(v, NULL);
		else if (!strcmp(o, "-t")) tc.t = strtod(v, NULL);
		else if (!strcmp(o, "-neg")) tc.neg = atoi(v);
		else if (!strcmp(o, "-batch")) tc.batch = atoi(v);
		else if (!strcmp(o, "-parallelFlops")) tc.parallel_flops = strtoull(v, NULL, 10);
		else if (!strcmp(o, "-seed")) tc.seed = strtoull(v, NULL, 10);
		else if (!strcmp(o, "-thread")) threads = atoi(v);
		else if (!strcmp(o, "-minn")) dc.minn = atoi(v);
		else if (!strcmp(o, "-maxn")) dc.maxn = atoi(v);
		else if (!strcmp(o, "-bucket")) dc.bucket = (uint32_t)atol(v);
		else if (!strcmp(o, "-minCount")) dc.min_count = atol(v);
		else {
			printf("error: unknown option %s\n", o);
			return 2;
		}
	}
	if (!input || !output) {
		printf("error: -input and -output are needed\n");
		return 2;
	}
	if (dc.maxn == 0)
		dc.bucket = 0; /* as fastText */
	s.path = (char *)input;
	if (dm_text_dict_init(&d, &dc, &err))
		goto fail;
	t0 = now();
	if (read_all(DM_TEXT_FASTTEXT, &s, &d, NULL, &err) || dm_text_dict_finish(&d, &err) ||
	    read_all(DM_TEXT_FASTTEXT, &s, &d, &c, &err))
		goto fail;
	t_load = now();
	if (dm_ftv_estimate(&d, &c, &tc, &est, &centres, &err))
		goto fail;
	t_est = now();
	if ((threads > 1 && !(pool = dm_pool_new(threads, &err))) ||
	    dm_ftv_train(&d, &c, &tc, pool, &w, &err) || dm_ftv_model_view(&d, &tc, &w, &m, &err))
		goto fail;
	t_train = now();
	snprintf(path, sizeof path, "%s.bin", output);
	if (dm_ft_write(NULL, &m, path, &err))
		goto fail;
	t_bin = now();
	snprintf(path, sizeof path, "%s.vec", output);
	if (dm_ftv_write_vec_pool(pool, NULL, &d, w.input, w.dim, path, &err))
		goto fail;
	t_vec = now();
	printf("flops %" PRIu64 " %" PRIu64 "\nwords %d\ntokens %" PRIu64 "\ncentres %" PRIu64
	       " %" PRIu64 "\n", est, w.flops, (int)d.nwords, c.ntokens, centres, w.centres);
	printf("time load %.3f estimate %.3f init %.3f train %.3f (cpu %.3f) bin %.3f vec %.3f\n",
	       t_load - t0, t_est - t_load, w.times.init_seconds, w.times.train_seconds, w.times.train_cpu_seconds,
	       t_bin - t_train, t_vec - t_bin);
	printf("words/sec/thread %.0f\n", dm_ft_words_per_sec(&w.times, c.ntokens, tc.epoch, threads));
	dm_ft_model_view_free(&m);
	dm_ftv_weights_free(&w);
	dm_ftv_corpus_free(&c);
	dm_text_dict_free(&d);
	dm_pool_free(pool);
	return 0;
fail:
	printf("error: %s\n", err.msg);
	return 1;
}
