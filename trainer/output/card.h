/* card.h - the model card: a Markdown page rendered from a provenance record. */
#ifndef DM_CARD_H
#define DM_CARD_H

#include <stddef.h>

#include "../base/error.h"

/* Markdown text (malloc'd) for the provenance JSON text[0..n) read from path. */
char *dm_card_markdown(const char *path, const char *text, size_t n, dm_error *err);
/* Read path (at most 16 MiB) and render it. */
char *dm_card_from_file(const char *path, dm_error *err);

#endif
