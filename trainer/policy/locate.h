/* locate.h - where the policy files are: the one lookup that the budget's
 * policies and the licensing's list of free licences share. */
#ifndef DM_POLICY_LOCATE_H
#define DM_POLICY_LOCATE_H

#include <limits.h>
#include <stddef.h>

#include "base/context.h"

/* The directories that hold policies, in the order they are searched:
 * x->policy_dir (when x and it are set), the installed directory
 * (DM_POLICY_DIR), and policy/ next to a trainer run from its build tree
 * (build/../policy).  max must be at least 3; returns how many. */
size_t dm_policy_dirs(const dm_ctx *x, char dirs[][PATH_MAX], size_t max);

/* Where a data file of the policies such as free-licenses may be, in
 * order: beside the installed policy directory
 * (/usr/share/dh-model/NAME), then in each of dm_policy_dirs(x).  max
 * must be at least 4; returns how many. */
size_t dm_policy_files(const dm_ctx *x, const char *name, char out[][PATH_MAX], size_t max);

#endif
