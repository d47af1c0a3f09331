/* cleanup.c - the registry a signal handler runs (cleanup.h). */
#include "cleanup.h"

#include <errno.h>

int dm_cleanup_add(dm_cleanup *c, void (*fn)(void *), void *arg)
{
	int i;
	for (i = 0; i < DM_CLEANUP_MAX; i++) {
		sig_atomic_t free_slot = 0;
		/* claim the slot, fill it, then let the handler see it */
		if (__atomic_compare_exchange_n(&c->entry[i].state, &free_slot, 1, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			c->entry[i].fn = fn;
			c->entry[i].arg = arg;
			__atomic_store_n(&c->entry[i].state, 2, __ATOMIC_RELEASE);
			return i;
		}
	}
	return -1;
}

void dm_cleanup_remove(dm_cleanup *c, int slot)
{
	if (slot >= 0 && slot < DM_CLEANUP_MAX)
		__atomic_store_n(&c->entry[slot].state, 0, __ATOMIC_RELEASE);
}

void dm_cleanup_run(dm_cleanup *c)
{
	int saved = errno, i;
	for (i = 0; i < DM_CLEANUP_MAX; i++)
		if (__atomic_load_n(&c->entry[i].state, __ATOMIC_ACQUIRE) == 2)
			c->entry[i].fn(c->entry[i].arg);
	errno = saved;
}
