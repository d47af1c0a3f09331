/* atomic.c - write a file so that it appears whole or not at all.
 *
 * Two ways, the first wherever the kernel and the file system allow it:
 *
 * 1. An unnamed file.  open(DIR, O_TMPFILE) makes an inode in the target's
 *    directory that has no name: nothing shows in the directory while the
 *    data is written, fchmod'ed and fsync'ed.  Only when it is complete is
 *    it given a name, with linkat() of /proc/self/fd/N (AT_SYMLINK_FOLLOW;
 *    where /proc is missing, linkat(fd, "", AT_EMPTY_PATH), which wants
 *    CAP_DAC_READ_SEARCH).  If the final name does not exist yet, the file
 *    is linked straight to it (linkat never replaces, so a concurrent
 *    creator makes it fail with EEXIST and we go on as below).  Otherwise
 *    it is linked to a temporary name ".NAME.XXXXXX" and renamed over the
 *    final name, as linkat cannot replace a name.  Then the directory is
 *    synced.
 *    Why: a named temporary file is removed by the SIGINT/SIGTERM handlers
 *    (dm_atomic_cleanup), but SIGKILL, the OOM killer or a power cut leave
 *    it behind, often large and half-written.  An unnamed inode is freed by
 *    the kernel when the process dies (after a crash, by the file system's
 *    orphan list on the next mount), so a kill during the write leaves
 *    nothing.  What remains is the instant between linkat to the temporary
 *    name and the rename: two system calls with nothing in between, and the
 *    file then complete and synced; only there can a SIGKILL leave a
 *    temporary name behind (a signal handler still removes it).  There is
 *    no system call that links an unnamed inode over an existing name.
 *
 * 2. A named temporary file, where O_TMPFILE is not supported (open fails
 *    with EOPNOTSUPP; EISDIR on kernels before 3.11, which read O_TMPFILE
 *    as O_DIRECTORY; EINVAL), or where it cannot be given a name (no /proc
 *    and no capability: then the data is written once more this way).
 *    mkostemp creates ".NAME.XXXXXX" in the target's directory (rename is
 *    atomic only within one file system), the data is written, fsync'ed,
 *    and the file renamed over the final name; the directory is synced.
 *
 * 3. A set of files (a model's weights and its provenance), between
 *    dm_atomic_begin() and dm_atomic_commit(): each file is written as
 *    above, but only up to its hidden temporary name ("staged"), complete
 *    and synced.  Nothing has been replaced while anything can still fail
 *    for want of space.  The commit then puts the files in place in the
 *    reverse order of staging, with signals blocked:
 *      - every file but the first staged is swapped with its final name by
 *        renameat2(RENAME_EXCHANGE), so that the old file stays, whole,
 *        under the hidden name until the set is complete (where the file
 *        system cannot exchange, a hard link to the old file keeps it);
 *      - the first file staged, the commit point, is renamed over its
 *        final name last;
 *      - if any step fails, the files already in place are swapped (or
 *        renamed) back: the old set is whole again, or else the message
 *        says under which hidden name an old file was kept;
 *      - then the directory is synced and the old files' hidden names are
 *        removed.
 *    Why this order, and why not one directory swapped by RENAME_EXCHANGE:
 *    the outputs must stay plain files with fixed names side by side
 *    (NAME.safetensors, NAME.json), which dh_installmodels installs, and
 *    no system call replaces two names at once.  So a SIGKILL between two
 *    renames leaves a mixed set, and the order decides which one: the job
 *    stages the weights first (the largest file: a full disk is met there
 *    first) and the provenance (NAME.json) second, so that NAME.json is
 *    placed first and the weights last: new weights are never beside an
 *    old provenance.  The only mixed state is the old weights with the new
 *    NAME.json, which a reader tells apart: the provenance names the
 *    SHA-256 of every tensor of the weights it belongs to, and the weights
 *    carry their own provenance inside.  A failure that is not a kill
 *    always leaves the whole old set or the whole new one.
 *
 * Either way the file's mode is 0666 less the umask, as open() would give,
 * and errors name the path, the step and the system error.  While a
 * temporary name exists its path sits in the caller's dm_atomic, which
 * dm_atomic_cleanup() may unlink from a signal handler (reached through
 * the registry of os/cleanup.h).  One write at a time for each dm_atomic:
 * two threads, or two jobs, use two.
 */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../os/cleanup.h"

