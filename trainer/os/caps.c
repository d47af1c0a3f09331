/* caps.c - the kernel's caps and their handlers (caps.h). */
#include "caps.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "../base/error.h"

static char cpu_msg[512], wall_msg[512];
static size_t cpu_len, wall_len;
static dm_cleanup *volatile cpu_cleanup, *volatile wall_cleanup;

static void die_of_cap(dm_cleanup *cleanup, const char *msg, size_t len)
{
	if (cleanup)
		dm_cleanup_run(cleanup);
	if (write(2, msg, len) < 0) {
		/* nothing more can be done */
	}
	_exit(DM_EXIT_POLICY);
}

static void on_xcpu(int sig)
{
	(void)sig;
	die_of_cap(cpu_cleanup, cpu_msg, cpu_len);
}

static void on_alarm(int sig)
{
	(void)sig;
	die_of_cap(wall_cleanup, wall_msg, wall_len);
}

/* Whole seconds for a resource limit or a timer, from a limit in seconds
 * that may be as large as a double goes (a policy may say 1e300 s): beyond
 * a year it is as good as none, and converting it unclamped would be
 * undefined. */
static rlim_t seconds_limit(double s)
{
	const double year = 366.0 * 86400;
	return (rlim_t)(s < year ? s : year);
}

static size_t keep(char *buf, size_t size, const char *msg)
{
	size_t n = (size_t)snprintf(buf, size, "%s", msg);
	return n >= size ? size - 1 : n;
}

static void set_soft(int resource, rlim_t v)
{
	struct rlimit rl;
	if (getrlimit(resource, &rl))
		return;
	if (rl.rlim_max != RLIM_INFINITY && v > rl.rlim_max)
		v = rl.rlim_max;
	rl.rlim_cur = v;
	setrlimit(resource, &rl);
}

void dm_cap_wall(double seconds, const char *msg, dm_cleanup *cleanup)
{
	struct itimerval it = {{0, 0}, {0, 0}};
	wall_len = keep(wall_msg, sizeof wall_msg, msg);
	wall_cleanup = cleanup;
	it.it_value.tv_sec = (time_t)seconds_limit(seconds);
	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &it, NULL);
}

void dm_cap_wall_cancel(void)
{
	struct itimerval it = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &it, NULL);
}

void dm_cap_cpu(double seconds, const char *msg, dm_cleanup *cleanup)
{
	struct rusage ru;
	double used = 0;
	if (!getrusage(RUSAGE_SELF, &ru))
		used = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec;
	cpu_len = keep(cpu_msg, sizeof cpu_msg, msg);
	cpu_cleanup = cleanup;
	signal(SIGXCPU, on_xcpu);
	set_soft(RLIMIT_CPU, seconds_limit(used + seconds + 0.999));
}

void dm_cap_address_space(uint64_t bytes)
{
	set_soft(RLIMIT_AS, bytes >= RLIM_INFINITY ? RLIM_INFINITY : (rlim_t)bytes);
}

void dm_cap_file_size(uint64_t bytes)
{
	set_soft(RLIMIT_FSIZE, (rlim_t)bytes);
}

void dm_caps_clear(void)
{
	dm_cap_wall_cancel();
	set_soft(RLIMIT_AS, RLIM_INFINITY);
	set_soft(RLIMIT_FSIZE, RLIM_INFINITY);
	set_soft(RLIMIT_CPU, RLIM_INFINITY);
}
