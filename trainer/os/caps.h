/* caps.h - the caps as the kernel enforces them: resource limits on CPU
 * time, address space and file size, and a wall-clock alarm.
 *
 * When the CPU limit or the alarm fires, the handler runs the registry it
 * was given (os/cleanup.h: removing half-written outputs), writes the message prepared
 * beforehand (a handler may only write) and ends the process with exit
 * code 4 (DM_EXIT_POLICY): the one place outside cli/ that ends the
 * process, since a limit the kernel enforces cannot return an error.  The
 * messages and the cleanup are the state the handlers need, kept here in
 * os/ with the other process-wide settings.
 */
#ifndef DM_OS_CAPS_H
#define DM_OS_CAPS_H

#include <stdint.h>

#include "cleanup.h"

/* SIGALRM after seconds (clamped to a year), then msg and exit. */
void dm_cap_wall(double seconds, const char *msg, dm_cleanup *cleanup);
void dm_cap_wall_cancel(void);

/* SIGXCPU after seconds more of CPU time than the process has used. */
void dm_cap_cpu(double seconds, const char *msg, dm_cleanup *cleanup);

/* Soft limits on the address space and on the size of a written file
 * (never above the hard limit); 0: none. */
void dm_cap_address_space(uint64_t bytes);
void dm_cap_file_size(uint64_t bytes);

/* Every cap off: the alarm cancelled, the soft limits infinite. */
void dm_caps_clear(void);

#endif
