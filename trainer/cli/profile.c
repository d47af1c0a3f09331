/* profile.c - DH_MODEL_PROFILE: collect the library's spans, print a table. */
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>

struct dm_profile {
	const dm_net *net;
	uint64_t start;
	dm_span *pass;   /* [nlayers][2]: forward, backward */
	dm_span optim;
};

static void add(dm_span *to, const dm_span *s)
{
	to->ns += s->ns, to->gemm_ns += s->gemm_ns;
	to->flop += s->flop, to->gemm_flop += s->gemm_flop;
}

static void on_span(void *ctx, int kind, size_t index, const dm_span *s)
{
	dm_profile *p = ctx;
	if (kind == DM_SPAN_OPTIM)
		add(&p->optim, s);
	else if (index < p->net->nlayers)
		add(&p->pass[2 * index + (kind == DM_SPAN_BACKWARD)], s);
}

dm_profile *dm_profile_start(dm_engine *e, const dm_net *net)
{
	const char *v = getenv("DH_MODEL_PROFILE");
	dm_profile *p;
	if (!v || !*v || (v[0] == '0' && !v[1]) || !(p = calloc(1, sizeof *p)))
		return NULL;
	if (!(p->pass = calloc(2 * net->nlayers, sizeof *p->pass))) {
		free(p);
		return NULL;
	}
	p->net = net;
	p->start = dm_clock_ns();
	e->span = on_span, e->span_ctx = p, e->gemm_ns = e->gemm_flop = 0;
	return p;
}

static double gflops(uint64_t flop, uint64_t ns)
{
	return ns ? (double)flop / (double)ns : 0.0;
}

static void row(const char *name, const char *pass, const dm_span *s, double total)
{
	fprintf(stderr, "profile: | %s | %s | %.2f | %.1f%% | %.2f | %.1f | %.1f | %.1f%% |\n",
		name, pass, (double)s->ns * 1e-9, 100.0 * (double)s->ns / total,
		(double)s->flop * 1e-9, gflops(s->flop, s->ns),
		gflops(s->gemm_flop, s->gemm_ns),
		s->ns ? 100.0 * (double)(s->ns - s->gemm_ns) / (double)s->ns : 0.0);
}

void dm_profile_finish(dm_profile *p, dm_engine *e, const char *model)
{
	dm_span all = {0, 0, 0, 0};
	uint64_t total;
	size_t i;
	if (!p)
		return;
	e->span = NULL, e->span_ctx = NULL;
	total = dm_clock_ns() - p->start;
	fprintf(stderr, "profile: %s, %d thread(s), %s; %.2f s of training\n", model, e->threads,
		dm_numerics_name(e->numerics), (double)total * 1e-9);
	fprintf(stderr, "profile: | layer | pass | seconds | share | GFLOP | GFLOP/s | "
		"GEMM GFLOP/s | outside GEMM |\n");
	fprintf(stderr, "profile: |---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < p->net->nlayers; i++) {
		char name[128];
		const dm_layer *l = &p->net->layers[i];
		int k;
		if (l->op->format) {
			char spec[80];
			l->op->format(&l->spec, spec, sizeof spec);
			snprintf(name, sizeof name, "%zu %s", i, spec);
		} else {
			snprintf(name, sizeof name, "%zu %s", i, l->op->name);
		}
		for (k = 0; k < 2; k++) {
			add(&all, &p->pass[2 * i + k]);
			if (p->pass[2 * i + k].ns)
				row(name, k ? "backward" : "forward", &p->pass[2 * i + k], (double)total);
		}
	}
	add(&all, &p->optim);
	row("optimizer", "step", &p->optim, (double)total);
	{
		dm_span rest = {total - all.ns, 0, 0, 0};
		row("data, loss, rest", "-", &rest, (double)total);
	}
	fprintf(stderr, "profile: in GEMM %.2f s (%.1f%%, %.1f GFLOP/s); outside GEMM %.2f s "
		"(%.1f%%): layers %.2f s, optimizer %.2f s, data/loss/rest %.2f s\n",
		(double)all.gemm_ns * 1e-9, 100.0 * (double)all.gemm_ns / (double)total,
		gflops(all.gemm_flop, all.gemm_ns), (double)(total - all.gemm_ns) * 1e-9,
		100.0 * (double)(total - all.gemm_ns) / (double)total,
		(double)(all.ns - p->optim.ns - all.gemm_ns) * 1e-9, (double)p->optim.ns * 1e-9,
		(double)(total - all.ns) * 1e-9);
	free(p->pass);
	free(p);
}
