/* ftbin_driver.c - for tests/cross/ftbin-cross.sh: read a fastText .bin
 * (written little-endian on amd64), say whether writing it back gives
 * the same bytes, and print the 3 best labels of each line of a text with
 * their scores, so that every architecture can be compared with the
 * native build. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "fasttext/ftbin.h"
#include "fasttext/ftpredict.h"

int main(int argc, char **argv)
{
	dm_ft_model m;
	dm_ft_predictor p;
	dm_ft_prediction best[3];
	dm_error err = {"", 0};
	unsigned char *out = NULL;
	char *file, *text;
	size_t fn, tn, n, pos = 0, count, i;
	if (argc != 3)
		return fprintf(stderr, "usage: ftbin_driver MODEL.bin TEXT\n"), 2;
	if (!(file = dm_read_regular(argv[1], 1 << 30, &fn, NULL, &err)) ||
	    !(text = dm_read_regular(argv[2], 1 << 30, &tn, NULL, &err)) ||
	    dm_ft_read(argv[1], &m, &err) || dm_ft_write_mem(&m, &out, &n, &err) ||
	    dm_ft_predictor_init(&p, &m, argv[1], &err))
		return fprintf(stderr, "%s\n", err.msg), 1;
	printf("written back: %s\n", n == fn && !memcmp(out, file, n) ? "the same bytes" : "DIFFERENT");
	while (dm_ft_next_line(&p, text, tn, &pos, &err) == 1) {
		if (dm_ft_predict_line(&p, 3, 0.0f, best, &count, &err))
			return fprintf(stderr, "%s\n", err.msg), 1;
		for (i = 0; i < count; i++) {
			printf("%s%s %.9g", i ? " " : "", m.entries[m.nwords + best[i].label].word,
			       (double)best[i].logp);
		}
		printf("\n");
	}
	free(out);
	free(file);
	free(text);
	dm_ft_predictor_free(&p);
	dm_ft_free(&m);
	return 0;
}
