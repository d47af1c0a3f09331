/* driver.c - train small networks with the trainer's numerics core and
 * print the bytes of the final weights, for tests/cross/run-cross.sh.
 *
 * Uses only trainer/base, trainer/math and trainer/model (no libarchive, no
 * OpenBLAS: build gemm.c with -DDM_NO_OPENBLAS), so that it cross-compiles
 * with nothing but a cross C compiler and its libc, and runs under
 * qemu-user.  The data are synthetic and come from dm_rng alone; every
 * float operation of the driver itself is rounded on its own (fp.h), like
 * the trainer's, so the data are the same bits on every architecture.
 *
 *   driver [--threads N] [--kernel auto|generic|avx2-fma|avx512]
 *
 * Without --kernel, DH_MODEL_KERNEL chooses the GEMM kernel as it does for
 * dh-model-train.
 * Output: "# ..." lines (information: kernel, losses), "bytes data HEX"
 * (the synthetic data), one line per case, "bytes NAME HEX", where HEX is
 * the final parameters as little-endian binary32 bytes in parameter order,
 * and "end" when every case has run.  run-cross.sh turns each bytes line
 * into "hash NAME SHA256" (Perl's Digest::SHA: the driver needs no SHA-256
 * of its own, and the trainer's comes from libmd, which the cross
 * compilers do not have) and "end" into "hash all SHA256", over all the
 * cases' bytes.  Only the hash lines are meant to be compared between
 * builds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "math/fmath.h"
#include "math/fp.h"
#include "math/gemm.h"
#include "math/rng.h"
#include "model/loss.h"
#include "model/net.h"
#include "model/optim.h"
#include "model/train.h"

#define ROWS 512
#define TRAIN_ROWS 448 /* the rest is the validation part */
#define DIM 20
#define CLASSES 4
#define DATA_SEED 20240601u

static void die(const char *what, const dm_error *err)
{
	fprintf(stderr, "driver: %s: %s\n", what, err ? err->msg : "failed");
	exit(1);
}

/* x [ROWS, DIM] uniform in [-1, 1); cls [ROWS] = argmax of CLASSES random
 * linear scores; reg [ROWS] = sigmoid of another score (for mse). */
static void make_data(float *x, float *cls, float *reg)
{
	float w[CLASSES + 1][DIM];
	dm_rng rng;
	size_t i, j, c;
	dm_rng_seed(&rng, DATA_SEED, 100);
	for (c = 0; c <= CLASSES; c++)
		for (j = 0; j < DIM; j++)
			w[c][j] = f_sub(f_mul(2.0f, dm_rng_uniform(&rng)), 1.0f);
	for (i = 0; i < ROWS; i++) {
		float best = 0.0f, s;
		size_t arg = 0;
		for (j = 0; j < DIM; j++)
			x[i * DIM + j] = f_sub(f_mul(2.0f, dm_rng_uniform(&rng)), 1.0f);
		for (c = 0; c <= CLASSES; c++) {
			s = 0.0f;
			for (j = 0; j < DIM; j++)
				s = f_add(s, f_mul(w[c][j], x[i * DIM + j]));
			if (c == CLASSES)
				reg[i] = dm_sigmoidf(s);
			else if (c == 0 || s > best)
				best = s, arg = c;
		}
		cls[i] = (float)arg;
	}
}

/* bytes as hex digits on stdout */
static void put_hex(const unsigned char *b, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		printf("%02x", b[i]);
}

/* a float's bytes, little-endian whatever the host's byte order */
static void put_float(float f)
{
	uint32_t u;
	unsigned char b[4];
	memcpy(&u, &f, sizeof u);
	b[0] = (unsigned char)u, b[1] = (unsigned char)(u >> 8);
	b[2] = (unsigned char)(u >> 16), b[3] = (unsigned char)(u >> 24);
	put_hex(b, sizeof b);
}

/* the learned parameters, then the state (batchnorm's running statistics) */
static void put_params(const dm_net *net)
{
	size_t i;
	for (i = 0; i < net->nparams + net->nstate; i++)
		put_float(net->params[i]);
}

