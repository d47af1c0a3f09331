/* gemm_portable.c - the portable GEMM: packing, blocking and micro-kernels.
 *
 * The loop nest is the usual Goto/BLIS one (NC columns, KC depth, MC rows,
 * then MR x NR micro-tiles).  What makes it portable is the micro-kernel:
 * each C element is acc = fmaf(a[k], b[k], acc) for k in increasing order,
 * starting from +0 at k = 0 and continuing from the stored float at the
 * next KC block.  Storing and reloading a float does not change it, so the
 * blocking leaves the order of every sum untouched.
 */
#include <math.h>
#include <string.h>

#include "gemm.h"
#include "gemm_kernel.h"

_Static_assert(DM_KC_T * DM_NC_T + DM_MR * DM_KC_T <= DM_PACK_FLOATS,
	       "the transposed-C blocks fit the packing space");

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86_DISPATCH 1
#endif

/* Row i of A or B as stored, columns [j0, j0 + n): in place, or computed
 * into buf (ROW_BUF floats) when the matrix is given by a function. */
#define ROW_BUF DM_KC_T
_Static_assert(DM_MC <= ROW_BUF && DM_KC + DM_KC / 2 <= ROW_BUF && DM_NC <= ROW_BUF &&
	       DM_NC_T <= ROW_BUF,
	       "a packed row fits the row buffer");

static const float *row_of(const float *m, size_t ld, const dm_matrix_fn *f, size_t i,
			   size_t j0, size_t n, float *buf)
{
	if (!f)
		return m + i * ld + j0;
	f->row(f->ctx, i, j0, n, buf);
	return buf;
}

/* Pack op(A)[i0:i0+mc, k0:k0+kc] into MR-row panels: p[panel][k][r].
 * Packing only moves floats; one loop per layout, each reading its source
 * in order, because packing is a fifth of the time at batch 64. */
#define PREFETCH_K 8

static void pack_a(const dm_gemm_block *b, size_t i0, size_t mc, size_t k0,
		   size_t kc, float *p)
{
	size_t ip, r, k;
	float buf[ROW_BUF];
	if (b->ta) { /* op(A) rows are A's columns: each k's mc floats are
		      * adjacent, read once in order for all the panels */
		size_t full = mc / DM_MR * DM_MR;
		for (k = 0; k < kc; k++) {
			const float *src = row_of(b->A, b->lda, b->fa, k0 + k, i0, mc, buf);
			float *q = p + k * DM_MR;
			/* its floats of a few k later: at a stride of a whole
			 * row (conv's colT, 50 KB), each k starts a new stream
			 * that the hardware does not fetch ahead */
			if (!b->fa && k + PREFETCH_K < kc)
				for (ip = 0; ip < mc; ip += 16)
					__builtin_prefetch(src + PREFETCH_K * b->lda + ip);
			/* whole panels: a copy of a constant size (two moves) */
			for (ip = 0; ip < full; ip += DM_MR, q += DM_MR * kc)
				memcpy(q, src + ip, DM_MR * sizeof *q);
			for (; ip < mc; ip += DM_MR, q += DM_MR * kc) {
				size_t h = mc - ip < DM_MR ? mc - ip : DM_MR;
				for (r = 0; r < h; r++)
					q[r] = src[ip + r];
				for (; r < DM_MR; r++)
					q[r] = 0.0f;
			}
		}
		return;
	}
	for (ip = 0; ip < mc; ip += DM_MR, p += DM_MR * kc) {
		size_t h = mc - ip < DM_MR ? mc - ip : DM_MR;
		{
			for (r = 0; r < h; r++) {
				const float *src = row_of(b->A, b->lda, b->fa, i0 + ip + r, k0, kc, buf);
				for (k = 0; k < kc; k++)
					p[k * DM_MR + r] = src[k];
			}
			for (; r < DM_MR; r++)
				for (k = 0; k < kc; k++)
					p[k * DM_MR + r] = 0.0f;
		}
	}
}

