/* conv2d.c - a 2-d convolution, PyTorch's nn.Conv2d; "conv2d" too.
 *
 * Recipe: "conv C KxK [stride S] [pad P] [relu|tanh|sigmoid]": C output
 * channels, a square K x K kernel, stride S (default 1), zero padding P on
 * every side (default 0).  Input C_in x H x W (HxW is 1 x H x W), output
 * C x OH x OW with OH = (H + 2P - K) / S + 1, batch leading (NCHW).
 * Tensors: weight [C, C_in, K, K] (OIHW), bias [C], adjacent in params.
 *
 * The products run through the project's GEMM on im2col columns, so both
 * back-ends serve them, and the portable one gives the same bits for any
 * thread count; the rest are loops in a fixed order, split between the
 * threads over independent outputs.  Workspace per sample: its OH*OW
 * columns of colT [C_in*K*K, B*OH*OW] (openblas: stored in forward, kept
 * for backward; portable: forward's product packs them from X through
 * im2col_segment, backward stores them, and dX's products use one
 * sample's block a thread) and of T (the output or its gradient, [C,
 * B*OH*OW]; the portable forward writes Y in place). */
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

/* The outputs o in [lo, hi) of an axis of output length on whose tap t
 * lands inside the input of length n (stride s, padding p): a range. */
static void inside(size_t n, size_t on, size_t t, size_t s, size_t p, size_t *lo, size_t *hi)
{
	size_t o;
	*lo = on, *hi = 0;
	for (o = 0; o < on; o++)
		if (o * s + t >= p && o * s + t - p < n) {
			if (*lo == on)
				*lo = o;
			*hi = o + 1;
		}
	if (*lo > *hi)
		*lo = *hi = 0;
}

/* The work of the loops outside the GEMMs, split between the pool's
 * threads over independent outputs: each output is computed whole by one
 * thread, in the order of one thread. */
typedef struct conv_job {
	const geometry *g;
	size_t B, rows;
	const float *src, *bias;
	float *dst;
	const size_t *lo, *hi; /* per kw: the outputs ow whose tap is inside */
	int cont;              /* bias_grad: continue the sums in dst */
} conv_job;

/* A "same" convolution (stride 1, OW = W: 3x3 pad 1) maps colT's row k,
 * over whole output rows of one plane, onto one run of that input plane,
 * shifted by kh - P rows and kw - P columns.  Output rows [oh0, oh0 + n)
 * of plane xp for tap (kh, kw), with lo, hi its inside outputs: one copy
 * of the run, then 0 at the ends of each row, where the run read the
 * neighbouring row (or the rows above and below the image).  Moves only:
 * the floats of the row-by-row loops, in a few calls instead of one per
 * row. */
static void same_rows(const geometry *g, const float *xp, size_t kh, size_t kw, size_t lo,
		      size_t hi, size_t oh0, size_t n, float *dst)
{
	/* the output rows whose input row oh + kh - P is inside [0, H) */
	size_t first = oh0 + kh < g->P ? g->P - kh : oh0;
	size_t end = g->H + g->P > kh ? g->H + g->P - kh : 0;
	size_t last = end < oh0 + n ? end : oh0 + n;
	size_t oh, ow, W = g->W;
	if (first >= last || lo >= hi) { /* no tap inside */
		memset(dst, 0, n * W * sizeof *dst);
		return;
	}
	memset(dst, 0, (first - oh0) * W * sizeof *dst);
	memset(dst + (last - oh0) * W, 0, (oh0 + n - last) * W * sizeof *dst);
	dst += (first - oh0) * W;
	/* from (first, lo) to (last - 1, hi - 1): inside the plane */
	memcpy(dst + lo, xp + (first + kh - g->P) * W + lo + kw - g->P,
	       ((last - first - 1) * W + hi - lo) * sizeof *dst);
	for (oh = first; oh < last; oh++, dst += W) {
		for (ow = 0; ow < lo; ow++)
			dst[ow] = 0.0f;
		for (ow = hi; ow < W; ow++)
			dst[ow] = 0.0f;
	}
}

