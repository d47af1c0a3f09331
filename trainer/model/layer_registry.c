/* layer_registry.c - every kind of layer that a Network: line may name.
 * Adding a kind: its file under layers/, and one line in DM_LAYER_KINDS. */
#include "layer.h"

#include <string.h>

/* one line a kind, in the order messages list them */
#define DM_LAYER_KINDS \
	X(dense)       \
	X(relu)        \
	X(tanh)        \
	X(sigmoid)     \
	X(dropout)     \
	X(conv)        \
	X(maxpool)     \
	X(avgpool)     \
	X(flatten)     \
	X(batchnorm)

#define X(kind) extern const dm_layer_op dm_layer_##kind;
DM_LAYER_KINDS
#undef X

#define X(kind) &dm_layer_##kind,
static const dm_layer_op *const registry[] = {DM_LAYER_KINDS};
#undef X

size_t dm_layer_ops(const dm_layer_op *const **ops)
{
	*ops = registry;
	return sizeof registry / sizeof registry[0];
}

const dm_layer_op *dm_layer_op_find(const char *token)
{
	size_t i;
	for (i = 0; i < sizeof registry / sizeof registry[0]; i++)
		if (!strcmp(token, registry[i]->name) ||
		    (registry[i]->alias && !strcmp(token, registry[i]->alias)))
			return registry[i];
	return NULL;
}

/* the values of the n tensors that shape_of(l, k, ...) describes */
static uint64_t tensor_values(const dm_layer *l, size_t n,
			      const char *(*shape_of)(const dm_layer *, size_t, dm_shape *),
			      dm_checked *ck)
{
	uint64_t total = 0;
	size_t k;
	for (k = 0; k < n; k++) {
		dm_shape s;
		shape_of(l, k, &s);
		total = dm_ck_add(ck, total, dm_shape_count(&s, ck));
	}
	return total;
}

uint64_t dm_layer_param_count(const dm_layer *l, dm_checked *ck)
{
	return tensor_values(l, l->op->ntensors, l->op->tensor, ck);
}

size_t dm_layer_work(const dm_layer *l)
{
	return l->op->work ? l->op->work(l) : 0;
}

uint64_t dm_layer_state_count(const dm_layer *l, dm_checked *ck)
{
	return tensor_values(l, l->op->nstates, l->op->state, ck);
}

size_t dm_layer_min_rows(const dm_layer *l)
{
	return l->op->min_rows ? l->op->min_rows(l) : 1;
}

uint64_t dm_layer_flop_elementwise(const dm_layer *l, uint64_t B, dm_layer_pass pass,
				   dm_checked *ck)
{
	(void)pass;
	return dm_ck_mul(ck, B, l->out);
}