#ifdef HAVE_X86_DISPATCH
/* One full transposed panel with AVX: p[k][c] = src[c * ld + k] for c < 16,
 * k < kc, by 8 x 8 transposes (unpack, shuffle, permute: moves only, so
 * the packed floats are the same bits as the plain loop's).  The forward
 * pass packs W this way (op(B) = W^T), every step: with scalar stores 16
 * floats apart it cost about as much as the arithmetic at batch 64. */
__attribute__((target("avx2")))
static void pack_b_t_avx2(const float *src, size_t ld, size_t kc, float *p)
{
	size_t k = 0, h, c;
	for (; k + 8 <= kc; k += 8)
		for (h = 0; h < DM_NR; h += 8) {
			const float *s = src + h * ld + k;
			__m256 r0 = _mm256_loadu_ps(s + 0 * ld), r1 = _mm256_loadu_ps(s + 1 * ld);
			__m256 r2 = _mm256_loadu_ps(s + 2 * ld), r3 = _mm256_loadu_ps(s + 3 * ld);
			__m256 r4 = _mm256_loadu_ps(s + 4 * ld), r5 = _mm256_loadu_ps(s + 5 * ld);
			__m256 r6 = _mm256_loadu_ps(s + 6 * ld), r7 = _mm256_loadu_ps(s + 7 * ld);
			__m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
			__m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
			__m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
			__m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
			__m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
			__m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
			__m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
			__m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
			float *d = p + k * DM_NR + h;
			_mm256_storeu_ps(d + 0 * DM_NR, _mm256_permute2f128_ps(u0, u4, 0x20));
			_mm256_storeu_ps(d + 1 * DM_NR, _mm256_permute2f128_ps(u1, u5, 0x20));
			_mm256_storeu_ps(d + 2 * DM_NR, _mm256_permute2f128_ps(u2, u6, 0x20));
			_mm256_storeu_ps(d + 3 * DM_NR, _mm256_permute2f128_ps(u3, u7, 0x20));
			_mm256_storeu_ps(d + 4 * DM_NR, _mm256_permute2f128_ps(u0, u4, 0x31));
			_mm256_storeu_ps(d + 5 * DM_NR, _mm256_permute2f128_ps(u1, u5, 0x31));
			_mm256_storeu_ps(d + 6 * DM_NR, _mm256_permute2f128_ps(u2, u6, 0x31));
			_mm256_storeu_ps(d + 7 * DM_NR, _mm256_permute2f128_ps(u3, u7, 0x31));
		}
	for (; k < kc; k++)
		for (c = 0; c < DM_NR; c++)
			p[k * DM_NR + c] = src[c * ld + k];
}

#endif