/* colT[C*K*K, B*OH*OW]: row (c, kh, kw), column (b, oh, ow), the input
 * X[B, C, H, W] at (oh*S - P + kh, ow*S - P + kw), 0 in the padding.
 * Rows [begin, end). */
static void im2col_rows(void *arg, size_t begin, size_t end, int worker)
{
	const conv_job *j = arg;
	const geometry *g = j->g;
	size_t k, b, oh, ow;
	(void)worker;
	for (k = begin; k < end; k++) {
		size_t c = k / (g->K * g->K), kh = k / g->K % g->K, kw = k % g->K;
		size_t lo = j->lo[kw], hi = j->hi[kw];
		float *dst = j->dst + k * j->rows;
		for (b = 0; b < j->B; b++) {
			const float *xc = j->src + (b * g->C + c) * g->H * g->W;
			if (g->S == 1 && g->OW == g->W) {
				same_rows(g, xc, kh, kw, lo, hi, 0, g->OH, dst);
				dst += g->np;
				continue;
			}
			for (oh = 0; oh < g->OH; oh++, dst += g->OW) {
				size_t ih = oh * g->S + kh;
				if (ih < g->P || ih - g->P >= g->H) {
					for (ow = 0; ow < g->OW; ow++)
						dst[ow] = 0.0f;
					continue;
				}
				{
					const float *xr = xc + (ih - g->P) * g->W + kw - g->P;
					for (ow = 0; ow < lo; ow++)
						dst[ow] = 0.0f;
					if (g->S == 1)
						for (; ow < hi; ow++)
							dst[ow] = xr[ow];
					else
						for (; ow < hi; ow++)
							dst[ow] = xr[ow * g->S];
					for (; ow < g->OW; ow++)
						dst[ow] = 0.0f;
				}
			}
		}
	}
}

/* colT computed as the portable GEMM packs it, so that it is never
 * stored: conv 64's would be 14 MB at batch 64, written and read again */
typedef struct im2col_src {
	const geometry *g;
	const float *x;        /* X[B, C, H, W], or one sample's */
	const size_t *lo, *hi; /* per kw: the outputs ow whose tap is inside */
} im2col_src;

/* colT's row k, columns [q0, q0 + n): the floats im2col_rows writes there
 * (a dm_matrix_fn) */
static void im2col_segment(const void *ctx, size_t k, size_t q0, size_t n, float *dst)
{
	const im2col_src *s = ctx;
	const geometry *g = s->g;
	size_t c = k / (g->K * g->K), kh = k / g->K % g->K, kw = k % g->K;
	size_t lo = s->lo[kw], hi = s->hi[kw], i;
	size_t b = q0 / g->np, oh = q0 % g->np / g->OW, ow = q0 % g->OW;
	while (n > 0) { /* one output row (b, oh) at a time, from ow */
		size_t end = g->OW - ow < n ? g->OW : ow + n, m = end - ow;
		size_t ih = oh * g->S + kh;
		if (ow == 0 && n >= g->OW && g->S == 1 && g->OW == g->W) {
			/* whole rows of a "same" convolution, to the plane's end */
			size_t rows = n / g->OW < g->OH - oh ? n / g->OW : g->OH - oh;
			same_rows(g, s->x + (b * g->C + c) * g->H * g->W, kh, kw, lo, hi, oh,
				  rows, dst);
			dst += rows * g->OW, n -= rows * g->OW, oh += rows;
			if (oh == g->OH)
				oh = 0, b++;
			continue;
		}
		if (ih < g->P || ih - g->P >= g->H) {
			for (i = 0; i < m; i++)
				dst[i] = 0.0f;
		} else {
			const float *xr = s->x + ((b * g->C + c) * g->H + ih - g->P) * g->W;
			size_t a = ow > lo ? ow : lo, z = end < hi ? end : hi;
			for (i = ow; i < end && i < a; i++)
				dst[i - ow] = 0.0f;
			if (a < z && g->S == 1)
				memcpy(dst + (a - ow), xr + a + kw - g->P, (z - a) * sizeof *dst);
			else
				for (i = a; i < z; i++)
					dst[i - ow] = xr[i * g->S + kw - g->P];
			for (i = a > z ? a : z; i < end; i++)
				dst[i - ow] = 0.0f;
		}
		dst += m, n -= m, ow = 0;
		if (++oh == g->OH)
			oh = 0, b++;
	}
}