typedef struct train_case {
	const char *name;
	const char *network;
	dm_loss loss;
	dm_opt_kind opt;
	float lr, momentum, weight_decay, clip_norm;
	const char *schedule;
	size_t batch;
	uint64_t epochs, seed;
	unsigned patience;
	size_t channels, height, width; /* the sample shape CxHxW, or 0: DIM */
} train_case;

static void run_case(const train_case *tc, dm_engine *e, const float *x,
		     const float *cls, const float *reg)
{
	static size_t train_idx[TRAIN_ROWS], valid_idx[ROWS - TRAIN_ROWS];
	dm_layer_spec *specs;
	size_t nspecs, i;
	dm_net *net;
	dm_train_cfg cfg;
	dm_train_result res;
	dm_error err;
	const float *y = tc->loss == DM_LOSS_MSE ? reg : cls;
	dm_rows train, valid;

	/* every 8th row is validation: an index list, as the trainer's split */
	{
		size_t t = 0, v = 0;
		for (i = 0; i < ROWS; i++) {
			if (i % 8 == 7)
				valid_idx[v++] = i;
			else
				train_idx[t++] = i;
		}
	}
	train = (dm_rows){x, y, DIM, train_idx, TRAIN_ROWS};
	valid = (dm_rows){x, y, DIM, valid_idx, ROWS - TRAIN_ROWS};

	if (dm_network_parse(tc->network, &specs, &nspecs, &err))
		die(tc->name, &err);
	if (tc->channels) {
		dm_shape shape = {3, {tc->channels, tc->height, tc->width, 0}};
		net = dm_net_new_shaped(specs, nspecs, &shape, tc->batch, &err);
	} else {
		net = dm_net_new(specs, nspecs, DIM, tc->batch, &err);
	}
	if (!net)
		die(tc->name, &err);
	dm_net_init(net, tc->seed);

	memset(&cfg, 0, sizeof cfg);
	cfg.loss = tc->loss;
	dm_optim_defaults(tc->opt, &cfg.optim);
	cfg.optim.lr = tc->lr;
	cfg.optim.momentum = tc->momentum;
	cfg.optim.weight_decay = tc->weight_decay;
	cfg.optim.clip_norm = tc->clip_norm;
	if (dm_schedule_parse(tc->schedule, &cfg.schedule, &err))
		die(tc->name, &err);
	cfg.batch = tc->batch;
	cfg.epochs = tc->epochs;
	cfg.shuffle = 1;
	cfg.seed = tc->seed;
	cfg.patience = tc->patience;
	if (dm_train(net, e, &cfg, &train, &valid, &res, &err))
		die(tc->name, &err);

	printf("# %s: %zu parameters, %llu steps in %llu epochs%s, train loss %.6f (%a), "
	       "validation loss %.6f accuracy %.4f rmse %.6f\n",
	       tc->name, net->nparams, (unsigned long long)res.steps,
	       (unsigned long long)res.epochs_run, res.stopped_early ? " (stopped early)" : "",
	       (double)res.train.loss, (double)res.train.loss,
	       (double)res.validation.loss, (double)res.validation.accuracy,
	       (double)res.validation.rmse);
	printf("bytes %s ", tc->name);
	put_params(net);
	printf("\n");
	fflush(stdout);
	dm_net_free(net);
	free(specs);
}

