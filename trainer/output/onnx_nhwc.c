/* onnx_nhwc.c - Keras' NHWC layout (onnx_nhwc.h). */
#include "onnx_nhwc.h"

#include <stdlib.h>
#include <string.h>

enum dm_perm dm_perm_kind(const int64_t *perm, size_t n)
{
	static const int64_t to_nchw[4] = {0, 3, 1, 2}, to_nhwc[4] = {0, 2, 3, 1};
	if (n != 4)
		return DM_PERM_OTHER;
	if (!memcmp(perm, to_nchw, sizeof to_nchw))
		return DM_PERM_TO_NCHW;
	if (!memcmp(perm, to_nhwc, sizeof to_nhwc))
		return DM_PERM_TO_NHWC;
	return DM_PERM_OTHER;
}

int dm_hwc_to_chw(float *v, size_t rows, size_t c, size_t h, size_t w)
{
	size_t n = c * h * w, r, ch, y, x;
	float *t = malloc((n ? n : 1) * sizeof *t);
	if (!t)
		return -1;
	for (r = 0; r < rows; r++) {
		float *row = v + r * n;
		for (ch = 0; ch < c; ch++)
			for (y = 0; y < h; y++)
				for (x = 0; x < w; x++)
					t[(ch * h + y) * w + x] = row[(y * w + x) * c + ch];
		memcpy(row, t, n * sizeof *t);
	}
	free(t);
	return 0;
}
