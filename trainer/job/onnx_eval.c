/* onnx_eval.c - eval of an ONNX model (upstream's, say) on labelled data:
 * a job, run with the caller's context (onnx_eval.h). */
#include "onnx_eval.h"

#include <stdio.h>
#include <string.h>

#include "math/fp.h"
#include "math/gemm.h"
#include "model/train.h"
#include "output/onnx_read.h"

int dm_onnx_eval(const char *path, const dm_data_spec *spec, const dm_loss *loss,
		 dm_numerics numerics, const dm_ctx *o, dm_metrics *out, dm_loss *used,
		 char *network, size_t size, dm_error *err)
{
	dm_onnx_import m;
	dm_dataset d;
	dm_engine *e = NULL;
	dm_net *net = NULL;
	const float *shift, *scale;
	dm_data_spec s = *spec;
	size_t i, j;
	int rc = -1;
	memset(&d, 0, sizeof d);
	if (dm_onnx_read_file(path, &m, NULL, err))
		return -1;
	if (dm_onnx_loss(path, &m, loss != NULL, loss ? *loss : DM_LOSS_MSE, used, err))
		goto out;
	s.integer_labels = *used != DM_LOSS_MSE;
	s.no_labels = 0;
	if (dm_dataset_load(&s, &d, err) ||
	    !(net = dm_onnx_net(path, &m, &d.shape, 256, err)) ||
	    dm_onnx_normalisation(&m, d.dim, &shift, &scale, err) ||
	    !(e = dm_engine_for(o, numerics, err)))
		goto out;
	for (i = 0; i < d.n; i++)
		for (j = 0; j < d.dim; j++) {
			float *x = d.x + i * d.dim + j;
			*x = f_mul(f_sub(*x, shift[j]), scale[j]);
		}
	if (*used != DM_LOSS_MSE)
		for (i = 0; i < d.n; i++)
			if (d.y[i] >= (float)net->output_dim && !(*used == DM_LOSS_BCE && d.y[i] <= 1)) {
				dm_fail(err, "%s: row %zu has label %.0f, but the model has %zu classes",
					spec->features, i + 1, (double)d.y[i], net->output_dim);
				goto out;
			}
	{
		dm_rows rows = {d.x, d.y, d.dim, NULL, d.n};
		if (dm_evaluate(net, e, *used, &rows, out, err))
			goto out;
	}
	if (network)
		dm_network_format(m.layers, m.nlayers, network, size);
	rc = 0;
out:
	dm_net_free(net);
	dm_engine_free(e);
	dm_dataset_free(&d);
	dm_onnx_import_free(&m);
	return rc;
}

/* "LABEL: test-loss L test-accuracy A (N rows)" and the network */
static int say_eval(const char *label, const char *path, const dm_data_spec *spec,
		    const dm_loss *loss, dm_numerics numerics, const dm_ctx *o, dm_error *err)
{
	dm_metrics mt;
	dm_loss used;
	char net[1024], line[1400];
	if (dm_onnx_eval(path, spec, loss, numerics, o, &mt, &used, net, sizeof net, err))
		return -1;
	if (used == DM_LOSS_MSE)
		snprintf(line, sizeof line, "%s: test-loss %.6f test-rmse %.6f (%zu rows)", label,
			 (double)mt.loss, (double)mt.rmse, mt.n);
	else
		snprintf(line, sizeof line, "%s: test-loss %.6f test-accuracy %.6f (%zu rows)", label,
			 (double)mt.loss, (double)mt.accuracy, mt.n);
	if (o->say)
		o->say(o->say_ctx, line);
	snprintf(line, sizeof line, "  network read from the graph: %s; loss %s", net,
		 dm_loss_name(used));
	if (o->say)
		o->say(o->say_ctx, line);
	return 0;
}

int dm_onnx_eval_recipe(const char *model, const char *path, const dm_data_spec *test,
			dm_loss loss, dm_numerics numerics, const dm_ctx *o, dm_error *err)
{
	if (!test->features)
		return dm_fail(err, "%s: eval of an ONNX model needs the stanza's Test-Dataset "
			       "(the graph takes the features as they are)", model);
	return say_eval(model, path, test, &loss, numerics, o, err);
}

int dm_onnx_eval_data(const char *path, const char *data, const char *format,
		      const char *labels, const dm_ctx *o, dm_error *err)
{
	dm_data_spec s;
	memset(&s, 0, sizeof s);
	s.features = data;
	s.labels = labels;
	s.format = labels ? DM_FORMAT_IDX : DM_FORMAT_CSV;
	if (format && dm_format_parse(format, &s.format))
		return dm_fail(err, "--format: expected idx, csv, tsv or libsvm, got '%s'", format);
	if (s.format == DM_FORMAT_IDX && !labels)
		return dm_fail(err, "%s: IDX data; eval needs its labels file too (--labels FILE)",
			       data);
	if (s.format != DM_FORMAT_IDX)
		s.labels = NULL;
	if (s.format == DM_FORMAT_CSV || s.format == DM_FORMAT_TSV)
		s.header_lines = 1; /* as a recipe's default Header-Lines */
	return say_eval(path, path, &s, NULL, DM_NUMERICS_PORTABLE, o, err);
}
