/* sandbox.c - Landlock for the file system, seccomp for sockets. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../base/sanitizer.h"

/* Rights newer than the kernel headers of Debian 12 (linux 6.1). */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

static int landlock_abi(void)
{
#ifdef SYS_landlock_create_ruleset
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	return abi > 0 ? (int)abi : 0;
#else
	return 0;
#endif
}

static int allow_beneath(int ruleset, const char *path, uint64_t rights, dm_error *err)
{
	struct landlock_path_beneath_attr rule;
	int fd = open(path, O_PATH | O_CLOEXEC);
	long rc;
	if (fd < 0)
		return dm_fail(err, "%s: cannot open for the sandbox: %s", path, strerror(errno));
	rule.allowed_access = rights;
	rule.parent_fd = fd;
	rc = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
	close(fd);
	if (rc)
		return dm_fail(err, "%s: landlock_add_rule: %s", path, strerror(errno));
	return 0;
}

/* Writes only beneath dir (and to /dev/null). */
static int landlock(const char *dir, int abi, dm_error *err)
{
	uint64_t write_rights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
				LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
				LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
				LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
				LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
	struct landlock_ruleset_attr attr;
	int ruleset, rc = -1;
	if (abi >= 2)
		write_rights |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		write_rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
	memset(&attr, 0, sizeof attr);
	attr.handled_access_fs = write_rights;
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (ruleset < 0)
		return dm_fail(err, "landlock_create_ruleset: %s", strerror(errno));
	if (allow_beneath(ruleset, dir, write_rights, err) ||
	    allow_beneath(ruleset, "/dev/null", LANDLOCK_ACCESS_FS_WRITE_FILE, err))
		goto out;
	if (syscall(SYS_landlock_restrict_self, ruleset, 0)) {
		dm_fail(err, "landlock_restrict_self: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(ruleset);
	return rc;
}

/* socket() fails with EACCES; everything else is allowed. */
static int no_sockets(dm_error *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc;
	if (!ctx)
		return dm_fail(err, "seccomp_init failed");
	/* the kernel's own errno from seccomp_load: without this attribute
	 * libseccomp 2.5 turns every failure into ECANCELED, and a kernel or
	 * an emulator without seccomp (qemu-user, as in an arm64 sbuild on
	 * amd64: ENOSYS or EINVAL) could not be told from a real error */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1); /* 2.5.0 and later */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc == -EINVAL || rc == -ENOSYS || rc == -EOPNOTSUPP)
		return 1; /* no seccomp in this kernel or emulator */
	if (rc)
		return dm_fail(err, "seccomp: %s", strerror(-rc));
	return 0;
}

/* Whether this process is restricted: process-wide and for good, so kept
 * here in os/ rather than by each caller. */
static int applied;

int dm_sandbox_applied(void)
{
	return applied;
}

int dm_sandbox(const char *output_dir, char *what, size_t size, dm_error *err)
{
	int abi = landlock_abi(), sc;
	size_t n = 0;
	what[0] = 0;
	/* both need it; it also keeps set-id programs from gaining rights */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return dm_fail(err, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
#if defined(DM_ASAN) || defined(DM_TSAN)
	/* a sanitizer build writes its reports outside the output directory */
	abi = 0;
#endif
	if (abi > 0) {
		if (landlock(output_dir, abi, err))
			return -1;
		n += (size_t)snprintf(what + n, size - n, "Landlock ABI %d (writes only in %s)", abi,
				      output_dir);
	} else {
		n += (size_t)snprintf(what + n, size - n, "no Landlock in this kernel");
	}
	sc = no_sockets(err);
	if (sc < 0)
		return -1;
	snprintf(what + n, n < size ? size - n : 0, sc ? ", no seccomp here (kernel or emulator)"
							 : ", seccomp (no sockets)");
	applied = 1;
	return 0;
}
