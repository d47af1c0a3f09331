/* text_oracle.c - our dictionary and line ids, printed for
 * tests/py/test_text_dict.py to compare with Debian's fasttext.
 *
 *   text_oracle dict  FORMAT LABEL MINCOUNT MINCOUNTLABEL MINN MAXN NGRAMS BUCKET SOURCE...
 *   text_oracle lines FORMAT LABEL ... (same)
 *
 * FORMAT is fasttext, tsv or fortune, each SOURCE "PATH" or "PATH
 * label=NAME" as a line of Dataset: (trainer/text/source.h), read in turn.
 * dict prints what `fasttext dump MODEL.bin dict` prints (the size, then
 * "word count word|label" a line); lines prints, for each line of FILE as
 * fastText's supervised getLine reads it, "w ID ID ... | l ID ...".
 * An error is printed as "error: MESSAGE" on stdout, exit code 1.
 *
 *   text_oracle adopt FORMAT LABEL ... (same) < DUMP
 *
 * adopt prints the line ids as lines does, with the dictionary taken as it
 * is from DUMP, the output of `fasttext dump MODEL.bin dict`, through
 * dm_text_dict_adopt() (what the .bin reader does).
 *
 *   text_oracle sort < "TYPE COUNT" lines
 *
 * sort prints the input index of each entry in dm_text_dict_sort's order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/dict.h"
#include "text/source.h"

static int pass(dm_text_format fmt, const dm_text_sources *src, const char *prefix,
		dm_text_dict *d, int ids, dm_error *err)
{
	dm_data_limits lim = {0};
	dm_text_line l = {0};
	dm_text_ids w = {0}, lab = {0};
	int r = 0;
	for (size_t k = 0; k < src->n && r >= 0; k++) {
		dm_text_reader *rd = dm_text_reader_open(fmt, &src->v[k], prefix, &lim, err);
		if (!rd)
			return -1;
		while ((r = dm_text_reader_next(rd, &l, err)) > 0) {
			if (!ids) {
				if (dm_text_dict_add_line(d, &l, err) < 0)
					break;
				continue;
			}
			if (dm_text_dict_line_ids(d, &l, &w, &lab, err) < 0)
				break;
			printf("w");
			for (size_t i = 0; i < w.n; i++)
				printf(" %d", w.v[i]);
			printf(" | l");
			for (size_t i = 0; i < lab.n; i++)
				printf(" %d", lab.v[i]);
			printf("\n");
		}
		if (r > 0)
			r = -1;
		if (r < 0)
			dm_text_reader_abort(rd);
		else if (dm_text_reader_close(rd, NULL, err) < 0)
			r = -1;
	}
	dm_text_line_free(&l);
	dm_text_ids_free(&w);
	dm_text_ids_free(&lab);
	return r;
}

static int sort_stdin(void)
{
	dm_text_entry *e = NULL;
	size_t n = 0, cap = 0;
	int type;
	long long count;
	while (scanf("%d %lld", &type, &count) == 2) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			if (!(e = realloc(e, cap * sizeof *e)))
				return 1;
		}
		/* the index rides in hash, which the order never looks at */
		e[n].type = type ? DM_TEXT_LABEL : DM_TEXT_WORD;
		e[n].count = count;
		e[n].hash = (uint32_t)n;
		n++;
	}
	dm_text_dict_sort(e, n);
	for (size_t i = 0; i < n; i++)
		printf("%u\n", e[i].hash);
	free(e);
	return 0;
}

/* The entries of `fasttext dump MODEL.bin dict` on stdin: "N", then
 * "WORD COUNT word|label" a line (a token has no space: split at the last
 * two). */
static int adopt_dump(dm_text_dict *d, dm_error *err)
{
	static char line[1 << 16];
	dm_text_entry *e;
	size_t n, k = 0;
	int rc;
	if (!fgets(line, sizeof line, stdin) || sscanf(line, "%zu", &n) != 1)
		return dm_fail(err, "stdin: expected the entry count");
	if (!(e = calloc(n ? n : 1, sizeof *e)))
		return dm_fail(err, "out of memory");
	while (k < n && fgets(line, sizeof line, stdin)) {
		char *type = strrchr(line, ' '), *count;
		size_t len = strlen(line);
		if (!type || len < 2 || line[len - 1] != '\n')
			break;
		line[len - 1] = '\0';
		*type++ = '\0';
		if (!(count = strrchr(line, ' ')))
			break;
		*count++ = '\0';
		e[k].len = (uint32_t)strlen(line);
		e[k].word = strdup(line);
		e[k].count = atoll(count);
		e[k].type = strcmp(type, "label") ? DM_TEXT_WORD : DM_TEXT_LABEL;
		k++;
	}
	rc = k == n ? dm_text_dict_adopt(d, e, n, 0, err)
		    : dm_fail(err, "stdin: entry %zu unreadable", k + 1);
	for (size_t i = 0; i < k; i++)
		free((char *)e[i].word);
	free(e);
	return rc;
}

int main(int argc, char **argv)
{
	dm_error err = {"", 0};
	dm_text_dict d;
	dm_text_dict_cfg cfg;
	dm_text_format fmt;
	dm_text_sources src = {0};
	char joined[8192] = "";
	if (argc == 2 && !strcmp(argv[1], "sort"))
		return sort_stdin();
	if (argc < 11 || dm_text_format_parse(argv[2], &fmt) < 0) {
		fprintf(stderr, "usage: text_oracle dict|lines FORMAT LABEL MINCOUNT "
			"MINCOUNTLABEL MINN MAXN NGRAMS BUCKET SOURCE...\n");
		return 2;
	}
	for (int i = 10; i < argc; i++) {
		strncat(joined, argv[i], sizeof joined - strlen(joined) - 2);
		strcat(joined, "\n");
	}
	cfg.label_prefix = argv[3];
	cfg.min_count = atoll(argv[4]);
	cfg.min_count_label = atoll(argv[5]);
	cfg.minn = atoi(argv[6]);
	cfg.maxn = atoi(argv[7]);
	cfg.word_ngrams = atoi(argv[8]);
	cfg.bucket = (uint32_t)strtoul(argv[9], NULL, 10);
	if (dm_text_sources_parse(joined, "args", fmt, &src, &err) < 0)
		goto fail;
	if (dm_text_dict_init(&d, &cfg, &err) < 0)
		goto fail;
	if (!strcmp(argv[1], "adopt")) {
		if (adopt_dump(&d, &err) < 0 || pass(fmt, &src, argv[3], &d, 1, &err) < 0)
			goto fail;
		dm_text_dict_free(&d);
		dm_text_sources_free(&src);
		return 0;
	}
	if (pass(fmt, &src, argv[3], &d, 0, &err) < 0 || dm_text_dict_finish(&d, &err) < 0)
		goto fail;
	if (!strcmp(argv[1], "dict")) {
		printf("%zu\n", d.size);
		for (size_t i = 0; i < d.size; i++) {
			fwrite(d.e[i].word, 1, d.e[i].len, stdout);
			printf(" %lld %s\n", (long long)d.e[i].count,
			       d.e[i].type == DM_TEXT_WORD ? "word" : "label");
		}
	} else if (pass(fmt, &src, argv[3], &d, 1, &err) < 0) {
		goto fail;
	}
	dm_text_dict_free(&d);
	dm_text_sources_free(&src);
	return 0;
fail:
	printf("error: %s\n", err.msg);
	dm_text_sources_free(&src);
	return 1;
}
