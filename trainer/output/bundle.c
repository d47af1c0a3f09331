/* bundle.c - write the reproducibility bundle with libtar. */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <libtar.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int by_name(const void *a, const void *b)
{
	return strcmp(((const dm_bundle_member *)a)->name, ((const dm_bundle_member *)b)->name);
}

static int append(TAR *t, const dm_bundle_member *m, uint64_t mtime)
{
	char block[T_BLOCKSIZE];
	size_t off;
	/* a clean header: nothing from the previous member, nothing from
	 * this machine (libtar would look the user name up in passwd) */
	memset(&t->th_buf, 0, offsetof(struct tar_header, gnu_longname));
	th_set_type(t, S_IFREG);
	th_set_path(t, (char *)m->name);
	th_set_mode(t, 0644);
	th_set_user(t, 0);
	th_set_group(t, 0);
	snprintf(t->th_buf.uname, sizeof t->th_buf.uname, "root");
	snprintf(t->th_buf.gname, sizeof t->th_buf.gname, "root");
	th_set_mtime(t, (time_t)mtime);
	th_set_size(t, m->size);
	if (th_write(t) != 0)
		return -1;
	for (off = 0; off < m->size; off += T_BLOCKSIZE) {
		size_t k = m->size - off < T_BLOCKSIZE ? m->size - off : T_BLOCKSIZE;
		memset(block, 0, sizeof block);
		memcpy(block, (const char *)m->data + off, k);
		if (tar_block_write(t, block) != T_BLOCKSIZE)
			return -1;
	}
	return 0;
}

int dm_bundle_write(const char *path, dm_bundle_member *m, size_t n, uint64_t mtime,
		    dm_error *err)
{
	char tmp[4096];
	TAR *t = NULL;
	size_t i;
	int fd, saved;
	const char *slash = strrchr(path, '/');
	for (i = 0; i < n; i++)
		if (strlen(m[i].name) >= 100 || !*m[i].name)
			return dm_fail(err, "%s: member name '%s' is empty or longer than 99 bytes",
				       path, m[i].name);
	qsort(m, n, sizeof *m, by_name);
	snprintf(tmp, sizeof tmp, "%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0, path,
		 slash ? slash + 1 : path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return dm_fail(err, "%s: cannot create a temporary file: %s", path, strerror(errno));
	if (tar_fdopen(&t, fd, tmp, NULL, O_WRONLY, 0644, TAR_GNU) != 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (append(t, &m[i], mtime))
			goto fail;
	if (tar_append_eof(t) != 0 || fsync(fd) != 0)
		goto fail;
	tar_close(t); /* closes fd */
	t = NULL;
	if (chmod(tmp, 0644) != 0 || rename(tmp, path) != 0)
		goto fail_closed;
	return 0;
fail:
	saved = errno;
	if (t)
		tar_close(t);
	else
		close(fd);
	errno = saved;
fail_closed:
	saved = errno;
	unlink(tmp);
	return dm_fail(err, "%s: cannot write the bundle: %s", path, strerror(saved));
}
