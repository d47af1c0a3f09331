/* fuzz_common.h - what the libFuzzer targets share.
 *
 * The trainer reads files by name, so each target puts the fuzzer's bytes
 * into an anonymous in-memory file (memfd) and hands the parsers its name
 * /proc/self/fd/N: the real open, stat and libarchive paths are exercised,
 * and nothing touches the disk.  One memfd per slot, reused across runs.
 *
 * FUZZ_CHECK is an assertion that stays on in every build: a property the
 * parsers promise (a loaded dataset holds no NaN, probe agrees with load,
 * the stream's SHA-256 is the file's) that does not hold is a finding just
 * like a crash.
 */
#ifndef DM_FUZZ_COMMON_H
#define DM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n",     \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

/* The name of memfd SLOT (0..3) holding exactly data[0..size). */
static const char *fuzz_file(int slot, const uint8_t *data, size_t size)
{
	static int fds[4] = {-1, -1, -1, -1};
	static char names[4][64];
	if (fds[slot] < 0) {
		fds[slot] = memfd_create("dm-fuzz", MFD_CLOEXEC);
		if (fds[slot] < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(names[slot], sizeof names[slot], "/proc/self/fd/%d", fds[slot]);
	}
	if (ftruncate(fds[slot], 0) < 0 ||
	    (size && pwrite(fds[slot], data, size, 0) != (ssize_t)size)) {
		perror("memfd write");
		abort();
	}
	return names[slot];
}

/* A message must be one line: the CLI prints it as "error: MSG\n". */
static void fuzz_check_message(const char *msg)
{
	if (msg[0] == '\0' || strchr(msg, '\n')) {
		fprintf(stderr, "the message: \"%s\"\n", msg);
		FUZZ_CHECK(msg[0] != '\0');
		FUZZ_CHECK(strchr(msg, '\n') == NULL);
	}
}

#endif
