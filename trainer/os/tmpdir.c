/* tmpdir.c - private temporary directories. */
#include "tmpdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int dm_private_dir(const char *prefix, char *buf, size_t size, dm_error *err)
{
	const char *t = getenv("TMPDIR");
	if ((size_t)snprintf(buf, size, "%s/%s.XXXXXX", t && *t ? t : "/tmp", prefix) >= size)
		return dm_fail(err, "TMPDIR: a path of %zu bytes or more; expected a shorter one", size);
	if (!mkdtemp(buf))
		return dm_fail(err, "%s: cannot create a temporary directory: %s", buf, strerror(errno));
	return 0;
}

/* The layout of getdents64's records (the kernel's struct linux_dirent64). */
struct dirent64_raw {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Empty the directory open as fd; depth bounds the recursion (the trees
 * removed here are two levels deep). */
static int empty_dir(int fd, int depth)
{
	/* aligned for the records' 8-byte fields */
	long long buf[512];
	int rc = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof buf), off;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) /* the end, with each entry read once as rm -r reads them */
			return n < 0 ? -1 : rc;
		for (off = 0; off < n;) {
			struct dirent64_raw *e = (struct dirent64_raw *)(void *)((char *)buf + off);
			const char *name = e->d_name;
			off += e->d_reclen;
			if (!strcmp(name, ".") || !strcmp(name, ".."))
				continue;
			if (unlinkat(fd, name, 0) == 0)
				continue;
			if (errno == EISDIR || errno == EPERM) {
				int sub = depth > 0 ? openat(fd, name, O_RDONLY | O_DIRECTORY |
							 O_NOFOLLOW | O_CLOEXEC) : -1;
				if (sub >= 0) {
					if (empty_dir(sub, depth - 1))
						rc = -1;
					close(sub);
				}
				if (unlinkat(fd, name, AT_REMOVEDIR) == 0)
					continue;
			}
			rc = -1;
		}
	}
}

int dm_remove_tree(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	rc = empty_dir(fd, 8);
	close(fd);
	if (rmdir(dir) && errno != ENOENT)
		rc = -1;
	return rc;
}
