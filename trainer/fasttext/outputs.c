/* outputs.c - a text job's verdict and output files (outputs.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "fasttext/outputs.h"
#include "output/atomic.h"
#include "output/safetensors.h"

int dm_ft_verdict_facts(const dm_ft_job *j, const dm_file_record *rec, dm_verdict *v,
			dm_error *err)
{
	size_t n = j->r->train.n + j->r->test.n;
	char (*sha)[65] = dm_calloc(n + 1, sizeof *sha, err);
	int rc;
	if (!sha)
		return -1;
	for (size_t i = 0; i < n; i++)
		memcpy(sha[i], rec[i].sha256, sizeof sha[i]);
	rc = dm_verdict_facts_text(j->recipe, (const char (*)[65])sha, j->ctx, v, err);
	free(sha);
	return rc;
}

int dm_ft_write_outputs(const dm_ft_job *j, const dm_ft_model *m, const dm_ft_facts *f,
			const char *st_format, const dm_named_metric *metrics, size_t nmetrics,
			dm_verdict *v, const dm_upstream *up, const dm_ft_blob *blobs,
			size_t nblobs, dm_error *err)
{
	char path[4096], jpath[4096], bpath[4096];
	dm_tensor t[2] = {
		{"input", 2, {(size_t)m->input.m, (size_t)m->input.n}, (size_t)(m->input.m * m->input.n),
		 m->input.data},
		{"output", 2, {(size_t)m->output.m, (size_t)m->output.n},
		 (size_t)(m->output.m * m->output.n), m->output.data}};
	dm_provenance_in in;
	dm_meta meta[2];
	char *pretty = NULL, *compact = NULL;
	dm_atomic *a = NULL;
	int rc = -1;
	memset(&in, 0, sizeof in);
	if (nblobs > sizeof in.exports / sizeof in.exports[0] ||
	    nmetrics > sizeof in.metrics / sizeof in.metrics[0])
		return dm_fail(err, "%s: %zu exports and %zu metrics, more than a record holds",
			       j->where, nblobs, nmetrics);
	/* the compute counted, the policy and the licences: the verdict */
	dm_budget_text_cost(j->budget, f->flop);
	dm_verdict_decide(j->recipe, j->budget, f->flop, j->ctx, v);
	in.recipe = j->recipe;
	in.text = f;
	in.flop = f->flop;
	memcpy(in.metrics, metrics, nmetrics * sizeof *metrics);
	in.nmetrics = nmetrics;
	in.tensors = t;
	in.ntensors = 2;
	in.budget = j->budget;
	in.verdict = v;
	in.upstream = up;
	in.have_source_date = j->have_source_date;
	in.source_date = j->source_date;
	for (size_t i = 0; i < nblobs; i++) {
		dm_export_file *x = &in.exports[in.nexports++];
		x->format = blobs[i].format;
		snprintf(x->file, sizeof x->file, "%s.%s", j->model, blobs[i].ext);
		dm_sha256_hex_of(blobs[i].data, blobs[i].n, x->sha256);
		x->bytes = blobs[i].n;
	}
	if (!(pretty = dm_provenance_json(&in, 1, err)) ||
	    !(compact = dm_provenance_json(&in, 0, err)))
		goto out;
	meta[0] = (dm_meta){"format", (char *)st_format};
	meta[1] = (dm_meta){"dh-model.provenance", compact};
	snprintf(path, sizeof path, "%s/%s.safetensors", j->output_dir, j->model);
	snprintf(jpath, sizeof jpath, "%s/%s.json", j->output_dir, j->model);
	/* one set (output/atomic.h), the weights the commit point */
	if (!(a = dm_atomic_new(j->ctx ? j->ctx->cleanup : NULL, err)))
		goto out;
	dm_atomic_begin(a);
	if (dm_safetensors_write(a, path, t, 2, meta, 2, err) ||
	    dm_atomic_write(a, jpath, pretty, strlen(pretty), err))
		goto out;
	for (size_t i = 0; i < nblobs; i++) {
		snprintf(bpath, sizeof bpath, "%s/%s", j->output_dir, in.exports[i].file);
		if (dm_atomic_write(a, bpath, blobs[i].data, blobs[i].n, err))
			goto out;
	}
	if (dm_atomic_commit(a, err))
		goto out;
	if (j->say) {
		char line[9000];
		snprintf(line, sizeof line, "%s: wrote %s, %s%s%s%s%s", j->model, path, jpath,
			 nblobs ? ", " : "", nblobs ? in.exports[0].file : "", nblobs > 1 ? ", " : "",
			 nblobs > 1 ? in.exports[1].file : "");
		j->say(j->say_ctx, line);
	}
	rc = 0;
out:
	dm_atomic_free(a);   /* drops what a failure left staged */
	free(pretty);
	free(compact);
	return rc;
}
