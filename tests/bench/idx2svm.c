/* idx2svm.c - write IDX images and labels (uncompressed) in the libsvm text
 * format that liblinear reads, with the pixels divided by 255 like the
 * trainer's "Normalize: auto":  LABEL INDEX:VALUE ... (indices from 1,
 * zero pixels left out).  Setup only, not timed; C because a Python loop
 * over 23 million pixels takes most of a minute.
 *
 * Usage: idx2svm IMAGES LABELS > OUT
 */
#include <stdio.h>
#include <stdlib.h>

static unsigned char *slurp(const char *path, long *size)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	if (!f || fseek(f, 0, SEEK_END) || (*size = ftell(f)) < 8 || fseek(f, 0, SEEK_SET) ||
	    !(p = malloc((size_t)*size)) || fread(p, 1, (size_t)*size, f) != (size_t)*size) {
		fprintf(stderr, "idx2svm: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	return p;
}

static long be32(const unsigned char *p)
{
	return (long)p[0] << 24 | (long)p[1] << 16 | (long)p[2] << 8 | (long)p[3];
}

int main(int argc, char **argv)
{
	long isize, lsize, n, dim = 1, i, j;
	unsigned char *img, *lab, *px;
	char value[256][16]; /* ":%.6g" of v / 255, made once: printf is slow */
	int d;
	if (argc != 3) {
		fprintf(stderr, "usage: idx2svm IMAGES LABELS > OUT\n");
		return 2;
	}
	img = slurp(argv[1], &isize);
	lab = slurp(argv[2], &lsize);
	n = be32(img + 4);
	for (d = 1; d < img[3]; d++)
		dim *= be32(img + 4 + 4 * d);
	px = img + 4 + 4 * img[3];
	for (d = 0; d < 256; d++)
		snprintf(value[d], sizeof value[d], ":%.6g", d / 255.0);
	if (be32(lab + 4) != n || isize < (px - img) + n * dim || lsize < 8 + n) {
		fprintf(stderr, "idx2svm: %s and %s do not match\n", argv[1], argv[2]);
		return 1;
	}
	for (i = 0; i < n; i++, px += dim) {
		printf("%d", lab[8 + i]);
		for (j = 0; j < dim; j++)
			if (px[j])
				printf(" %ld%s", j + 1, value[px[j]]);
		putchar('\n');
	}
	return fflush(stdout) ? 1 : 0;
}
