/* commands.h - the CLI's reading commands (inspect, card). */
#ifndef DM_COMMANDS_H
#define DM_COMMANDS_H

#include <stdio.h>

#include "base/error.h"

int dm_inspect(const char *path, FILE *out, dm_error *err);
int dm_card(const char *json_path, FILE *out, dm_error *err);

#endif
