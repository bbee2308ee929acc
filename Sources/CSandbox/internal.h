// Shared between the parent-side and child-side C files; not part of the module's interface.
#ifndef REPRISE_CSANDBOX_INTERNAL_H
#define REPRISE_CSANDBOX_INTERNAL_H

#include "csandbox.h"

/// Exit code of the child when setup failed (the error pipe carries the reason).
#define CSB_SETUP_FAILED_EXIT 125

/// Runs in the freshly cloned pid 1: sets up the root, forks the payload, reaps, and exits.
/// Never returns. Only system calls, no allocation.
__attribute__((noreturn))
void csb_child_main(const csb_config *config, int error_fd, int status_fd);

/// Mounts /proc, /sys and a minimal /dev under the current directory (the new root).
/// Returns 0, or the failing csb_step with errno set.
int csb_mount_kernel_filesystems(const csb_config *config);

/// Appends text (or a number) to a fixed buffer; returns 0, or -1 with ENAMETOOLONG if it does
/// not fit. For building mount options without allocating.
int csb_append(char *buffer, size_t capacity, size_t *length, const char *text);
int csb_append_number(char *buffer, size_t capacity, size_t *length, uint64_t value, unsigned int base);

/// Applies the caller's extra mounts under the current directory. Returns 0, or the failing
/// csb_step with errno set and *failed_index set to the mount's index.
int csb_apply_mounts(const csb_config *config, int *failed_index);

#endif
