/* profile.h - DH_MODEL_PROFILE=1: where the training time goes.
 *
 * The library reports spans (gemm.h: one per layer pass and optimizer
 * step, with the time and FLOP inside dm_gemm); this collects them and
 * prints, after training, each layer's forward and backward time and
 * GFLOP/s and the share of the time spent outside GEMM, on stderr.  Not a
 * stable interface: for tests/bench/run-bench and for people tuning. */
#ifndef DM_CLI_PROFILE_H
#define DM_CLI_PROFILE_H

#include "math/gemm.h"
#include "model/net.h"

typedef struct dm_profile dm_profile;

/* A profile of the training with e over net, when DH_MODEL_PROFILE is set
 * to a non-empty value other than 0; NULL otherwise (or out of memory). */
dm_profile *dm_profile_start(dm_engine *e, const dm_net *net);
/* Print the profile (if any) to stderr, detach it from e and free it. */
void dm_profile_finish(dm_profile *p, dm_engine *e, const char *model);

#endif