/* Pack op(B)[k0:k0+kc, j0:j0+nc] into NR-column panels: p[panel][k][c]. */
static void pack_b(const dm_gemm_block *b, size_t k0, size_t kc, size_t j0,
		   size_t nc, float *p)
{
	size_t jp, c, k;
	float buf[ROW_BUF];
	if (!b->tb && b->fb) {
		/* B's rows computed (conv's im2col columns): each k's nc
		 * floats in one call, long runs, then dealt to the panels */
		for (k = 0; k < kc; k++) {
			float *q = p + k * DM_NR;
			b->fb->row(b->fb->ctx, k0 + k, j0, nc, buf);
			for (jp = 0; jp + DM_NR <= nc; jp += DM_NR, q += DM_NR * kc)
				memcpy(q, buf + jp, DM_NR * sizeof *q);
			for (c = 0; jp + c < nc; c++)
				q[c] = buf[jp + c];
			if (c)
				for (; c < DM_NR; c++)
					q[c] = 0.0f;
		}
		return;
	}
	for (jp = 0; jp < nc; jp += DM_NR, p += DM_NR * kc) {
		size_t w = nc - jp < DM_NR ? nc - jp : DM_NR;
#ifdef HAVE_X86_DISPATCH
		if (b->tb && !b->fb && w == DM_NR && __builtin_cpu_supports("avx2")) {
			pack_b_t_avx2(b->B + (j0 + jp) * b->ldb + k0, b->ldb, kc, p);
			continue;
		}
#endif
		if (!b->tb && !b->fb && w == DM_NR) { /* a constant size: vector moves, not rep movs */
			const float *src = b->B + k0 * b->ldb + j0 + jp;
			for (k = 0; k < kc; k++)
				memcpy(p + k * DM_NR, src + k * b->ldb, DM_NR * sizeof *p);
		} else if (!b->tb) { /* rows of B: NR adjacent floats per k */
			for (k = 0; k < kc; k++) {
				memcpy(p + k * DM_NR, row_of(b->B, b->ldb, b->fb, k0 + k, j0 + jp, w, buf),
				       w * sizeof *p);
				for (c = w; c < DM_NR; c++)
					p[k * DM_NR + c] = 0.0f;
			}
		} else { /* op(B) columns are B's rows: read each row in order */
			for (c = 0; c < w; c++) {
				const float *src = row_of(b->B, b->ldb, b->fb, j0 + jp + c, k0, kc, buf);
				for (k = 0; k < kc; k++)
					p[k * DM_NR + c] = src[k];
			}
			for (; c < DM_NR; c++)
				for (k = 0; k < kc; k++)
					p[k * DM_NR + c] = 0.0f;
		}
	}
}

/* The micro-kernels compute one MR x NR tile of C from op(A)[r][k], found
 * at a[r * a_rs + k * a_ks], and the packed B panel b[k][c].  Packed A
 * panels have a_rs = 1 and a_ks = MR; A read in place (not transposed, its
 * rows are contiguous) has a_rs = lda and a_ks = 1.  Reading A in place
 * saves its packing; the tile's rows stay in L1 across the columns. */

/* The reference micro-kernel, plain C: any compiler, any architecture.
 * c is a full MR x NR tile with row stride ldc. */
static void kernel_generic(size_t kc, const float *a, size_t a_rs, size_t a_ks,
			   const float *b, float *c, size_t ldc, int load)
{
	float acc[DM_MR][DM_NR];
	size_t i, j, k;
	for (i = 0; i < DM_MR; i++)
		for (j = 0; j < DM_NR; j++)
			acc[i][j] = load ? c[i * ldc + j] : 0.0f;
	for (k = 0; k < kc; k++, a += a_ks, b += DM_NR)
		for (i = 0; i < DM_MR; i++)
			for (j = 0; j < DM_NR; j++)
				acc[i][j] = fmaf(a[i * a_rs], b[j], acc[i][j]);
	for (i = 0; i < DM_MR; i++)
		for (j = 0; j < DM_NR; j++)
			c[i * ldc + j] = acc[i][j];
}

#ifdef HAVE_X86_DISPATCH
/* The same arithmetic with AVX2 registers: vfmadd231ps is fmaf on 8 lanes,
 * one lane per output, so the bits equal kernel_generic's.  Inlined into
 * one function per A layout, so that the strides are constants there. */
