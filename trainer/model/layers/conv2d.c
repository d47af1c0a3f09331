/* conv2d.c - a 2-d convolution, PyTorch's nn.Conv2d; "conv2d" too.
 *
 * Recipe: "conv C KxK [stride S] [pad P] [relu|tanh|sigmoid]": C output
 * channels, a square K x K kernel, stride S (default 1), zero padding P on
 * every side (default 0).  Input C_in x H x W (HxW is 1 x H x W), output
 * C x OH x OW with OH = (H + 2P - K) / S + 1, batch leading (NCHW).
 * Tensors: weight [C, C_in, K, K] (OIHW), bias [C], adjacent in params.
 *
 * The product runs through dm_gemm on im2col columns of the whole batch,
 * so both back-ends serve it, and the portable one gives the same bits for
 * any thread count; the rest are loops in a fixed order.  Workspace per
 * sample: the columns [OH*OW, C_in*K*K] and the output transposed
 * [OH*OW, C]. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../../math/fmath.h"
#include "../../math/fp.h"
#include "../layer.h"
#include "spatial.h"

static int parse(dm_layer_spec *s, char **args, int nargs, dm_error *err)
{
	int i = 2;
	if (nargs < 1 || spatial_number(args[0], 1, 100000, &s->units))
		return dm_fail(err, "expected a number of output channels from 1 to 100000 after 'conv'");
	if (nargs < 2 || spatial_kernel(args[1], &s->kernel))
		return dm_fail(err, "expected a square kernel KxK with K from 1 to 255 after 'conv %zu'",
			       s->units);
	s->stride = 1, s->pad = 0;
	while (i < nargs) {
		int stride = !strcasecmp(args[i], "stride"), pad = !strcasecmp(args[i], "pad");
		if (!stride && !pad)
			break;
		if (i + 1 >= nargs ||
		    spatial_number(args[i + 1], stride ? 1 : 0, 255, stride ? &s->stride : &s->pad))
			return dm_fail(err, stride ? "expected a stride from 1 to 255 after 'stride'"
					      : "expected a padding from 0 to 255 after 'pad'");
		i += 2;
	}
	return i;
}

static int format(const dm_layer_spec *s, char *buf, size_t size)
{
	int n = snprintf(buf, size, "conv %zu %zux%zu", s->units, s->kernel, s->kernel);
	if (n >= 0 && (size_t)n < size && s->stride != 1)
		n += snprintf(buf + n, size - (size_t)n, " stride %zu", s->stride);
	if (n >= 0 && (size_t)n < size && s->pad)
		n += snprintf(buf + n, size - (size_t)n, " pad %zu", s->pad);
	return n;
}

static int infer(const dm_layer_spec *s, const dm_shape *in, dm_shape *out, dm_error *err)
{
	size_t c, h, w, k = s->kernel, p = s->pad;
	if (spatial_chw(in, &c, &h, &w, err))
		return -1;
	if (h + 2 * p < k || w + 2 * p < k)
		return dm_fail(err, "its kernel %zux%zu is larger than its input %zux%zu padded by %zu",
			       k, k, h, w, p);
	out->ndim = 3;
	out->d[0] = s->units;
	out->d[1] = (h + 2 * p - k) / s->stride + 1;
	out->d[2] = (w + 2 * p - k) / s->stride + 1;
	out->d[3] = 0;
	return 0;
}

/* The sizes of one layer, from its planned shapes. */
typedef struct geometry {
	size_t C, H, W, O, OH, OW, K, S, P;
	size_t np, ckk; /* OH*OW output positions, C*K*K columns */
} geometry;

static geometry geometry_of(const dm_layer *l)
{
	geometry g;
	spatial_chw(&l->in_shape, &g.C, &g.H, &g.W, NULL);
	g.O = l->out_shape.d[0], g.OH = l->out_shape.d[1], g.OW = l->out_shape.d[2];
	g.K = l->spec.kernel, g.S = l->spec.stride, g.P = l->spec.pad;
	g.np = g.OH * g.OW, g.ckk = g.C * g.K * g.K;
	return g;
}

static const char *tensor(const dm_layer *l, size_t k, dm_shape *shape)
{
	geometry g = geometry_of(l);
	if (k == 0) {
		shape->ndim = 4, shape->d[0] = g.O, shape->d[1] = g.C;
		shape->d[2] = g.K, shape->d[3] = g.K;
		return "weight";
	}
	*shape = dm_shape_1(g.O);
	return "bias";
}

