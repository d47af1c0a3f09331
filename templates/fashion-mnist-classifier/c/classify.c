/* classify.c - a C program that uses the packaged model: it reads the
 * safetensors file that dh-model installed, and classifies the
 * Fashion-MNIST test images with it.  A second example beside the Python
 * consumer (fashion-mnist-classify), for a program in C with no machine
 * learning library: the file format is simple enough to read by hand.
 *
 *   cc -O2 -o classify classify.c -lz -lm
 *   ./classify [WEIGHTS [IMAGES LABELS [SHOW]]]
 *
 * What it relies on (dh-model-train(1), docs/consumers.md in dh-model):
 *  - safetensors: an 8-byte little-endian header length, a JSON header
 *    {"NAME":{"dtype":"F32","shape":[...],"data_offsets":[BEGIN,END]},...,
 *    "__metadata__":{...}}, then the little-endian float32 data;
 *  - the network is the "layers" item of the provenance record in the
 *    metadata ("dense 256, relu, dense 10"); item I's tensors are
 *    layers.I.weight [out, in] and layers.I.bias [out], as PyTorch's
 *    nn.Linear;
 *  - the features are normalised as in training, (x - input.shift) *
 *    input.scale, when the file has these tensors.
 * Only dense networks with relu, tanh, sigmoid and dropout are read here;
 * for the others, run the model's ONNX export (Export: onnx) with OpenCV's
 * dnn, or the model card's PyTorch snippet.
 *
 * Copyright: the dh-model engineers; License: Expat (as dh-model).
 */
#define _POSIX_C_SOURCE 200809L /* strndup, strtok_r */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define DIR "/usr/share/datasets/fashion-mnist/"

typedef struct tensor {
	const float *data;
	size_t rows, cols; /* a vector: rows 1 */
} tensor;

static const char *header;   /* the JSON header, NUL-terminated */
static unsigned char *file;  /* the whole weights file */
static size_t file_size, header_len;