__attribute__((target("avx2,fma"), always_inline))
static inline void kernel_avx2_body(size_t kc, const float *a, size_t a_rs,
				    size_t a_ks, const float *b, float *c,
				    size_t ldc, int load)
{
	__m256 c0l, c0h, c1l, c1h, c2l, c2h, c3l, c3h, c4l, c4h, c5l, c5h;
	size_t k;
	if (load) {
		c0l = _mm256_loadu_ps(c + 0 * ldc), c0h = _mm256_loadu_ps(c + 0 * ldc + 8);
		c1l = _mm256_loadu_ps(c + 1 * ldc), c1h = _mm256_loadu_ps(c + 1 * ldc + 8);
		c2l = _mm256_loadu_ps(c + 2 * ldc), c2h = _mm256_loadu_ps(c + 2 * ldc + 8);
		c3l = _mm256_loadu_ps(c + 3 * ldc), c3h = _mm256_loadu_ps(c + 3 * ldc + 8);
		c4l = _mm256_loadu_ps(c + 4 * ldc), c4h = _mm256_loadu_ps(c + 4 * ldc + 8);
		c5l = _mm256_loadu_ps(c + 5 * ldc), c5h = _mm256_loadu_ps(c + 5 * ldc + 8);
	} else {
		c0l = c0h = c1l = c1h = c2l = c2h = _mm256_setzero_ps();
		c3l = c3h = c4l = c4h = c5l = c5h = _mm256_setzero_ps();
	}
	for (k = 0; k < kc; k++, a += a_ks, b += DM_NR) {
		__m256 bl = _mm256_loadu_ps(b), bh = _mm256_loadu_ps(b + 8), ai;
		ai = _mm256_broadcast_ss(a + 0 * a_rs);
		c0l = _mm256_fmadd_ps(ai, bl, c0l), c0h = _mm256_fmadd_ps(ai, bh, c0h);
		ai = _mm256_broadcast_ss(a + 1 * a_rs);
		c1l = _mm256_fmadd_ps(ai, bl, c1l), c1h = _mm256_fmadd_ps(ai, bh, c1h);
		ai = _mm256_broadcast_ss(a + 2 * a_rs);
		c2l = _mm256_fmadd_ps(ai, bl, c2l), c2h = _mm256_fmadd_ps(ai, bh, c2h);
		ai = _mm256_broadcast_ss(a + 3 * a_rs);
		c3l = _mm256_fmadd_ps(ai, bl, c3l), c3h = _mm256_fmadd_ps(ai, bh, c3h);
		ai = _mm256_broadcast_ss(a + 4 * a_rs);
		c4l = _mm256_fmadd_ps(ai, bl, c4l), c4h = _mm256_fmadd_ps(ai, bh, c4h);
		ai = _mm256_broadcast_ss(a + 5 * a_rs);
		c5l = _mm256_fmadd_ps(ai, bl, c5l), c5h = _mm256_fmadd_ps(ai, bh, c5h);
	}
	_mm256_storeu_ps(c + 0 * ldc, c0l), _mm256_storeu_ps(c + 0 * ldc + 8, c0h);
	_mm256_storeu_ps(c + 1 * ldc, c1l), _mm256_storeu_ps(c + 1 * ldc + 8, c1h);
	_mm256_storeu_ps(c + 2 * ldc, c2l), _mm256_storeu_ps(c + 2 * ldc + 8, c2h);
	_mm256_storeu_ps(c + 3 * ldc, c3l), _mm256_storeu_ps(c + 3 * ldc + 8, c3h);
	_mm256_storeu_ps(c + 4 * ldc, c4l), _mm256_storeu_ps(c + 4 * ldc + 8, c4h);
	_mm256_storeu_ps(c + 5 * ldc, c5l), _mm256_storeu_ps(c + 5 * ldc + 8, c5h);
}

__attribute__((target("avx2,fma")))
static void kernel_avx2(size_t kc, const float *a, size_t a_rs, size_t a_ks,
			const float *b, float *c, size_t ldc, int load)
{
	if (a_ks == 1) /* A in place */
		kernel_avx2_body(kc, a, a_rs, 1, b, c, ldc, load);
	else           /* packed A */
		kernel_avx2_body(kc, a, 1, DM_MR, b, c, ldc, load);
}
#endif

#ifdef HAVE_X86_DISPATCH
/* The same arithmetic with AVX-512 registers, 16 lanes: one register a
 * row of the tile.  Six accumulators leave the FMA units waiting on each
 * other's latency, so this one serves the edges, and kernel_avx512_wide
 * the full tiles. */
