/* spatial.h - what the layers on C x H x W samples share (conv2d.c,
 * maxpool.c, avgpool.c): their numeric arguments, the kernel "K" or "KxK",
 * the channels, height and width of a sample shape, and the recipe and
 * shapes of a pooling layer. */
#ifndef DM_LAYERS_SPATIAL_H
#define DM_LAYERS_SPATIAL_H

#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "../layer.h"

/* a whole number in [lo, hi] */
static inline int spatial_number(const char *w, unsigned long long lo, unsigned long long hi,
				 size_t *v)
{
	char *end;
	unsigned long long n;
	if (!isdigit((unsigned char)w[0]))
		return -1;
	n = strtoull(w, &end, 10);
	if (*end || n < lo || n > hi)
		return -1;
	*v = (size_t)n;
	return 0;
}

/* "K" or "KxK", K from 1 to 255 */
static inline int spatial_kernel(const char *w, size_t *k)
{
	char buf[32], *x;
	size_t a, b;
	if (strlen(w) >= sizeof buf)
		return -1;
	strcpy(buf, w);
	if (!(x = strchr(buf, 'x')) && !(x = strchr(buf, 'X')))
		return spatial_number(buf, 1, 255, k);
	*x = 0;
	if (spatial_number(buf, 1, 255, &a) || spatial_number(x + 1, 1, 255, &b) || a != b)
		return -1;
	*k = a;
	return 0;
}

/* C, H, W of a sample shape CxHxW, or HxW read as 1xHxW; -1 for a plain
 * width, with err saying so for the layer named */
static inline int spatial_chw(const dm_shape *in, size_t *c, size_t *h, size_t *w,
			      dm_error *err)
{
	*c = *h = *w = 0;
	if (in->ndim == 3) {
		*c = in->d[0], *h = in->d[1], *w = in->d[2];
		return 0;
	}
	if (in->ndim == 2) {
		*c = 1, *h = in->d[0], *w = in->d[1];
		return 0;
	}
	return err ? dm_fail(err, "needs an input of shape CxHxW, but its input is a plain width "
			     "of %zu (Input-Shape: in the recipe gives the data's, e.g. 1x28x28)",
			     in->d[0]) : -1;
}

/* "maxpool K [stride S]": a K x K window, stride S (default K, as in
 * PyTorch), no padding */
static inline int spatial_pool_parse(dm_layer_spec *s, char **args, int nargs, dm_error *err)
{
	if (nargs < 1 || spatial_kernel(args[0], &s->kernel))
		return dm_fail(err, "expected a window size K (or KxK) from 1 to 255");
	s->stride = s->kernel;
	if (nargs >= 2 && !strcasecmp(args[1], "stride")) {
		if (nargs < 3 || spatial_number(args[2], 1, 255, &s->stride))
			return dm_fail(err, "expected a stride from 1 to 255 after 'stride'");
		return 3;
	}
	return 1;
}

static inline int spatial_pool_format(const dm_layer_spec *s, char *buf, size_t size)
{
	if (s->stride == s->kernel)
		return snprintf(buf, size, "%s %zu", s->op->name, s->kernel);
	return snprintf(buf, size, "%s %zu stride %zu", s->op->name, s->kernel, s->stride);
}

/* C x H x W gives C x ((H - K) / S + 1) x ((W - K) / S + 1) */
static inline int spatial_pool_infer(const dm_layer_spec *s, const dm_shape *in, dm_shape *out,
				     dm_error *err)
{
	size_t c, h, w, k = s->kernel;
	if (spatial_chw(in, &c, &h, &w, err))
		return -1;
	if (h < k || w < k)
		return dm_fail(err, "its window %zux%zu is larger than its input %zux%zu", k, k, h, w);
	out->ndim = 3;
	out->d[0] = c;
	out->d[1] = (h - k) / s->stride + 1;
	out->d[2] = (w - k) / s->stride + 1;
	out->d[3] = 0;
	return 0;
}

/* The sizes of a planned pooling layer: C planes of H x W in, OH x OW out. */
typedef struct spatial_pool {
	size_t C, H, W, OH, OW, K, S;
} spatial_pool;

static inline spatial_pool spatial_pool_of(const dm_layer *l)
{
	spatial_pool g;
	spatial_chw(&l->in_shape, &g.C, &g.H, &g.W, NULL);
	g.OH = l->out_shape.d[1], g.OW = l->out_shape.d[2];
	g.K = l->spec.kernel, g.S = l->spec.stride;
	return g;
}

/* the FLOPs of a pooling layer on B samples: per_output for each of its
 * B x C x OH x OW outputs */
static inline uint64_t spatial_pool_flop(const dm_layer *l, uint64_t B, uint64_t per_output,
					 dm_checked *ck)
{
	spatial_pool g = spatial_pool_of(l);
	return dm_ck_mul3(ck, dm_ck_mul(ck, B, g.C), dm_ck_mul(ck, g.OH, g.OW), per_output);
}

/* ONNX's MaxPool and AveragePool (op) of a pooling layer: they need
 * [N, C, H, W], and the graph's input has the sample's shape, so an HxW
 * sample read as 1xHxW here cannot be expressed.  One node. */
static inline int spatial_pool_onnx(const dm_layer *l, const char *op, dm_onnx_node *out,
				    dm_error *err)
{
	int64_t k = (int64_t)l->spec.kernel, s = (int64_t)l->spec.stride;
	if (l->in_shape.ndim != 3)
		return dm_fail(err, "ONNX's %s needs a C x H x W input, but this one is %zux%zu; "
			       "give the samples three dimensions (Input-Shape: 1x%zux%zu)", op,
			       l->in_shape.d[0], l->in_shape.d[1], l->in_shape.d[0], l->in_shape.d[1]);
	out[0] = (dm_onnx_node){op, {0}, 0,
				{{"kernel_shape", DM_ONNX_INTS, 0, {k, k}, 2, 0},
				 {"strides", DM_ONNX_INTS, 0, {s, s}, 2, 0}}, 2};
	return 1;
}

#endif
