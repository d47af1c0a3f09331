/* container.h - the members of a zip-like model container, through
 * libarchive, for the audit of model-like files (dh_auditmodels).
 *
 * NumPy's .npz, PyTorch's .pt/.pth (since 1.6) and Keras 3's .keras are
 * zip files; what is inside says which it is.  The file may be gzipped
 * (dh_compress compresses documentation): libarchive reads through that.
 * Only the names are read, never the members' data.
 */
#ifndef DM_CONTAINER_H
#define DM_CONTAINER_H

#include <stddef.h>

#include "../base/error.h"

/* more entries than this is an error, not a model container we judge */
#define DM_CONTAINER_MAX_MEMBERS 100000

typedef struct dm_container {
	char **members;   /* entry names, in the archive's order */
	size_t n;
} dm_container;

/* A zip file (or a gzipped zip) at path, or in n bytes at buf (name for
 * messages).  On failure returns -1 with a message that names the file
 * and what libarchive expected; c is then empty. */
int dm_container_read_file(const char *path, dm_container *c, dm_error *err);
int dm_container_read_memory(const void *buf, size_t n, const char *name, dm_container *c,
			     dm_error *err);
void dm_container_free(dm_container *c);

/* What the members say the container is, in dh_auditmodels' words, or
 * NULL:
 *   "PyTorch checkpoint (zip with data.pkl)"  a member DIR/data.pkl or data.pkl
 *   "Keras model (zip)"                      config.json and a *.weights.h5
 *   "NumPy arrays (.npz)"                    only *.npy members, at least one */
const char *dm_container_class(const dm_container *c);

#endif
