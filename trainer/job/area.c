/* area.c - the verdict before training, and whether the archive area of a
 * binary package accepts it (job.h). */
#include "job.h"

#include <string.h>

#include "licensing/verdict.h"
#include "policy/budget.h"

int dm_job_verdict(dm_recipe *r, const char *section, const dm_job_opts *o, dm_error *err)
{
	dm_budget b;
	dm_verdict v;
	char line[2048];
	int rc = -1;
	memset(&v, 0, sizeof v);
	/* as training would refuse it; b is zeroed first, and freed at out */
	if (dm_budget_check(r, o, &b, err) || dm_verdict_facts(r, NULL, o, &v, err))
		goto out;
	dm_verdict_classify(r, &b, b.cost.flop, &v);
	if (dm_verdict_line(r, &v, &b, section, line, sizeof line, err))
		goto out;
	if (o->say)
		o->say(o->say_ctx, line);
	rc = 0;
out:
	dm_verdict_free(&v);
	dm_budget_free(&b);
	return rc;
}
