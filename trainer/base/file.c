/* file.c - open an input file without ever waiting in open(). */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *not_regular(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "not a regular file (a FIFO)";
	if (S_ISCHR(mode))
		return "not a regular file (a character device)";
	if (S_ISBLK(mode))
		return "not a regular file (a block device)";
	if (S_ISDIR(mode))
		return "not a regular file (a directory)";
	if (S_ISSOCK(mode))
		return "not a regular file (a socket)";
	return "not a regular file";
}

int dm_open_regular(const char *path, const char **why)
{
	struct stat st;
	int fd, flags;
	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	/* of the file opened, not of whatever the name means a moment later */
	if (fstat(fd, &st) < 0 || (flags = fcntl(fd, F_GETFL)) < 0) {
		*why = strerror(errno);
	} else if (!S_ISREG(st.st_mode)) {
		*why = not_regular(st.st_mode);
		errno = EINVAL;
	} else if (fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		*why = strerror(errno);
	} else {
		return fd;
	}
	{
		int e = errno;
		close(fd);
		errno = e;
	}
	return -1;
}

FILE *dm_fopen_regular(const char *path, const char **why)
{
	int fd = dm_open_regular(path, why);
	FILE *f;
	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "rb"))) {
		*why = strerror(errno);
		close(fd);
	}
	return f;
}
