/* asan-rlimit.c - linked into the sanitizer build of the trainer only
 * (tests/fuzz/asan-check): setrlimit(RLIMIT_AS) does nothing there.
 *
 * ASan reserves terabytes of address space for its shadow memory at start,
 * so the trainer's Max-Memory cap (RLIMIT_AS, trainer/cli/budget.c) makes
 * every later mmap fail and ASan abort.  The budget's refusal before
 * training, which the corpus tests, does not depend on the limit.  A
 * definition in the executable takes precedence over libc's for the
 * trainer's own calls; every other resource goes to the kernel as usual.
 * (glibc: __rlimit_resource_t is its type of the resource argument.)
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int setrlimit(__rlimit_resource_t resource, const struct rlimit *rl)
{
	if (resource == RLIMIT_AS)
		return 0;
	return (int)syscall(SYS_prlimit64, 0, (int)resource, rl, (void *)0);
}