__attribute__((target("avx512f"), always_inline))
static inline void kernel_avx512_body(size_t kc, const float *a, size_t a_rs,
				      size_t a_ks, const float *b, float *c,
				      size_t ldc, int load)
{
	__m512 c0, c1, c2, c3, c4, c5;
	size_t k;
	if (load) {
		c0 = _mm512_loadu_ps(c + 0 * ldc), c1 = _mm512_loadu_ps(c + 1 * ldc);
		c2 = _mm512_loadu_ps(c + 2 * ldc), c3 = _mm512_loadu_ps(c + 3 * ldc);
		c4 = _mm512_loadu_ps(c + 4 * ldc), c5 = _mm512_loadu_ps(c + 5 * ldc);
	} else {
		c0 = c1 = c2 = c3 = c4 = c5 = _mm512_setzero_ps();
	}
	for (k = 0; k < kc; k++, a += a_ks, b += DM_NR) {
		__m512 bk = _mm512_loadu_ps(b);
		c0 = _mm512_fmadd_ps(_mm512_set1_ps(a[0 * a_rs]), bk, c0);
		c1 = _mm512_fmadd_ps(_mm512_set1_ps(a[1 * a_rs]), bk, c1);
		c2 = _mm512_fmadd_ps(_mm512_set1_ps(a[2 * a_rs]), bk, c2);
		c3 = _mm512_fmadd_ps(_mm512_set1_ps(a[3 * a_rs]), bk, c3);
		c4 = _mm512_fmadd_ps(_mm512_set1_ps(a[4 * a_rs]), bk, c4);
		c5 = _mm512_fmadd_ps(_mm512_set1_ps(a[5 * a_rs]), bk, c5);
	}
	_mm512_storeu_ps(c + 0 * ldc, c0), _mm512_storeu_ps(c + 1 * ldc, c1);
	_mm512_storeu_ps(c + 2 * ldc, c2), _mm512_storeu_ps(c + 3 * ldc, c3);
	_mm512_storeu_ps(c + 4 * ldc, c4), _mm512_storeu_ps(c + 5 * ldc, c5);
}

__attribute__((target("avx512f")))
static void kernel_avx512(size_t kc, const float *a, size_t a_rs, size_t a_ks,
			  const float *b, float *c, size_t ldc, int load)
{
	if (a_ks == 1)
		kernel_avx512_body(kc, a, a_rs, 1, b, c, ldc, load);
	else
		kernel_avx512_body(kc, a, 1, DM_MR, b, c, ldc, load);
}

/* Two adjacent full tiles, MR x 2 NR: the packed B panels b and b + NR kc
 * side by side, twelve accumulators.  Each output is still one fmaf chain
 * over k in order: the same bits as two calls of the kernels above. */