typedef enum placed { NOT_PLACED, CREATED, EXCHANGED, BACKED_UP, REPLACED } placed;
typedef struct staged {
	char path[PATH_MAX];
	char dir[PATH_MAX];
	char tmp[PATH_MAX + 16];     /* the hidden name */
	char backup[PATH_MAX + 16];  /* BACKED_UP: a hard link to the old file */
	volatile sig_atomic_t named;
	placed how;
} staged;

struct dm_atomic {
	/* The temporary file being written, for dm_atomic_cleanup().  The
	 * buffer is changed only while tmp_active is 0, and the handler
	 * reads it only while tmp_active is 1. */
	char tmp_path[PATH_MAX + 16];
	volatile sig_atomic_t tmp_active;
	/* The set being staged (3 above).  Each file's hidden name is
	 * removed by dm_atomic_cleanup() while `named` says it holds a
	 * staged new file. */
	staged set[DM_ATOMIC_SET_MAX];
	volatile sig_atomic_t set_n;
	int set_open;
	/* Set once an unnamed file could not be given a name (no /proc, no
	 * capability): later writes go the named way at once. */
	int cannot_link;
	uint64_t counter;   /* for random_suffix */
	dm_cleanup *registry;
	int slot;
};

static void cleanup_entry(void *a)
{
	dm_atomic_cleanup(a);
}

dm_atomic *dm_atomic_new(dm_cleanup *registry, dm_error *err)
{
	dm_atomic *a = dm_calloc(1, sizeof *a, err);
	if (!a)
		return NULL;
	a->slot = -1;
	if (registry && (a->slot = dm_cleanup_add(registry, cleanup_entry, a)) < 0) {
		free(a);
		dm_fail(err, "atomic write: more than %d writers at once in this process",
			DM_CLEANUP_MAX);
		return NULL;
	}
	a->registry = registry;
	return a;
}

void dm_atomic_free(dm_atomic *a)
{
	if (!a)
		return;
	dm_atomic_abort(a);
	if (a->registry)
		dm_cleanup_remove(a->registry, a->slot);
	free(a);
}

/* Remove the temporary file of the write under way, if any. */
static void drop_temp(dm_atomic *a)
{
	int saved = errno;
	if (a->tmp_active) {
		unlink(a->tmp_path);
		a->tmp_active = 0;
	}
	errno = saved;
}

