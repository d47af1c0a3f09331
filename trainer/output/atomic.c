/* atomic.c - write a file under a temporary name, fsync, rename.
 *
 * The temporary name is ".NAME.XXXXXX" in the target's directory (rename
 * is atomic only within one file system).  While it exists its path sits
 * in a static buffer that dm_atomic_cleanup() may unlink from a signal
 * handler.  One write at a time: these functions are not meant to be
 * called from two threads at once.
 */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary file being written, for dm_atomic_cleanup().  The buffer
 * is changed only while tmp_active is 0, and the handler reads it only
 * while tmp_active is 1. */
static char tmp_path[PATH_MAX + 16];
static volatile sig_atomic_t tmp_active;

void dm_atomic_cleanup(void)
{
	int saved = errno;   /* a handler must not change errno */
	if (tmp_active) {
		unlink(tmp_path);
		tmp_active = 0;
	}
	errno = saved;
}

/* The directory part of path ("." if none), into dir[size]. */
static int dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n;
	if (!slash) {
		snprintf(dir, size, ".");
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);   /* "/x" -> "/" */
	if (n >= size)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

/* open() creates files with 0666 & ~umask; mkstemp uses 0600.  Read the
 * umask from /proc, which does not change it even for a moment; only
 * where /proc is missing set it and put it back. */
static mode_t current_umask(void)
{
	char buf[2048], *line;
	ssize_t n;
	mode_t mask;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			line = strstr(buf, "\nUmask:");
			if (line)
				return (mode_t)strtoul(line + 7, NULL, 8) & 0777;
		}
	}
	mask = umask(022);
	umask(mask);
	return mask;
}

/* Create the temporary file and publish its name for the signal handler.
 * Signals are blocked meanwhile, so that none can come between the file's
 * creation and tmp_active = 1 (in this thread). */
static int create_temp(const char *path, dm_error *err)
{
	char dir[PATH_MAX], name[sizeof tmp_path];
	const char *base = strrchr(path, '/');
	sigset_t all, old;
	int fd, e;
	base = base ? base + 1 : path;
	if (*base == '\0')
		return dm_fail(err, "%s: expected a file name, not a directory", path);
	if (dir_of(path, dir, sizeof dir) ||
	    (size_t)snprintf(name, sizeof name, "%s/.%s.XXXXXX", dir, base) >= sizeof name)
		return dm_fail(err, "%s: %s", path, strerror(ENAMETOOLONG));
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	fd = mkostemp(name, O_CLOEXEC);
	e = errno;
	if (fd >= 0) {
		memcpy(tmp_path, name, strlen(name) + 1);
		tmp_active = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (fd < 0)
		return dm_fail(err, "%s: cannot create a temporary file in %s: %s",
			       path, dir, strerror(e));
	return fd;
}

static int write_all(int fd, const void *data, size_t n)
{
	const char *p = data;
	while (n > 0) {
		/* Linux writes at most 0x7ffff000 bytes a call anyway */
		ssize_t w = write(fd, p, n < 0x40000000 ? n : 0x40000000);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {   /* should not happen for a regular file */
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* fsync, retrying when a signal interrupts it. */
static int sync_fd(int fd)
{
	int rc;
	do
		rc = fsync(fd);
	while (rc < 0 && errno == EINTR);
	return rc;
}

/* Make the rename durable.  A directory that cannot be opened, or a file
 * system that cannot sync directories (EINVAL), is no error: the data
 * itself is already on disk. */
static int sync_dir(const char *path, dm_error *err)
{
	char dir[PATH_MAX];
	int fd, e;
	if (dir_of(path, dir, sizeof dir))
		return 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (sync_fd(fd) < 0 && errno != EINVAL && errno != ENOTSUP) {
		e = errno;
		close(fd);
		return dm_fail(err, "%s: fsync of the directory %s: %s", path, dir,
			       strerror(e));
	}
	close(fd);
	return 0;
}

/* Fill the open temporary file and close it; on failure says which step
 * failed, with errno set. */
static const char *fill(int fd, const dm_piece *pieces, size_t count)
{
	size_t i;
	int e;
	for (i = 0; i < count; i++)
		if (pieces[i].n > 0 && write_all(fd, pieces[i].data, pieces[i].n) < 0)
			goto fail_write;
	if (fchmod(fd, 0666 & ~current_umask()) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return "chmod";
	}
	if (sync_fd(fd) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return "fsync";
	}
	/* close can report a delayed write error (NFS) */
	if (close(fd) < 0 && errno != EINTR)
		return "close";
	return NULL;
fail_write:
	e = errno;
	close(fd);
	errno = e;
	return "write";
}

int dm_atomic_writev(const char *path, const dm_piece *pieces, size_t count,
		     dm_error *err)
{
	const char *step;
	int fd, e;
	if (!path || !*path)
		return dm_fail(err, "atomic write: expected a file name, got an empty one");
	if ((fd = create_temp(path, err)) < 0)
		return -1;
	if ((step = fill(fd, pieces, count)) != NULL) {
		e = errno;
		dm_atomic_cleanup();   /* unlink the temp */
		return dm_fail(err, "%s: %s: %s", path, step, strerror(e));
	}
	if (rename(tmp_path, path) < 0) {
		e = errno;
		dm_atomic_cleanup();   /* unlink the temp */
		return dm_fail(err, "%s: rename: %s", path, strerror(e));
	}
	/* cleared after the rename: an unlink of the old name in between
	 * finds nothing, while clearing first could leave the temp behind */
	tmp_active = 0;
	return sync_dir(path, err);
}

int dm_atomic_write(const char *path, const void *data, size_t n, dm_error *err)
{
	dm_piece piece = {data, n};
	return dm_atomic_writev(path, &piece, 1, err);
}
