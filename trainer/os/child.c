/* child.c - work in a child process, signals passed on (child.h). */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = read(fd, (char *)buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* SIGINT, SIGTERM and SIGHUP while the child works: passed on to it, and
 * acted on by the parent once it has cleaned up (dm_forward_end). */
static const int FORWARDED[] = {SIGINT, SIGTERM, SIGHUP};
#define NFORWARDED (sizeof FORWARDED / sizeof FORWARDED[0])
_Static_assert(NFORWARDED == sizeof ((dm_forward *)0)->old / sizeof ((dm_forward *)0)->old[0],
	       "dm_forward holds one old action per forwarded signal");
static volatile sig_atomic_t caught;
static volatile pid_t worker;

static void forward(int sig)
{
	caught = sig;
	if (worker > 0)
		kill(worker, sig);
}

void dm_forward_begin(dm_forward *f)
{
	struct sigaction pass;
	size_t i;
	memset(&pass, 0, sizeof pass);
	pass.sa_handler = forward;
	sigemptyset(&pass.sa_mask);
	caught = 0;
	for (i = 0; i < NFORWARDED; i++)
		sigaction(FORWARDED[i], &pass, &f->old[i]);
}

int dm_forward_caught(void)
{
	return caught;
}

void dm_forward_end(const dm_forward *f)
{
	size_t i;
	for (i = 0; i < NFORWARDED; i++)
		sigaction(FORWARDED[i], &f->old[i], NULL);
	if (caught)
		raise(caught);
}

int dm_in_child(int (*fn)(void *arg, dm_error *err), void *arg, const char *what,
		dm_error *err)
{
	int fds[2], status = 0;
	pid_t pid, parent = getpid();
	sigset_t block, old;
	dm_error res;
	ssize_t n;
	size_t i;
	if (pipe2(fds, O_CLOEXEC))
		return dm_fail(err, "pipe: %s", strerror(errno));
	fflush(NULL);
	/* no signal between the fork and knowing whom to pass it to */
	sigemptyset(&block);
	for (i = 0; i < NFORWARDED; i++)
		sigaddset(&block, FORWARDED[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	if ((pid = fork()) < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(fds[0]);
		close(fds[1]);
		return dm_fail(err, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		dm_error e = {"", 0};
		close(fds[0]);
		/* a signal ends the child at once: the parent removes the
		 * directory with all the child wrote, and the child dies with
		 * the parent */
		for (i = 0; i < NFORWARDED; i++)
			signal(FORWARDED[i], SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(DM_EXIT_ERROR);
		e.code = fn(arg, &e) ? (e.code ? e.code : DM_EXIT_ERROR) : 0;
		/* exit, not _exit: the libraries free what they hold, so that
		 * leak checkers see the child as clean as the parent */
		exit(write(fds[1], &e, sizeof e) == (ssize_t)sizeof e ? 0 : DM_EXIT_ERROR);
	}
	worker = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[1]);
	n = read_full(fds[0], &res, sizeof res);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	worker = 0;
	/* a whole result is the child's word, whatever its exit status (a
	 * leak checker may change it) */
	if (n == (ssize_t)sizeof res) {
		if (res.code == 0)
			return 0;
		res.msg[sizeof res.msg - 1] = 0;
		*err = res;
		return -1;
	}
	/* a cap's handler said why before it ended the child */
	if (WIFEXITED(status))
		return dm_fail_code(err, WEXITSTATUS(status) ? WEXITSTATUS(status) : DM_EXIT_ERROR,
				    "%s ended with exit status %d", what,
				    WEXITSTATUS(status));
	return dm_fail(err, "%s was killed by signal %d (%s)", what,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
}
