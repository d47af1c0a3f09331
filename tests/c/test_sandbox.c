/* test_sandbox.c - after dm_sandbox(DIR), the process cannot open a
 * socket or write outside DIR, and can still read, and write inside DIR.
 * Each check runs in a child, since the sandbox cannot be undone. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/sandbox.h"
#include "tap.h"

static char top[] = "/tmp/dm-sandbox-XXXXXX";
static char inside[256], outside[256], what[512];

enum { SOCKET_REFUSED = 1, WRITE_OUTSIDE_REFUSED = 2, REMOVE_OUTSIDE_REFUSED = 4,
       RENAME_OUT_REFUSED = 8, WRITE_INSIDE_OK = 16, READ_OUTSIDE_OK = 32,
       DEVNULL_OK = 64, LANDLOCK = 128 };

static int child(void)
{
	dm_error err;
	char path[300], back[300], buf[8];
	int fd, bits = 0;
	if (dm_sandbox(inside, what, sizeof what, &err))
		return -1;
	if (strstr(what, "Landlock ABI"))
		bits |= LANDLOCK;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 && errno == EACCES)
		bits |= SOCKET_REFUSED;
	snprintf(path, sizeof path, "%s/new", outside);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 && errno == EACCES)
		bits |= WRITE_OUTSIDE_REFUSED;
	snprintf(path, sizeof path, "%s/old", outside);
	if (unlink(path) != 0 && errno == EACCES)
		bits |= REMOVE_OUTSIDE_REFUSED;
	snprintf(path, sizeof path, "%s/w", inside);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0 && write(fd, "ok", 2) == 2 && close(fd) == 0)
		bits |= WRITE_INSIDE_OK;
	snprintf(back, sizeof back, "%s/moved", outside);
	if (rename(path, back) != 0 && (errno == EACCES || errno == EXDEV))
		bits |= RENAME_OUT_REFUSED;
	snprintf(path, sizeof path, "%s/keep", outside);
	fd = open(path, O_RDONLY);
	if (fd >= 0 && read(fd, buf, 3) == 3 && !memcmp(buf, "old", 3))
		bits |= READ_OUTSIDE_OK;
	fd = open("/dev/null", O_WRONLY);
	if (fd >= 0 && write(fd, "x", 1) == 1)
		bits |= DEVNULL_OK;
	return bits;
}

int main(void)
{
	int status, bits, fd;
	pid_t pid;
	char path[300];
	if (!mkdtemp(top))
		return 1;
	snprintf(inside, sizeof inside, "%s/out", top);
	snprintf(outside, sizeof outside, "%s/elsewhere", top);
	mkdir(inside, 0755);
	mkdir(outside, 0755);
	snprintf(path, sizeof path, "%s/old", outside);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || write(fd, "old", 3) != 3)
		return 1;
	close(fd);
	snprintf(path, sizeof path, "%s/keep", outside);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || write(fd, "old", 3) != 3)
		return 1;
	close(fd);
	fflush(stdout);
	{
		int p[2];
		if (pipe(p))
			return 1;
		pid = fork();
		if (pid == 0) {
			int b = child();
			_exit(write(p[1], &b, sizeof b) == sizeof b ? 0 : 1);
		}
		close(p[1]);
		if (read(p[0], &bits, sizeof bits) != sizeof bits)
			bits = -1;
		close(p[0]);
		waitpid(pid, &status, 0);
	}
	ok(bits >= 0, "dm_sandbox applies");
	if (bits < 0)
		bits = 0;
	ok(bits & SOCKET_REFUSED, "socket() is refused with EACCES (seccomp)");
	if (bits & LANDLOCK) {
		ok(bits & WRITE_OUTSIDE_REFUSED, "creating a file outside the output directory is refused");
		ok(bits & REMOVE_OUTSIDE_REFUSED, "removing a file outside it is refused");
		ok(bits & RENAME_OUT_REFUSED, "moving a file out of it is refused");
	} else {
		printf("ok %d # skip no Landlock (this kernel, or a sanitizer build)\n", ++tap_count);
	}
	ok(bits & WRITE_INSIDE_OK, "writing inside the output directory works");
	ok(bits & READ_OUTSIDE_OK, "reading anywhere still works");
	ok(bits & DEVNULL_OK, "/dev/null stays writable (for child processes)");
	snprintf(path, sizeof path, "%s/new", outside);
	if (bits & LANDLOCK)
		ok(access(path, F_OK) != 0, "and indeed nothing appeared outside");
	snprintf(path, sizeof path, "rm -rf %s", top);
	if (system(path) != 0)
		return 1;
	return done_testing();
}
