// Reprise's seccomp filter for RUN steps, built with libseccomp in the parent (it allocates)
// and handed to the child as a finished BPF program, which the payload loads just before it
// drops privileges.
//
// Docker's default profile is an allow-list of about 350 system calls, with conditions that
// depend on the capabilities a container is given. Steps here always run with the same, fixed
// capability set (LinuxCapabilities.buildDefault: no CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_PTRACE,
// …), so every call that profile allows only with one of those capabilities is refused here
// outright, and the filter is written as a deny-list of exactly those calls. That keeps new,
// harmless system calls working (glibc adopts them faster than a hand-kept allow-list follows)
// while refusing what Docker refuses by default: namespaces and user namespaces in particular,
// the keyring, BPF, perf events, kernel modules, mounts, kexec, clock and swap changes, raw
// I/O ports, handle-based opens (the "shocker" escape), and io_uring, which bypasses the filter.
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/// Refused with EPERM, whatever their arguments.
static const char *const denied[] = {
    // namespaces: unshare and setns need CAP_SYS_ADMIN under Docker; a user namespace would
    // hand the step a full capability set inside it
    "unshare", "setns",
    // keyring, BPF, perf: kernel attack surface with a long list of CVEs, not namespaced
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    // modules, kexec, reboot, swap, accounting, quotas, kernel log
    "init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms",
    "query_module", "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "acct",
    "quotactl", "quotactl_fd", "syslog", "lookup_dcookie", "nfsservctl", "uselib",
    // mounts (also blocked by the missing CAP_SYS_ADMIN; refused here again on purpose)
    "mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
    "move_mount", "open_tree", "mount_setattr",
    // the host's clock
    "settimeofday", "stime", "clock_settime", "clock_settime64", "clock_adjtime",
    "clock_adjtime64", "adjtimex",
    // raw hardware access, other processes' memory, handle-based opens
    "iopl", "ioperm", "vm86", "vm86old", "process_vm_readv", "process_vm_writev", "kcmp",
    "open_by_handle_at", "name_to_handle_at",
    // io_uring runs operations that seccomp never sees
    "io_uring_setup", "io_uring_enter", "io_uring_register",
};

/// clone(2) flags that create namespaces (Docker's mask 0x7E020000): clone is refused when its
/// flags hold any of them.
static const unsigned long namespace_flags[] = {
    CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
    CLONE_NEWNET,
};

static int build(scmp_filter_ctx ctx) {
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        int number = seccomp_syscall_resolve_name(denied[i]);
        if (number == __NR_SCMP_ERROR) continue;  // not a system call on this architecture
        int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), number, 0);
        if (rc < 0 && rc != -EDOM) return rc;
    }
    for (size_t i = 0; i < sizeof namespace_flags / sizeof namespace_flags[0]; i++) {
        scmp_datum_t flag = namespace_flags[i];
        int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                  SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
        if (rc < 0) return rc;
    }
    // clone3 passes its flags in memory, which a filter cannot read: answer ENOSYS, as Docker
    // does, and glibc falls back to clone, where the flags are checked.
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc < 0 && rc != -EDOM) return rc;
    // The payload loads the program itself while it has CAP_SYS_ADMIN; no_new_privs would
    // stop setuid binaries of the image from working.
    return seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
}

int csb_seccomp_build(void **program, size_t *length) {
    *program = NULL;
    *length = 0;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL) return -ENOMEM;
    int rc = build(ctx);
    int fd = -1;
    if (rc == 0) {
        fd = memfd_create("reprise-seccomp", MFD_CLOEXEC);
        if (fd < 0) rc = -errno;
    }
    if (rc == 0) rc = seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    off_t size = rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
    if (rc == 0 && size <= 0) rc = size < 0 ? -errno : -EINVAL;
    unsigned char *buffer = rc == 0 ? malloc((size_t)size) : NULL;
    if (rc == 0 && buffer == NULL) rc = -ENOMEM;
    if (rc == 0 && pread(fd, buffer, (size_t)size, 0) != size) rc = -EIO;
    if (fd >= 0) close(fd);
    if (rc != 0) {
        free(buffer);
        return rc;
    }
    *program = buffer;
    *length = (size_t)size;
    return 0;
}