/* dX[B, C, H, W] = the sum of dcolT[C*K*K, B*OH*OW] over the places
 * im2col read each input from, from +0 in the order of (oh, ow) ascending,
 * that is of (kh, kw) descending.  Planes (b, c) in [begin, end). */
static void col2im_planes(void *arg, size_t begin, size_t end, int worker)
{
	const conv_job *j = arg;
	const geometry *g = j->g;
	size_t plane, kh, kw, oh, ow;
	(void)worker;
	for (plane = begin; plane < end; plane++) {
		size_t b = plane / g->C, c = plane % g->C;
		float *dxc = j->dst + plane * g->H * g->W;
		for (ow = 0; ow < g->H * g->W; ow++)
			dxc[ow] = 0.0f;
		for (kh = g->K; kh-- > 0;)
			for (kw = g->K; kw-- > 0;) {
				const float *src = j->src + ((c * g->K + kh) * g->K + kw) * j->rows +
						   b * g->OH * g->OW;
				size_t lo = j->lo[kw], hi = j->hi[kw];
				for (oh = 0; oh < g->OH; oh++, src += g->OW) {
					size_t ih = oh * g->S + kh;
					float *d;
					if (ih < g->P || ih - g->P >= g->H)
						continue;
					d = dxc + (ih - g->P) * g->W + kw - g->P;
					if (g->S == 1)
						for (ow = lo; ow < hi; ow++)
							d[ow] = f_add(d[ow], src[ow]);
					else
						for (ow = lo; ow < hi; ow++)
							d[ow * g->S] = f_add(d[ow * g->S], src[ow]);
				}
			}
	}
}

/* y[O, n] = t[O, n] (row stride ldt) + bias[O]; y may be t */
static void add_bias(const float *t, size_t ldt, const float *bias, size_t O, size_t n, float *y)
{
	size_t o, i;
	for (o = 0; o < O; o++, t += ldt, y += n)
		for (i = 0; i < n; i++)
			y[i] = f_add(t[i], bias[o]);
}

/* Y[B, O, OH*OW] = T[O, B*OH*OW] per sample + b[O], samples [begin, end) */
static void bias_out(void *arg, size_t begin, size_t end, int worker)
{
	const conv_job *j = arg;
	size_t b, np = j->g->np;
	(void)worker;
	for (b = begin; b < end; b++)
		add_bias(j->src + b * np, j->rows, j->bias, j->g->O, np,
			 j->dst + b * j->g->O * np);
}

/* T[O, B*OH*OW] = dY[B, O, OH*OW], samples [begin, end) */
static void dy_in(void *arg, size_t begin, size_t end, int worker)
{
	const conv_job *j = arg;
	size_t b, o, np = j->g->np;
	(void)worker;
	for (b = begin; b < end; b++)
		for (o = 0; o < j->g->O; o++)
			memcpy(j->dst + o * j->rows + b * np, j->src + (b * j->g->O + o) * np,
			       np * sizeof *j->dst);
}

/* db[o] = the sum of T[o, :] in column order, from +0, or continued from
 * db[o] (j->cont: T is the next chunk of samples); channels [begin, end),
 * eight at a time so that the eight sums overlap */
static void bias_grad(void *arg, size_t begin, size_t end, int worker)
{
	const conv_job *j = arg;
	size_t o, q, r;
	(void)worker;
	for (o = begin; o < end; o += 8) {
		size_t n = end - o < 8 ? end - o : 8;
		float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
		const float *t = j->src + o * j->rows;
		if (j->cont)
			for (r = 0; r < n; r++)
				acc[r] = j->dst[o + r];
		if (n == 8)
			for (q = 0; q < j->rows; q++)
				for (r = 0; r < 8; r++)
					acc[r] = f_add(acc[r], t[r * j->rows + q]);
		else
			for (q = 0; q < j->rows; q++)
				for (r = 0; r < n; r++)
					acc[r] = f_add(acc[r], t[r * j->rows + q]);
		for (r = 0; r < n; r++)
			j->dst[o + r] = acc[r];
	}
}