int main(int argc, char **argv)
{
	static const train_case cases[] = {
		/* tanh, relu, dropout (its masks come from the seed), Adam,
		 * shuffling; the batch does not divide the 448 training rows */
		{"adam-mlp", "dense 32 tanh, dense 16 relu, dropout 0.1, dense 4",
		 DM_LOSS_SOFTMAX_CE, DM_OPT_ADAM, 0.003f, 0, 0, 0, "constant", 50, 5, 7, 0, 0, 0, 0},
		/* SGD with momentum, weight decay, gradient clipping (a sqrt and
		 * a threaded sum) and the cosine schedule (dm_cosf) */
		{"sgd-momentum", "dense 32 relu, dense 16 tanh, dense 4",
		 DM_LOSS_SOFTMAX_CE, DM_OPT_SGD, 0.05f, 0.9f, 1e-4f, 1.0f, "cosine", 32, 5, 11, 0, 0, 0, 0},
		/* regression: sigmoid hidden layer, MSE, AdamW with an
		 * exponential schedule and early stopping on validation loss.
		 * Batches of 300 rows make M > DM_MC in the forward products and
		 * K > DM_KC (sums continued across k blocks) in the weight
		 * gradients. */
		{"mse-sigmoid", "dense 24 sigmoid, dense 1",
		 DM_LOSS_MSE, DM_OPT_ADAMW, 0.05f, 0, 0.01f, 0, "exponential 0.95", 300, 15, 13, 3, 0, 0, 0},
		/* the DIM features as a 1x4x5 image: conv (im2col onto the
		 * GEMM, col2im), maxpool with overlapping windows, avgpool and
		 * the implicit flatten */
		{"conv-pool", "conv 4 3x3 pad 1 relu, maxpool 2 stride 1, conv 3 2x2 tanh, avgpool 2, "
		 "dense 4", DM_LOSS_SOFTMAX_CE, DM_OPT_ADAM, 0.01f, 0, 0, 0, "constant", 32, 3, 17, 0,
		 1, 4, 5},
		/* batchnorm over channels (BatchNorm2d) and over a width
		 * (BatchNorm1d), with its running statistics in the hash: a
		 * sqrt and a division per channel, sums in one fixed order */
		{"conv-batchnorm", "conv 4 3x3 pad 1, batchnorm, relu, avgpool 2, dense 8, batchnorm, "
		 "tanh, dense 4", DM_LOSS_SOFTMAX_CE, DM_OPT_SGD, 0.05f, 0.9f, 0, 0, "cosine", 32, 3,
		 23, 0, 1, 4, 5},
	};
	static float x[ROWS * DIM], cls[ROWS], reg[ROWS];
	int threads = 1, i;
	const char *kernel = getenv("DH_MODEL_KERNEL");
	dm_kernel forced = DM_KERNEL_AUTO;
	dm_engine *e;
	dm_error err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
			threads = atoi(argv[++i]);
			if (threads < 1 || threads > 256) {
				fprintf(stderr, "driver: --threads: expected 1 to 256\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--kernel") && i + 1 < argc) {
			kernel = argv[++i];
		} else {
			fprintf(stderr, "usage: driver [--threads N] [--kernel auto|generic|avx2-fma|avx512]\n");
			return 2;
		}
	}
	if (!kernel || !*kernel)
		kernel = "auto";
	if (dm_kernel_parse(kernel, &forced)) {
		fprintf(stderr, "driver: --kernel %s: not available here\n", kernel);
		return 2;
	}
	/* the openblas back-end must be refused in this build */
	e = dm_engine_new(DM_NUMERICS_OPENBLAS, 1, &err);
	if (e) {
		fprintf(stderr, "driver: the openblas back-end exists in a DM_NO_OPENBLAS build\n");
		return 1;
	}
	printf("# openblas: %s (core %s)\n", err.msg, dm_openblas_core());
	if (!(e = dm_engine_new(DM_NUMERICS_PORTABLE, threads, &err)))
		die("engine", &err);
	e->kernel = forced;
	printf("# kernel %s, threads %d, sizeof(long) %zu, FLT_EVAL_METHOD %d\n",
	       dm_gemm_kernel(e), threads, sizeof(long), (int)__FLT_EVAL_METHOD__);

	make_data(x, cls, reg);
	{
		size_t k;
		printf("bytes data ");
		for (k = 0; k < ROWS * DIM; k++)
			put_float(x[k]);
		for (k = 0; k < ROWS; k++) {
			unsigned char c = (unsigned char)cls[k];
			put_hex(&c, 1);
			put_float(reg[k]);
		}
		printf("\n");
	}

	for (i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++)
		run_case(&cases[i], e, x, cls, reg);
	printf("end\n");
	dm_engine_free(e);
	return 0;
}
