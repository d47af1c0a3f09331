/* budget.h - the policy room: the decision before training (the budget:
 * the recipe's cost against the policy's limits), and the caps during it.
 * The policy files themselves are read by recipe/policy.h (a recipe's
 * Max-* fields share their syntax); where they are is locate.h's. */
#ifndef DM_BUDGET_H
#define DM_BUDGET_H

#include <time.h>

#include "base/context.h"
#include "base/error.h"
#include "model/cost.h"
#include "recipe/policy.h"
#include "recipe/recipe.h"

/* The data's shape as the estimate saw it, for messages. */
typedef struct dm_budget_shape {
	uint64_t dim, ntrain, nvalid, ntest;
} dm_budget_shape;

typedef struct dm_budget {
	dm_policy policy;      /* the policy that applies */
	dm_policy main;        /* Debian main's, for the verdict */
	dm_limits limits;      /* the policy's, lowered by the recipe */
	dm_cost cost;
	dm_budget_shape shape;
	int costed;            /* cost holds the estimate (not a refusal before it) */
	int within_main;
	char arch[24];         /* the build architecture, for time estimates */
	struct timespec started; /* CLOCK_MONOTONIC: Max-Wall-Time counts from here */
	int threads;
} dm_budget;

/* Find and load the policy (x->policy, else the recipe's Policy:, else
 * main; looked for in dm_policy_dirs(x)), cost the recipe from the data
 * headers alone, and refuse it (exit code 4) when it is over a limit.
 * x->threads is for the memory estimate.  Before it opens the data, it sets the data caps in r's specs
 * (bytes, archive members, the wall clock's deadline) and arms the
 * wall-clock alarm, so that no input can hold the process past
 * Max-Wall-Time.  dm_budget_free cancels the alarm. */
int dm_budget_check(dm_recipe *r, const dm_ctx *x, dm_budget *b, dm_error *err);
void dm_budget_free(dm_budget *b);

/* A text model's cost, which its job counts from the tokens after
 * dm_budget_check: the FLOPs, and whether Debian main's limits take them. */
void dm_budget_text_cost(dm_budget *b, uint64_t flop);

/* "about 2.8 h at 36 GFLOP/s on one amd64 core" */
void dm_budget_time(const dm_budget *b, double flop, const dm_policy *p,
		    dm_numerics numerics, char *buf, size_t size);

/* Caps while one recipe trains: CPU time, address space and file size as
 * resource limits (the wall-clock alarm is dm_budget_check's).  The
 * messages are prepared beforehand, because the handlers may only write
 * them; the handlers run cleanup (os/cleanup.h; dm_ctx's), if any. */
struct dm_cleanup;
void dm_caps_arm(const dm_recipe *r, const dm_budget *b, struct dm_cleanup *cleanup);
void dm_caps_disarm(void);

#endif