/* PyTorch's nn.Conv2d default: W then b uniform in +-1/sqrt(C_in*K*K). */
static void init(const dm_layer *l, float *p, dm_rng *rng)
{
	geometry g = geometry_of(l);
	float bound = f_div(1.0f, dm_sqrtf((float)g.ckk));
	size_t k;
	for (k = 0; k < l->nparams; k++) {
		float u = f_sub(f_mul(2.0f, dm_rng_uniform(rng)), 1.0f);
		p[k] = f_mul(u, bound);
	}
}

static size_t work(const dm_layer *l)
{
	geometry g = geometry_of(l);
	return g.np * (g.ckk + g.O);
}

/* Of the K taps along one axis of length n (output length on, stride s,
 * padding p), how many land inside the input, summed over the outputs. */
static uint64_t taps_inside(size_t n, size_t on, size_t k, size_t s, size_t p)
{
	uint64_t count = 0;
	size_t o, t;
	for (t = 0; t < k; t++)
		for (o = 0; o < on; o++)
			count += o * s + t >= p && o * s + t - p < n;
	return count;
}

/* col[B*OH*OW, C*K*K]: row (b, oh, ow), column (c, kh, kw), the input
 * X[B, C, H, W] at (oh*S - P + kh, ow*S - P + kw), 0 in the padding */
static void im2col(const geometry *g, size_t B, const float *x, float *col)
{
	size_t b, oh, ow, c, kh, kw;
	for (b = 0; b < B; b++)
		for (oh = 0; oh < g->OH; oh++)
			for (ow = 0; ow < g->OW; ow++) {
				float *row = col + ((b * g->OH + oh) * g->OW + ow) * g->ckk;
				for (c = 0; c < g->C; c++) {
					const float *xc = x + (b * g->C + c) * g->H * g->W;
					for (kh = 0; kh < g->K; kh++) {
						size_t ih = oh * g->S + kh;
						int in_h = ih >= g->P && ih - g->P < g->H;
						for (kw = 0; kw < g->K; kw++) {
							size_t iw = ow * g->S + kw;
							*row++ = in_h && iw >= g->P && iw - g->P < g->W
								 ? xc[(ih - g->P) * g->W + iw - g->P] : 0.0f;
						}
					}
				}
			}
}

/* dX[B, C, H, W] = the sum of dcol[B*OH*OW, C*K*K] over the places im2col
 * read each input from, added in the order of dcol's rows then columns */
static void col2im(const geometry *g, size_t B, const float *dcol, float *dx)
{
	size_t b, oh, ow, c, kh, kw;
	memset(dx, 0, B * g->C * g->H * g->W * sizeof *dx);
	for (b = 0; b < B; b++)
		for (oh = 0; oh < g->OH; oh++)
			for (ow = 0; ow < g->OW; ow++) {
				const float *row = dcol + ((b * g->OH + oh) * g->OW + ow) * g->ckk;
				for (c = 0; c < g->C; c++) {
					float *dxc = dx + (b * g->C + c) * g->H * g->W;
					for (kh = 0; kh < g->K; kh++) {
						size_t ih = oh * g->S + kh;
						int in_h = ih >= g->P && ih - g->P < g->H;
						for (kw = 0; kw < g->K; kw++, row++) {
							size_t iw = ow * g->S + kw;
							float *d;
							if (!in_h || iw < g->P || iw - g->P >= g->W)
								continue;
							d = dxc + (ih - g->P) * g->W + iw - g->P;
							*d = f_add(*d, *row);
						}
					}
				}
			}
}

/* forward:  col[B*OH*OW, C*K*K] = im2col(X[B, C, H, W])
 *           T[B*OH*OW, O] = col W[O, C*K*K]^T
 *           Y[B, O, OH, OW] = T transposed per sample + b[O]
 * backward: T[B*OH*OW, O] = dY[B, O, OH, OW] transposed per sample
 *           dW[O, C*K*K] = T^T col, db[O] = sum over b, oh, ow of dY
 *           unless dx is NULL: col = T W, dX[B, C, H, W] = col2im(col) */
