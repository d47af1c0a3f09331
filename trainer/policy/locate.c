/* locate.c - where the policy files are (locate.h). */
#include "locate.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef DM_POLICY_DIR
#define DM_POLICY_DIR "/usr/share/dh-model/policy"
#endif

size_t dm_policy_dirs(const dm_ctx *x, char dirs[][PATH_MAX], size_t max)
{
	size_t n = 0;
	ssize_t len;
	if (max < 3)
		return 0;
	if (x && x->policy_dir && *x->policy_dir)
		snprintf(dirs[n++], PATH_MAX, "%s", x->policy_dir);
	snprintf(dirs[n++], PATH_MAX, "%s", DM_POLICY_DIR);
	len = readlink("/proc/self/exe", dirs[n], PATH_MAX - 32);
	if (len > 0) {
		char *slash;
		dirs[n][len] = 0;
		if ((slash = strrchr(dirs[n], '/'))) {
			strcpy(slash, "/../policy");
			n++;
		}
	}
	return n;
}

size_t dm_policy_files(const dm_ctx *x, const char *name, char out[][PATH_MAX], size_t max)
{
	char dirs[3][PATH_MAX], *slash;
	size_t n = 0, nd, i;
	if (max < 4)
		return 0;
	snprintf(out[n], PATH_MAX, "%s", DM_POLICY_DIR);
	if ((slash = strrchr(out[n], '/')) && slash != out[n]) {
		*slash = 0;
		snprintf(out[n] + strlen(out[n]), PATH_MAX - strlen(out[n]), "/%s", name);
		n++;
	}
	nd = dm_policy_dirs(x, dirs, 3);
	for (i = 0; i < nd && n < max; i++)
		snprintf(out[n++], PATH_MAX, "%.*s/%s", PATH_MAX - 64, dirs[i], name);
	return n;
}