static _Noreturn void die(const char *what, const char *detail)
{
	fprintf(stderr, "classify: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

static unsigned char *read_all(const char *path, size_t *size)
{
	gzFile f = gzopen(path, "rb"); /* plain files too */
	unsigned char *buf = NULL;
	size_t cap = 0;
	int n;
	if (!f)
		die("cannot open", path);
	*size = 0;
	do {
		if (cap - *size < 65536 && !(buf = realloc(buf, cap = 2 * cap + 65536)))
			die("out of memory", NULL);
		n = gzread(f, buf + *size, 65536);
		if (n < 0)
			die("cannot read", path);
		*size += (size_t)n;
	} while (n > 0);
	gzclose(f);
	return buf;
}

/* tensor NAME: its data and shape, as the header says (bounds checked) */
static tensor find(const char *name, int required)
{
	char key[96];
	const char *p, *s;
	unsigned long long b, e;
	size_t dims[4] = {1, 1, 1, 1}, n = 0;
	tensor t = {NULL, 0, 0};
	snprintf(key, sizeof key, "\"%s\":{", name);
	if (!(p = strstr(header, key))) {
		if (required)
			die("no tensor in the weights file", name);
		return t;
	}
	if (!(s = strstr(p, "\"shape\":[")) || !(p = strstr(p, "\"data_offsets\":[")) ||
	    sscanf(p, "\"data_offsets\":[%llu,%llu]", &b, &e) != 2)
		die("a tensor without shape or data_offsets", name);
	for (s += 9; *s != ']' && n < 4; n++) {
		dims[n] = strtoul(s, (char **)&s, 10);
		if (*s == ',')
			s++;
	}
	t.rows = n == 2 ? dims[0] : 1;
	t.cols = n == 2 ? dims[1] : dims[0];
	if (n > 2 || e < b || e - b != 4 * t.rows * t.cols || 8 + header_len + e > file_size)
		die("a tensor whose shape is not its data, or past the end", name);
	t.data = (const float *)(file + 8 + header_len + b); /* float32 LE on amd64, arm64... */
	return t;
}

/* the "layers" item of the provenance, as it is escaped in the header */
static char *network(void)
{
	const char *key = "\\\"layers\\\":\\\"", *p = strstr(header, key), *end;
	char *net;
	if (!p || !(end = strstr(p += strlen(key), "\\\"")))
		die("no network in the weights file's provenance", NULL);
	if (!(net = malloc((size_t)(end - p) + 1)))
		die("out of memory", NULL);
	memcpy(net, p, (size_t)(end - p));
	net[end - p] = 0;
	return net;
}

int main(int argc, char **argv)
{
	const char *weights = argc > 1 ? argv[1] : "/usr/share/fashion-mnist-classifier/fashion-mlp.safetensors";
	size_t nimg, nlab, i, j, k, width, right = 0, n, show = argc > 4 ? strtoul(argv[4], NULL, 10) : 10;
	unsigned char *images = read_all(argc > 2 ? argv[2] : DIR "t10k-images-idx3-ubyte.gz", &nimg);
	unsigned char *labels = read_all(argc > 3 ? argv[3] : DIR "t10k-labels-idx1-ubyte.gz", &nlab);
	float *x, *y;
	char *net, *item, *save;
	tensor shift, scale;

	file = read_all(weights, &file_size);
	if (file_size < 8)
		die("not a safetensors file", weights);
	for (i = 8; i-- > 0;)
		header_len = header_len << 8 | file[i];
	if (header_len > file_size - 8)
		die("not a safetensors file", weights);
	if (!(header = strndup((const char *)file + 8, header_len)))
		die("out of memory", NULL);
	net = network();
	shift = find("input.shift", 0);
	scale = find("input.scale", 0);

	/* IDX: magic, then 32-bit big-endian sizes; images n x 28 x 28 bytes */
	if (nimg < 16 || nlab < 8 || images[3] != 3 || labels[3] != 1)
		die("not IDX images and labels", NULL);
	n = (size_t)images[4] << 24 | (size_t)images[5] << 16 | (size_t)images[6] << 8 | images[7];
	width = 28 * 28;
	if (nimg != 16 + n * width || nlab != 8 + n)
		die("the IDX files' sizes are not their headers'", NULL);
	if (!(x = malloc(1024 * sizeof *x)) || !(y = malloc(1024 * sizeof *y)))
		die("out of memory", NULL);

	for (i = 0; i < n; i++) {
		size_t w = width, layer = 0, best = 0;
		char copy[256];
		for (j = 0; j < width; j++) {
			x[j] = images[16 + i * width + j];
			if (shift.data)
				x[j] = (x[j] - shift.data[j]) * scale.data[j];
		}
		snprintf(copy, sizeof copy, "%s", net);
		for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save), layer++) {
			char name[64];
			float *tmp;
			while (*item == ' ')
				item++;
			if (!strncmp(item, "dense ", 6)) {
				tensor W, b;
				snprintf(name, sizeof name, "layers.%zu.weight", layer);
				W = find(name, 1);
				snprintf(name, sizeof name, "layers.%zu.bias", layer);
				b = find(name, 1);
				if (W.cols != w || b.cols != W.rows || W.rows > 1024)
					die("a dense layer whose tensors do not fit", name);
				for (k = 0; k < W.rows; k++) {
					float s = b.data[k];
					for (j = 0; j < w; j++)
						s += W.data[k * w + j] * x[j];
					y[k] = s;
				}
				w = W.rows;
				tmp = x, x = y, y = tmp;
			} else if (!strcmp(item, "relu") || !strcmp(item, "tanh") || !strcmp(item, "sigmoid")) {
				for (j = 0; j < w; j++)
					x[j] = *item == 'r' ? (x[j] > 0 ? x[j] : 0)
					       : *item == 't' ? tanhf(x[j]) : 1 / (1 + expf(-x[j]));
			} else if (strncmp(item, "dropout", 7)) {
				die("this example reads dense networks only, not", item);
			}
		}
		for (k = 1; k < w; k++) /* the first largest output */
			if (x[k] > x[best])
				best = k;
		right += best == labels[8 + i];
		if (i < show)
			printf("image %5zu: class %zu, true: %u %s\n", i, best, labels[8 + i],
			       best == labels[8 + i] ? "ok" : "WRONG");
	}
	printf("network: %s\n", net);
	printf("accuracy: %.4f (%zu of %zu test images)\n", (double)right / (double)n, right, n);
	return 0;
}