static void run(const dm_layer_ctx *c, int action)
{
	const dm_layer *l = c->l;
	geometry g = geometry_of(l);
	const float *W = c->params, *bias = c->params + g.O * g.ckk;
	size_t i, j, b, B = c->B, rows = B * g.np;
	float *col = c->work, *t = c->work + rows * g.ckk;
	dm_engine *e = c->e;
	if (action == DM_LAYER_FORWARD) {
		im2col(&g, B, c->x, col);
		dm_gemm(e, 0, 1, rows, g.O, g.ckk, col, g.ckk, W, g.ckk, t, g.O);
		for (b = 0; b < B; b++)
			for (j = 0; j < g.O; j++)
				for (i = 0; i < g.np; i++)
					c->y[(b * g.O + j) * g.np + i] =
						f_add(t[(b * g.np + i) * g.O + j], bias[j]);
		e->flop += (uint64_t)rows * g.O;
		return;
	}
	{
		float *dW = c->grads, *db = c->grads + g.O * g.ckk;
		for (b = 0; b < B; b++)
			for (j = 0; j < g.O; j++)
				for (i = 0; i < g.np; i++)
					t[(b * g.np + i) * g.O + j] = c->dy[(b * g.O + j) * g.np + i];
		dm_gemm(e, 1, 0, g.O, g.ckk, rows, t, g.O, col, g.ckk, dW, g.ckk);
		for (j = 0; j < g.O; j++)
			db[j] = 0.0f;
		for (b = 0; b < B; b++) /* b, then oh, ow ascending for every j: a fixed order */
			for (j = 0; j < g.O; j++)
				for (i = 0; i < g.np; i++)
					db[j] = f_add(db[j], c->dy[(b * g.O + j) * g.np + i]);
		e->flop += (uint64_t)rows * g.O;
		if (c->dx) {
			dm_gemm(e, 0, 0, rows, g.ckk, g.O, t, g.O, W, g.ckk, col, g.ckk);
			col2im(&g, B, col, c->dx);
			e->flop += B * g.C * taps_inside(g.H, g.OH, g.K, g.S, g.P) *
				   taps_inside(g.W, g.OW, g.K, g.S, g.P);
		}
	}
}

/* a GEMM is 2MNK, the bias one per output, in backward as well; col2im one
 * per tap that lands inside the input */
static uint64_t flop(const dm_layer *l, uint64_t B, dm_layer_pass pass, dm_checked *ck)
{
	geometry g = geometry_of(l);
	uint64_t gemms = pass == DM_PASS_BACKWARD ? 4 : 2, rows = dm_ck_mul(ck, B, g.np);
	uint64_t f = dm_ck_add(ck, dm_ck_mul3(ck, dm_ck_mul(ck, rows, gemms), g.O, g.ckk),
			       dm_ck_mul(ck, rows, g.O));
	if (pass == DM_PASS_BACKWARD)
		f = dm_ck_add(ck, f, dm_ck_mul3(ck, dm_ck_mul(ck, B, g.C),
						 taps_inside(g.H, g.OH, g.K, g.S, g.P),
						 taps_inside(g.W, g.OW, g.K, g.S, g.P)));
	return f;
}

/* nn.Conv2d: weight OIHW and bias, as here */
static int torch(const dm_layer *l, char *buf, size_t size)
{
	size_t c, h, w;
	spatial_chw(&l->in_shape, &c, &h, &w, NULL);
	return snprintf(buf, size, "nn.Conv2d(%zu, %zu, %zu, stride=%zu, padding=%zu)", c,
			l->spec.units, l->spec.kernel, l->spec.stride, l->spec.pad);
}

/* ONNX's Conv needs [N, C, H, W]: the graph's input has the sample's
 * shape, so an HxW sample read as 1xHxW here cannot be expressed */
static int spatial_onnx(const dm_layer *l, dm_error *err)
{
	if (l->in_shape.ndim != 3)
		return dm_fail(err, "ONNX's Conv needs a C x H x W input, but this one is %zux%zu; "
			       "give the samples three dimensions (Input-Shape: 1x%zux%zu)",
			       l->in_shape.d[0], l->in_shape.d[1], l->in_shape.d[0], l->in_shape.d[1]);
	return 0;
}

static int onnx(const dm_layer *l, dm_onnx_node *out, dm_error *err)
{
	int64_t k = (int64_t)l->spec.kernel, s = (int64_t)l->spec.stride, p = (int64_t)l->spec.pad;
	if (spatial_onnx(l, err))
		return -1;
	out[0] = (dm_onnx_node){"Conv", {"weight", "bias"}, 2,
				{{"kernel_shape", DM_ONNX_INTS, 0, {k, k}, 2, 0},
				 {"pads", DM_ONNX_INTS, 0, {p, p, p, p}, 4, 0},
				 {"strides", DM_ONNX_INTS, 0, {s, s}, 2, 0}}, 3};
	return 1;
}

const dm_layer_op dm_layer_conv = {
	.name = "conv",
	.alias = "conv2d",
	.usage = "conv C KxK [stride S] [pad P] [relu|tanh|sigmoid]",
	.flags = DM_LAYER_FUSES | DM_LAYER_SPATIAL,
	.parse = parse,
	.format = format,
	.infer = infer,
	.ntensors = 2,
	.tensor = tensor,
	.init = init,
	.run = run,
	.flop = flop,
	.work = work,
	.torch = torch,
	.onnx = onnx,
};