__attribute__((target("avx512f"), always_inline))
static inline void kernel_avx512_wide_body(size_t kc, const float *a, size_t a_rs,
					   size_t a_ks, const float *b, float *c,
					   size_t ldc, int load)
{
	__m512 c0l, c0h, c1l, c1h, c2l, c2h, c3l, c3h, c4l, c4h, c5l, c5h;
	const float *b2 = b + DM_NR * kc;
	size_t k;
	if (load) {
		c0l = _mm512_loadu_ps(c + 0 * ldc), c0h = _mm512_loadu_ps(c + 0 * ldc + DM_NR);
		c1l = _mm512_loadu_ps(c + 1 * ldc), c1h = _mm512_loadu_ps(c + 1 * ldc + DM_NR);
		c2l = _mm512_loadu_ps(c + 2 * ldc), c2h = _mm512_loadu_ps(c + 2 * ldc + DM_NR);
		c3l = _mm512_loadu_ps(c + 3 * ldc), c3h = _mm512_loadu_ps(c + 3 * ldc + DM_NR);
		c4l = _mm512_loadu_ps(c + 4 * ldc), c4h = _mm512_loadu_ps(c + 4 * ldc + DM_NR);
		c5l = _mm512_loadu_ps(c + 5 * ldc), c5h = _mm512_loadu_ps(c + 5 * ldc + DM_NR);
	} else {
		c0l = c0h = c1l = c1h = c2l = c2h = _mm512_setzero_ps();
		c3l = c3h = c4l = c4h = c5l = c5h = _mm512_setzero_ps();
	}
	for (k = 0; k < kc; k++, a += a_ks, b += DM_NR, b2 += DM_NR) {
		__m512 bl = _mm512_loadu_ps(b), bh = _mm512_loadu_ps(b2), ai;
		ai = _mm512_set1_ps(a[0 * a_rs]);
		c0l = _mm512_fmadd_ps(ai, bl, c0l), c0h = _mm512_fmadd_ps(ai, bh, c0h);
		ai = _mm512_set1_ps(a[1 * a_rs]);
		c1l = _mm512_fmadd_ps(ai, bl, c1l), c1h = _mm512_fmadd_ps(ai, bh, c1h);
		ai = _mm512_set1_ps(a[2 * a_rs]);
		c2l = _mm512_fmadd_ps(ai, bl, c2l), c2h = _mm512_fmadd_ps(ai, bh, c2h);
		ai = _mm512_set1_ps(a[3 * a_rs]);
		c3l = _mm512_fmadd_ps(ai, bl, c3l), c3h = _mm512_fmadd_ps(ai, bh, c3h);
		ai = _mm512_set1_ps(a[4 * a_rs]);
		c4l = _mm512_fmadd_ps(ai, bl, c4l), c4h = _mm512_fmadd_ps(ai, bh, c4h);
		ai = _mm512_set1_ps(a[5 * a_rs]);
		c5l = _mm512_fmadd_ps(ai, bl, c5l), c5h = _mm512_fmadd_ps(ai, bh, c5h);
	}
	_mm512_storeu_ps(c + 0 * ldc, c0l), _mm512_storeu_ps(c + 0 * ldc + DM_NR, c0h);
	_mm512_storeu_ps(c + 1 * ldc, c1l), _mm512_storeu_ps(c + 1 * ldc + DM_NR, c1h);
	_mm512_storeu_ps(c + 2 * ldc, c2l), _mm512_storeu_ps(c + 2 * ldc + DM_NR, c2h);
	_mm512_storeu_ps(c + 3 * ldc, c3l), _mm512_storeu_ps(c + 3 * ldc + DM_NR, c3h);
	_mm512_storeu_ps(c + 4 * ldc, c4l), _mm512_storeu_ps(c + 4 * ldc + DM_NR, c4h);
	_mm512_storeu_ps(c + 5 * ldc, c5l), _mm512_storeu_ps(c + 5 * ldc + DM_NR, c5h);
}

__attribute__((target("avx512f")))
static void kernel_avx512_wide(size_t kc, const float *a, size_t a_rs, size_t a_ks,
			       const float *b, float *c, size_t ldc, int load)
{
	if (a_ks == 1)
		kernel_avx512_wide_body(kc, a, a_rs, 1, b, c, ldc, load);
	else
		kernel_avx512_wide_body(kc, a, 1, DM_MR, b, c, ldc, load);
}

static int have_avx512(void)
{
	return __builtin_cpu_supports("avx512f");
}