void dm_atomic_cleanup(dm_atomic *a)
{
	int saved = errno;   /* a handler must not change errno */
	sig_atomic_t i;
	drop_temp(a);
	for (i = 0; i < a->set_n; i++)
		if (a->set[i].named) {
			unlink(a->set[i].tmp);
			a->set[i].named = 0;
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
static int create_temp(dm_atomic *a, const char *path, const char *dir, const char *base,
		       dm_error *err)
{
	char name[sizeof a->tmp_path];
	sigset_t all, old;
	int fd, e;
	if ((size_t)snprintf(name, sizeof name, "%s/.%s.XXXXXX", dir, base) >= sizeof name)
		return dm_fail(err, "%s: %s", path, strerror(ENAMETOOLONG));
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	fd = mkostemp(name, O_CLOEXEC);
	e = errno;
	if (fd >= 0) {
		memcpy(a->tmp_path, name, strlen(name) + 1);
		a->tmp_active = 1;
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

/* Make the new name durable.  A directory that cannot be opened, or a file
 * system that cannot sync directories (EINVAL), is no error: the data
 * itself is already on disk. */
static int sync_dir(const char *path, const char *dir, dm_error *err)
{
	int fd, e;
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

/* Write the pieces into the open file, set its mode and sync it; the file
 * stays open.  On failure closes it and says which step failed, with errno
 * set. */
static const char *fill(int fd, const dm_piece *pieces, size_t count, mode_t mode)
{
	const char *step = NULL;
	size_t i;
	int e;
	for (i = 0; i < count && !step; i++)
		if (pieces[i].n > 0 && write_all(fd, pieces[i].data, pieces[i].n) < 0)
			step = "write";
	if (!step && fchmod(fd, mode) < 0)
		step = "chmod";
	if (!step && sync_fd(fd) < 0)
		step = "fsync";
	if (step) {
		e = errno;
		close(fd);
		errno = e;
	}
	return step;
}

/* close() can report a delayed write error (NFS). */
static int close_checked(int fd)
{
	return close(fd) < 0 && errno != EINTR ? -1 : 0;
}

/* The complete file under the temporary name tmp_path: staged into the
 * set (3 above), or renamed over path and the directory synced. */
static int finish(dm_atomic *a, const char *path, const char *dir, dm_error *err)
{
	sigset_t all, old;
	staged *f;
	int e;
	if (a->set_open) {
		f = &a->set[a->set_n];
		snprintf(f->path, sizeof f->path, "%s", path);
		snprintf(f->dir, sizeof f->dir, "%s", dir);
		f->how = NOT_PLACED;
		f->backup[0] = '\0';
		/* handed from tmp_path to the set with no moment in which
		 * neither would remove it */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		memcpy(f->tmp, a->tmp_path, sizeof f->tmp);
		f->named = 1;
		a->set_n++;
		a->tmp_active = 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return 0;
	}
	if (rename(a->tmp_path, path) < 0) {
		e = errno;
		drop_temp(a);
		return dm_fail(err, "%s: rename: %s", path, strerror(e));
	}
	/* cleared after the rename: an unlink of the old name in between
	 * finds nothing, while clearing first could leave the temp behind */
	a->tmp_active = 0;
	return sync_dir(path, dir, err);
}

/* The named way (2 above). */
static int write_named(dm_atomic *a, const char *path, const char *dir, const char *base,
		       const dm_piece *pieces, size_t count, mode_t mode,
		       dm_error *err)
{
	const char *step;
	int fd, e;
	if ((fd = create_temp(a, path, dir, base, err)) < 0)
		return -1;
	if ((step = fill(fd, pieces, count, mode)) != NULL ||
	    (close_checked(fd) < 0 && (step = "close"))) {
		e = errno;
		drop_temp(a);
		return dm_fail(err, "%s: %s: %s", path, step, strerror(e));
	}
	return finish(a, path, dir, err);
}

/* Give the unnamed file fd the name to; -1 with errno set if not (EEXIST:
 * the name is taken). */
static int link_fd(int fd, const char *to)
{
	char proc[40];
	int e;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, to, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if ((e = errno) == EEXIST)
		return -1;
	if (linkat(fd, "", AT_FDCWD, to, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != EEXIST)
		errno = e;   /* the /proc way's reason */
	return -1;
}

/* Six letters or digits for a temporary name, different on each call. */
static void random_suffix(dm_atomic *a, char *out)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	struct timespec ts;
	uint64_t x;
	int i;
	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)getpid() << 42 ^
	    ++a->counter * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)a;
	for (i = 0; i < 6; i++) {
		x ^= x >> 31;   /* splitmix64's finalizer */
		x *= 0xbf58476d1ce4e5b9ULL;
		x ^= x >> 27;
		out[i] = chars[x % 62];
	}
	out[6] = '\0';
}

/* Link the complete unnamed file fd to a fresh temporary name, published
 * for the signal handler as create_temp does.  Returns 0, or -1 with errno
 * set. */
static int link_temp(dm_atomic *a, int fd, const char *dir, const char *base)
{
	char name[sizeof a->tmp_path], suffix[8];
	sigset_t all, old;
	int tries, rc = -1, e = EEXIST;
	if ((size_t)snprintf(name, sizeof name, "%s/.%s.XXXXXX", dir, base) >= sizeof name) {
		errno = ENAMETOOLONG;
		return -1;
	}
	sigfillset(&all);
	for (tries = 0; tries < 100 && rc < 0 && e == EEXIST; tries++) {
		random_suffix(a, suffix);
		memcpy(name + strlen(name) - 6, suffix, 6);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		rc = link_fd(fd, name);
		e = errno;
		if (rc == 0) {
			memcpy(a->tmp_path, name, strlen(name) + 1);
			a->tmp_active = 1;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	errno = e;
	return rc;
}

/* The unnamed way (1 above).  Returns 0 or -1 (err set), or 1 when this
 * way is not available here and nothing was done that the named way must
 * undo. */
static int write_unnamed(dm_atomic *a, const char *path, const char *dir, const char *base,
			 const dm_piece *pieces, size_t count, mode_t mode,
			 dm_error *err)
{
	const char *step;
	int fd, e;
	if (a->cannot_link)
		return 1;
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0) {
		e = errno;
		if (e == EOPNOTSUPP || e == EISDIR || e == EINVAL)
			return 1;
		return dm_fail(err, "%s: cannot create a temporary file in %s: %s",
			       path, dir, strerror(e));
	}
	if ((step = fill(fd, pieces, count, mode)) != NULL) {
		e = errno;   /* fd is closed: the inode is gone */
		return dm_fail(err, "%s: %s: %s", path, step, strerror(e));
	}
	/* a new name: linked straight to it, atomically and without a window
	 * (but a set's files wait under hidden names for its commit) */
	if (!a->set_open && link_fd(fd, path) == 0) {
		if (close_checked(fd) < 0) {
			e = errno;
			unlink(path);
			return dm_fail(err, "%s: close: %s", path, strerror(e));
		}
		return sync_dir(path, dir, err);
	}
	if ((!a->set_open && errno != EEXIST) || link_temp(a, fd, dir, base) < 0) {
		e = errno;
		close(fd);
		if (e == ENAMETOOLONG)
			return dm_fail(err, "%s: %s", path, strerror(e));
		if (e == ENOENT || e == EPERM)   /* no /proc, no capability */
			a->cannot_link = 1;      /* the named way from now on */
		return 1;   /* written once more, the named way */
	}
	if (close_checked(fd) < 0) {
		e = errno;
		drop_temp(a);
		return dm_fail(err, "%s: close: %s", path, strerror(e));
	}
	return finish(a, path, dir, err);
}

int dm_atomic_writev(dm_atomic *a, const char *path, const dm_piece *pieces, size_t count,
		     dm_error *err)
{
	dm_atomic own;   /* a == NULL: a plain write, not in a registry */
	char dir[PATH_MAX];
	const char *base;
	mode_t mode;
	int rc;
	if (!path || !*path)
		return dm_fail(err, "atomic write: expected a file name, got an empty one");
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (*base == '\0')
		return dm_fail(err, "%s: expected a file name, not a directory", path);
	if (dir_of(path, dir, sizeof dir))
		return dm_fail(err, "%s: %s", path, strerror(ENAMETOOLONG));
	if (!a) {
		memset(&own, 0, offsetof(dm_atomic, set));
		own.set_n = 0, own.set_open = 0, own.cannot_link = 0, own.counter = 0;
		own.registry = NULL, own.slot = -1;
		a = &own;
	}
	if (a->set_open && a->set_n == DM_ATOMIC_SET_MAX)
		return dm_fail(err, "%s: more than %d files in one set", path, DM_ATOMIC_SET_MAX);
	mode = 0666 & ~current_umask();
	rc = write_unnamed(a, path, dir, base, pieces, count, mode, err);
	if (rc <= 0)
		return rc;
	return write_named(a, path, dir, base, pieces, count, mode, err);
}

int dm_atomic_write(dm_atomic *a, const char *path, const void *data, size_t n, dm_error *err)
{
	dm_piece piece = {data, n};
	return dm_atomic_writev(a, path, &piece, 1, err);
}

/* ---- sets (3 above) ---- */

void dm_atomic_begin(dm_atomic *a)
{
	dm_atomic_abort(a);   /* whatever an earlier set left */
	a->set_open = 1;
}

/* Remove what a set's hidden names still hold, and forget the set. */
static void forget_set(dm_atomic *a)
{
	staged *set = a->set;
	sig_atomic_t i;
	for (i = 0; i < a->set_n; i++) {
		if (set[i].named || set[i].how == EXCHANGED)
			unlink(set[i].tmp);
		if (set[i].how == BACKED_UP)
			unlink(set[i].backup);
		set[i].named = 0;
	}
	a->set_n = 0;
}

void dm_atomic_abort(dm_atomic *a)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	a->set_open = 0;
	forget_set(a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* A second name for the old file at f->path, hidden like a temporary one,
 * where the file system cannot exchange two names. */
static int link_backup(dm_atomic *a, staged *f)
{
	const char *base = strrchr(f->path, '/');
	char suffix[8];
	int tries, rc = -1;
	base = base ? base + 1 : f->path;
	for (tries = 0; tries < 100 && rc < 0; tries++) {
		random_suffix(a, suffix);
		if ((size_t)snprintf(f->backup, sizeof f->backup, "%s/.%s.%s", f->dir, base, suffix) >=
		    sizeof f->backup)
			return -1;
		rc = linkat(AT_FDCWD, f->path, AT_FDCWD, f->backup, 0);
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return rc;
}

/* Put one staged file in place; all but the commit point (last) keep the
 * old file for undo().  Returns 0, or -1 with errno set. */
static int place(dm_atomic *a, staged *f, int last)
{
	if (!last) {
		if (renameat2(AT_FDCWD, f->tmp, AT_FDCWD, f->path, RENAME_EXCHANGE) == 0) {
			f->named = 0;   /* it holds the old file now */
			f->how = EXCHANGED;
			return 0;
		}
		if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP || errno == ENOTSUP)
			f->how = link_backup(a, f) == 0 ? BACKED_UP : REPLACED;
		else if (errno == ENOENT && access(f->path, F_OK) < 0 && errno == ENOENT)
			f->how = CREATED;   /* no old file */
		else
			return -1;
	} else {
		f->how = REPLACED;
	}
	if (rename(f->tmp, f->path) < 0) {
		int e = errno;
		if (f->how == BACKED_UP)
			unlink(f->backup);
		f->how = NOT_PLACED;
		errno = e;
		return -1;
	}
	f->named = 0;
	return 0;
}

/* Put back what place() replaced.  0, or -1 with errno set when the old
 * file could not be put back (it stays under its hidden name). */
static int undo(staged *f)
{
	switch (f->how) {
	case CREATED:
		if (unlink(f->path) < 0)
			return -1;
		break;
	case EXCHANGED:
		if (renameat2(AT_FDCWD, f->tmp, AT_FDCWD, f->path, RENAME_EXCHANGE) < 0)
			return -1;
		f->named = 1;   /* the new file again, to be removed */
		break;
	case BACKED_UP:
		if (rename(f->backup, f->path) < 0)
			return -1;
		break;
	case REPLACED:   /* no old file kept: this file system could not */
		errno = ENOTSUP;
		return -1;
	case NOT_PLACED:
		break;
	}
	f->how = NOT_PLACED;
	return 0;
}

int dm_atomic_commit(dm_atomic *a, dm_error *err)
{
	staged *set = a->set;
	sigset_t all, old;
	sig_atomic_t i, n = a->set_n;
	int rc = 0, e;
	a->set_open = 0;
	/* no handler may run between two renames: SIGINT or the wall-clock
	 * alarm find the set either not begun or complete */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* the last staged first, the first staged (the commit point) last */
	for (i = n - 1; i >= 0; i--)
		if (place(a, &set[i], i == 0) < 0)
			break;
	if (i >= 0) {
		e = errno;
		rc = dm_fail(err, "%s: rename: %s", set[i].path, strerror(e));
		while (++i < n)
			if (undo(&set[i]) < 0) {
				e = errno;
				if (set[i].how == REPLACED)
					dm_error_prefix(err, "%s: replaced, and this file system keeps no "
							"old copy to put back", set[i].path);
				else
					dm_error_prefix(err, "%s: cannot put back the old file (%s); it is "
							"kept as %s", set[i].path, strerror(e),
							set[i].how == BACKED_UP ? set[i].backup
										: set[i].tmp);
				/* keep what holds the old file */
				set[i].how = NOT_PLACED;
				set[i].named = 0;
			}
	} else {
		for (i = 0; i < n && rc == 0; i++)
			if (i == 0 || strcmp(set[i].dir, set[i - 1].dir))
				rc = sync_dir(set[i].path, set[i].dir, err);
	}
	forget_set(a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