/* backward's chunk of samples for dW: about 1 MB of T and colT, this
 * machine's L2 (a size for speed: the bits do not depend on it) */
#define CHUNK_FLOATS (256 * 1024)

/* One product per sample, and what follows it while its output is still
 * in cache (2 threads: the samples split between them): forward's Y[b]
 * and the bias, backward's colT_b and col2im.  (dW per sample measured
 * slower: conv 32's depth of 9 leaves each product mostly edges; it goes
 * by chunks of samples instead.) */
typedef struct sample_job {
	dm_engine *e;
	const geometry *g;
	const float *W, *bias, *src; /* src: X (forward) or dY (backward) */
	float *dst;                  /* Y or dX */
	const size_t *lo, *hi;       /* im2col_src's */
	float *col;                  /* dx_samples' column blocks */
	int per_sample;              /* one block a sample, not a thread */
} sample_job;

/* Y[b][O, OH*OW] = W[O, C*K*K] colT_b + b[O], colT_b packed from X[b]
 * (portable), samples [begin, end) */
static void forward_samples(void *arg, size_t begin, size_t end, int worker)
{
	const sample_job *j = arg;
	const geometry *g = j->g;
	size_t b;
	for (b = begin; b < end; b++) {
		im2col_src src = {g, j->src + b * g->C * g->H * g->W, j->lo, j->hi};
		dm_matrix_fn colT = {im2col_segment, &src};
		float *y = j->dst + b * g->O * g->np;
		dm_gemm_on_worker(j->e, worker, 0, 0, g->O, g->np, g->ckk, j->W, g->ckk, NULL,
				  NULL, g->np, &colT, y, g->np);
		add_bias(y, g->np, j->bias, g->O, g->np, y);
	}
}

/* colT_b[C*K*K, OH*OW] = W[O, C*K*K]^T dY[b][O, OH*OW], then dX[b] =
 * col2im(colT_b) while colT_b is in cache (each thread its own block of
 * the column space, or each sample its own when there are more threads
 * than samples), samples [begin, end) */
static void dx_samples(void *arg, size_t begin, size_t end, int worker)
{
	const sample_job *j = arg;
	const geometry *g = j->g;
	size_t b, block = (size_t)worker;
	for (b = begin; b < end; b++) {
		float *colb = j->col + (j->per_sample ? b : block) * g->ckk * g->np;
		conv_job planes = {g, 1, g->np, colb, NULL, j->dst + b * g->C * g->H * g->W,
				   j->lo, j->hi, 0};
		dm_gemm_on_worker(j->e, worker, 1, 0, g->ckk, g->np, g->O, j->W, g->ckk, NULL,
				  j->src + b * g->O * g->np, g->np, NULL, colb, g->np);
		col2im_planes(&planes, 0, g->C, worker);
	}
}

/* forward:  colT[C*K*K, B*OH*OW] = im2col(X[B, C, H, W]) (portable: never
 *           stored, see im2col_src; backward stores it for dW)
 *           T[O, B*OH*OW] = W[O, C*K*K] colT
 *           Y[B, O, OH, OW] = T per sample + b[O]
 *           (portable: one product per sample, written into Y[b] and
 *           the bias added while it is in cache)
 * backward: T[O, B*OH*OW] = dY[B, O, OH, OW] per sample
 *           dW[O, C*K*K] = T colT^T, db[O] = sum over b, oh, ow of dY
 *           (portable: T and colT a chunk of samples at a time, dW's
 *           sums continued from chunk to chunk)
 *           unless dx is NULL: colT = W^T T, dX[B, C, H, W] = col2im(colT)
 *           (portable: per sample, colT_b = W^T dY[b], then col2im while
 *           colT_b is in cache)
 * Every output of a product sums over the same index in the same order
 * however the product is split or laid out (gemm.h), so the layouts and
 * the split per sample are chosen for speed and change no bit.  With the
 * samples as the columns of every product, the portable GEMM packs colT a
 * whole row of a block at a time (long runs of X), and Y needs no
 * transpose. */