static int have_avx2_fma(void)
{
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

typedef void (*kernel_fn)(size_t, const float *, size_t, size_t,
			  const float *, float *, size_t, int);

/* A kernel for one MR x NR tile and, where the CPU has room for it, one
 * for two adjacent full tiles (MR x 2 NR, wide == NULL otherwise). */
typedef struct kernels {
	kernel_fn one, wide;
	const char *name;
} kernels;

static kernels chosen_kernels(int forced)
{
	kernels k = {kernel_generic, NULL, "generic"};
	if (forced == DM_KERNEL_GENERIC)
		return k;
#ifdef HAVE_X86_DISPATCH
	if (forced == DM_KERNEL_AVX512 || (forced == DM_KERNEL_AUTO && have_avx512()))
		k = (kernels){kernel_avx512, kernel_avx512_wide, "avx512"};
	else if (forced == DM_KERNEL_AVX2_FMA || (forced == DM_KERNEL_AUTO && have_avx2_fma()))
		k = (kernels){kernel_avx2, NULL, "avx2-fma"};
#endif
	return k;
}

const char *dm_gemm_kernel(const dm_engine *e)
{
	return chosen_kernels(e->kernel).name;
}

int dm_kernel_parse(const char *name, dm_kernel *out)
{
	if (!strcmp(name, "generic"))
		*out = DM_KERNEL_GENERIC;
#ifdef HAVE_X86_DISPATCH
	else if (!strcmp(name, "avx2-fma") && have_avx2_fma())
		*out = DM_KERNEL_AVX2_FMA;
	else if (!strcmp(name, "avx512") && have_avx512())
		*out = DM_KERNEL_AVX512;
#endif
	else if (!strcmp(name, "auto"))
		*out = DM_KERNEL_AUTO;
	else
		return -1;
	return 0;
}

/* A partial tile, or any tile of a transposed C, goes through a full
 * MR x width one (width NR, or 2 NR for a wide kernel): copy in (for a
 * continued sum), compute, copy out. */
static void edge_tile(const dm_gemm_block *b, kernel_fn kernel, size_t width, size_t kc,
		      const float *ap, size_t a_rs, size_t a_ks, const float *bp,
		      size_t i, size_t j, size_t mr, size_t nr, int load)
{
	float edge[DM_MR * 2 * DM_NR];
	size_t r, c;
	if (load) /* a new sum (load == 0) does not read the tile */
		for (r = 0; r < DM_MR; r++)
			for (c = 0; c < width; c++)
				edge[r * width + c] = r >= mr || c >= nr ? 0.0f :
					b->trans_c ? b->C[(j + c) * b->ldc + i + r] : b->C[(i + r) * b->ldc + j + c];
	kernel(kc, ap, a_rs, a_ks, bp, edge, width, load);
	if (b->trans_c) {
		for (c = 0; c < nr; c++)
			for (r = 0; r < mr; r++)
				b->C[(j + c) * b->ldc + i + r] = edge[r * width + c];
	} else {
		for (r = 0; r < mr; r++)
			memcpy(b->C + (i + r) * b->ldc + j, edge + r * width, nr * sizeof *b->C);
	}
}

/* One tile of C: C[i:i+mr, j:j+nr] (+)= op(A)[i:i+mr, pc:pc+kc] . bp. */
static void tile(const dm_gemm_block *b, kernel_fn kernel, const float *ap,
		 size_t a_rs, size_t a_ks, const float *bp, size_t i, size_t j,
		 size_t mr, size_t nr, size_t kc, int load)
{
	if (mr == DM_MR && nr == DM_NR && !b->trans_c)
		kernel(kc, ap, a_rs, a_ks, bp, b->C + i * b->ldc + j, b->ldc, load);
	else
		edge_tile(b, kernel, DM_NR, kc, ap, a_rs, a_ks, bp, i, j, mr, nr, load);
}

/* The tiles C[i:i+mr, j:j+nr] for nr up to 2 NR, from the packed B
 * panels at bp (NR columns each, kc apart, zero-padded): the wide kernel
 * when there is one and there are two panels (straight into C when both
 * tiles are full and C is not transposed), else one tile at a time. */
static void tiles(const dm_gemm_block *b, const kernels *k, const float *ap, size_t a_rs,
		  size_t a_ks, const float *bp, size_t i, size_t j, size_t mr, size_t nr,
		  size_t kc, int load)
{
	size_t jp;
	if (k->wide && mr == DM_MR && nr == 2 * DM_NR && !b->trans_c) {
		k->wide(kc, ap, a_rs, a_ks, bp, b->C + i * b->ldc + j, b->ldc, load);
		return;
	}
	if (k->wide && nr > DM_NR) { /* partial, or transposed: through a wide edge */
		edge_tile(b, k->wide, 2 * DM_NR, kc, ap, a_rs, a_ks, bp, i, j, mr, nr, load);
		return;
	}
	for (jp = 0; jp < nr; jp += DM_NR)
		tile(b, k->one, ap, a_rs, a_ks, bp + jp * kc, i, j + jp, mr,
		     nr - jp < DM_NR ? nr - jp : DM_NR, kc, load);
}

void dm_gemm_portable_block(const dm_gemm_block *b, int forced, float *pack)
{
	kernels kern = chosen_kernels(forced);
	/* columns a step of the tile loops: two panels for a wide kernel */
	size_t step = kern.wide ? 2 * DM_NR : DM_NR;
	size_t kc_max = b->trans_c ? DM_KC_T : DM_KC, nc_max = b->trans_c ? DM_NC_T : DM_NC;
	float *pb, *pa;
	if (!b->trans_c && b->K > DM_KC && b->K <= DM_KC + DM_KC / 2) {
		/* a depth a little over KC (conv 64 3x3 on 32 channels: 288) in
		 * one block, with fewer columns a block where they would not
		 * fit: a second block of 32 would store and reload every tile
		 * for a few k; the sums' order is the same */
		size_t nc = (b->j1 - b->j0 + DM_NR - 1) / DM_NR * DM_NR;
		size_t fit = (DM_PACK_FLOATS / b->K - DM_MC) / DM_NR * DM_NR;
		kc_max = b->K, nc_max = nc < fit ? nc : fit;
	}
	pb = pack, pa = pack + kc_max * nc_max;
	size_t jc, pc, ic, jr, ir;
	for (jc = b->j0; jc < b->j1; jc += nc_max) {
		size_t nc = b->j1 - jc < nc_max ? b->j1 - jc : nc_max;
		for (pc = 0; pc < b->K; pc += kc_max) {
			size_t kc = b->K - pc < kc_max ? b->K - pc : kc_max;
			/* continue the sums of the last block, or of the
			 * caller's last product */
			int load = pc > 0 || b->accumulate;
			pack_b(b, pc, kc, jc, nc, pb);
			for (ic = b->i0; ic < b->i1; ic += DM_MC) {
				size_t mc = b->i1 - ic < DM_MC ? b->i1 - ic : DM_MC;
				if (!b->trans_c) { /* else A = W, read in place */
					/* packed A: its block stays in L2, a B
					 * micro-panel in L1 across the rows */
					pack_a(b, ic, mc, pc, kc, pa);
					for (jr = 0; jr < nc; jr += step)
						for (ir = 0; ir < mc; ir += DM_MR)
							tiles(b, &kern, pa + ir * kc, 1, DM_MR, pb + jr * kc,
							      ic + ir, jc + jr, mc - ir < DM_MR ? mc - ir : DM_MR,
							      nc - jr < step ? nc - jr : step, kc, load);
					continue;
				}
				/* A in place: its MR rows stay in L1 across the
				 * columns; the last rows are packed with zeros, and
				 * a computed A is packed */
				for (ir = 0; ir < mc; ir += DM_MR) {
					size_t mr = mc - ir < DM_MR ? mc - ir : DM_MR;
					const float *ap = pa;
					size_t a_rs = 1, a_ks = DM_MR;
					if (mr < DM_MR || b->fa)
						pack_a(b, ic + ir, mr, pc, kc, pa);
					else
						ap = b->A + (ic + ir) * b->lda + pc, a_rs = b->lda, a_ks = 1;
					for (jr = 0; jr < nc; jr += step)
						tiles(b, &kern, ap, a_rs, a_ks, pb + jr * kc, ic + ir,
						      jc + jr, mr, nc - jr < step ? nc - jr : step, kc, load);
				}
			}
		}
	}
}
