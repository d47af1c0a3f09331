/* onnx_nhwc.h - Keras' NHWC layout in an ONNX graph, as tf2onnx writes it.
 *
 * TensorFlow computes convolutions on N,H,W,C values; ONNX's Conv, pools
 * and BatchNormalization take N,C,H,W.  tf2onnx therefore puts a Transpose
 * with perm [0,3,1,2] (NHWC to NCHW) before them and one with perm
 * [0,2,3,1] (back) after them; its optimizer cancels the pairs in between,
 * which leaves one on the graph's NHWC input and one before the Flatten
 * (a Reshape to [-1, F]).  The trainer computes in C,H,W order throughout:
 * the input Transpose becomes the sample shape C x H x W, and the flatten
 * of H,W,C values reorders the next dense layer's weights from H,W,C to
 * C,H,W order, which gives the same outputs. */
#ifndef DM_ONNX_NHWC_H
#define DM_ONNX_NHWC_H

#include <stddef.h>
#include <stdint.h>

enum dm_perm { DM_PERM_OTHER, DM_PERM_TO_NCHW, DM_PERM_TO_NHWC };

/* Which of the two Transposes perm[n] is, or DM_PERM_OTHER. */
enum dm_perm dm_perm_kind(const int64_t *perm, size_t n);

/* Reorder each of rows rows of v, h*w*c values in H,W,C order (channels
 * fastest), to C,H,W order (the trainer's), in place.  -1 when out of
 * memory. */
int dm_hwc_to_chw(float *v, size_t rows, size_t c, size_t h, size_t w);

#endif