static void run(const dm_layer_ctx *c, int action)
{
	const dm_layer *l = c->l;
	geometry g = geometry_of(l);
	const float *W = c->params, *bias = c->params + g.O * g.ckk;
	size_t B = c->B, rows = B * g.np, kw, lo[256], hi[256]; /* K <= 255: parse() */
	float *col = c->work, *t = c->work + rows * g.ckk;
	dm_engine *e = c->e;
	conv_job j = {&g, B, rows, c->x, bias, col, lo, hi, 0};
	sample_job sj = {e, &g, W, bias, c->x, c->y, lo, hi, NULL, 0};
	/* portable: forward's colT is computed as the GEMM packs it, from X,
	 * and backward stores it; openblas: stored in forward, kept for
	 * backward */
	int virtual_col = e->numerics == DM_NUMERICS_PORTABLE;
	for (kw = 0; kw < g.K; kw++)
		inside(g.W, g.OW, kw, g.S, g.P, &lo[kw], &hi[kw]);
	if (action == DM_LAYER_FORWARD) {
		if (virtual_col) {
			dm_pool_run(e->pool, B, 1, forward_samples, &sj);
			dm_gemm_on_workers_done(e, 2 * (uint64_t)rows * g.O * g.ckk);
		} else {
			dm_pool_run(e->pool, g.ckk, 1, im2col_rows, &j);
			dm_gemm(e, 0, 0, g.O, rows, g.ckk, W, g.ckk, col, rows, t, rows);
			j.src = t, j.dst = c->y;
			dm_pool_run(e->pool, B, 1, bias_out, &j);
		}
		e->flop += (uint64_t)rows * g.O;
		return;
	}
	{
		float *dW = c->grads, *db = c->grads + g.O * g.ckk;
		/* dW and db a chunk of samples at a time.  Portable: T and
		 * colT of the chunk stored (dW reads colT in place, six rows at
		 * a time, faster than packing it from X or T from dY: measured)
		 * and still in cache when the product reads them; openblas: the
		 * whole batch is one chunk, colT kept from forward.  Each
		 * chunk's product, and db, continue the sums of the last, so
		 * the bits are those of one pass. */
		size_t chunk = virtual_col ? CHUNK_FLOATS / (g.np * (g.ckk + g.O)) : B, b0;
		if (chunk == 0)
			chunk = 1;
		for (b0 = 0; b0 < B; b0 += chunk) {
			size_t n = B - b0 < chunk ? B - b0 : chunk, r = n * g.np;
			conv_job jt = {&g, n, r, c->dy + b0 * g.O * g.np, bias, t, lo, hi, 0};
			conv_job jc = {&g, n, r, c->x + b0 * g.C * g.H * g.W, bias, col, lo, hi, 0};
			conv_job jb = {&g, n, r, t, bias, db, lo, hi, b0 > 0};
			dm_pool_run(e->pool, n, 1, dy_in, &jt);
			if (virtual_col)
				dm_pool_run(e->pool, g.ckk, 1, im2col_rows, &jc);
			(b0 ? dm_gemm_acc : dm_gemm)(e, 0, 1, g.O, g.ckk, r, t, r, col, r, dW, g.ckk);
			dm_pool_run(e->pool, g.O, 8, bias_grad, &jb);
		}
		e->flop += (uint64_t)rows * g.O;
		if (c->dx && virtual_col) {
			sj.src = c->dy, sj.dst = c->dx, sj.col = col;
			sj.per_sample = (size_t)dm_pool_threads(e->pool) > B;
			dm_pool_run(e->pool, B, 1, dx_samples, &sj);
			dm_gemm_on_workers_done(e, 2 * (uint64_t)rows * g.O * g.ckk);
		} else if (c->dx) {
			dm_gemm(e, 1, 0, g.ckk, rows, g.O, W, g.ckk, t, rows, col, rows);
			j.src = col, j.dst = c->dx;
			dm_pool_run(e->pool, B * g.C, 1, col2im_planes, &j);
		}
		if (c->dx) {
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
