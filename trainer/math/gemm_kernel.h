/* gemm_kernel.h - the portable back-end's blocked loops (internal). */
#ifndef DM_GEMM_KERNEL_H
#define DM_GEMM_KERNEL_H

#include <stddef.h>

#include "gemm.h"

/* Micro-tile: MR rows by NR columns of C stay in registers while k runs. */
#define DM_MR 6
#define DM_NR 16
/* Cache blocks: a KC x NC panel of op(B) and an MC x KC block of op(A). */
#define DM_KC 256
#define DM_MC 96
#define DM_NC 1024
#define DM_PACK_FLOATS (DM_KC * DM_NC + DM_MC * DM_KC)
/* A B^T with at most DM_NC_T rows (a small batch) is computed as
 * (B A^T)^T: B (the weights) is read in place instead of packed, A^T is
 * packed in one KC_T x NC_T panel that stays in L2 while each MR rows of B
 * pass through L1.  A transposing copy stores C, so the depth is blocked
 * less: one pass for K <= 1024.  A larger batch amortizes the packing of
 * B^T, and that panel would no longer fit L2. */
#define DM_KC_T 1024
#define DM_NC_T 64

typedef struct dm_gemm_block {
	int ta, tb;
	size_t K;
	const float *A;
	size_t lda;
	const float *B;
	size_t ldb;
	float *C;
	size_t ldc;
	size_t i0, i1, j0, j1; /* the part of C to compute */
	int trans_c;           /* C[i][j] is stored at C[j * ldc + i] */
	const dm_matrix_fn *fa, *fb; /* A or B computed (gemm.h), or NULL */
	int accumulate;        /* continue each sum from the float in C */
} dm_gemm_block;

/* Compute C[i0:i1, j0:j1] with pack (DM_PACK_FLOATS floats) as scratch,
 * by the kernel that kernel (a dm_kernel) names. */
void dm_gemm_portable_block(const dm_gemm_block *b, int kernel, float *pack);

#endif
