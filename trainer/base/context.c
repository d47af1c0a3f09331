/* context.c - reporting through a context's hooks. */
#include "context.h"

#include <stddef.h>

void dm_ctx_tell(const dm_ctx *c, const char *line)
{
	if (c->tell)
		c->tell(c->say_ctx, line);
	else if (c->say)
		c->say(c->say_ctx, line);
}
