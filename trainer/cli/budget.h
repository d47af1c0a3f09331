/* budget.h - the policy decision before training, and the caps during it. */
#ifndef DM_BUDGET_H
#define DM_BUDGET_H

#include "base/error.h"
#include "model/cost.h"
#include "recipe/policy.h"
#include "recipe/recipe.h"

typedef struct dm_budget {
	dm_policy policy;      /* the policy that applies */
	dm_policy main;        /* Debian main's, for the verdict */
	dm_limits limits;      /* the policy's, lowered by the recipe */
	dm_cost cost;
	int costed;            /* cost holds the estimate (not a refusal before it) */
	int within_main;
	char arch[24];         /* the build architecture, for time estimates */
	int threads;
} dm_budget;

/* Find and load the policy (DH_MODEL_POLICY, else the recipe's Policy:,
 * else main), cost the recipe from the data headers alone, and refuse it
 * (exit code 4) when it is over a limit.  threads is for the memory
 * estimate.  On success, also sets the data caps in r's specs. */
int dm_budget_check(dm_recipe *r, int threads, dm_budget *b, dm_error *err);
void dm_budget_free(dm_budget *b);

/* "about 2.8 h at 36 GFLOP/s on one amd64 core" */
void dm_budget_time(const dm_budget *b, double flop, const dm_policy *p,
		    dm_numerics numerics, char *buf, size_t size);

/* Caps while one recipe trains: CPU time, address space and file size as
 * resource limits, a wall-clock alarm as a backstop to the watchdog in the
 * training loop.  The messages are prepared here, because the handlers may
 * only write them. */
void dm_caps_arm(const dm_recipe *r, const dm_budget *b);
void dm_caps_disarm(void);

#endif
