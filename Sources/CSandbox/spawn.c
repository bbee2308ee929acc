// Parent side: the clone itself and small wrappers Swift cannot reach through Glibc.
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/// The kernel's struct clone_args (version 0, 64 bytes); glibc 2.36 does not declare it.
struct csb_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

int csb_pipe2(int fds[2], int flags) {
    return pipe2(fds, flags) < 0 ? -errno : 0;
}

int csb_pidfd_send_signal(int pidfd, int signal_number) {
    return syscall(SYS_pidfd_send_signal, pidfd, signal_number, NULL, 0) < 0 ? -errno : 0;
}

int csb_pidfd_wait(int pidfd, int *wait_status) {
    siginfo_t info;
    for (;;) {
        memset(&info, 0, sizeof info);
        if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | __WALL) == 0) break;
        if (errno != EINTR) return -errno;
    }
    if (info.si_code == CLD_EXITED) *wait_status = (info.si_status & 0xff) << 8;
    else *wait_status = (info.si_status & 0x7f) | (info.si_code == CLD_DUMPED ? 0x80 : 0);
    return 0;
}

int csb_spawn(const csb_config *config, csb_process *process) {
    int error_pipe[2], status_pipe[2];
    if (pipe2(error_pipe, O_CLOEXEC) < 0) return -errno;
    if (pipe2(status_pipe, O_CLOEXEC) < 0) {
        int saved = errno;
        close(error_pipe[0]);
        close(error_pipe[1]);
        return -saved;
    }
    int pidfd = -1;
    struct csb_clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD |
                 (config->isolate_network && !config->join_netns ? CLONE_NEWNET : 0);
    args.pidfd = (uint64_t)(uintptr_t)&pidfd;
    // No exit signal: a SIGCHLD handler or SIG_IGN elsewhere in the process must neither see nor
    // auto-reap the sandbox; it is waited for through its pidfd with __WALL.
    args.exit_signal = 0;
    // Without CLONE_VM and without a stack, clone3 behaves like fork: the child continues here on
    // its own copy of this stack.
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
        csb_child_main(config, error_pipe[1], status_pipe[1]);
    }
    int saved = errno;
    close(error_pipe[1]);
    close(status_pipe[1]);
    if (pid < 0) {
        close(error_pipe[0]);
        close(status_pipe[0]);
        return -saved;
    }
    process->pid = (int)pid;
    process->pidfd = pidfd;
    process->error_fd = error_pipe[0];
    process->status_fd = status_pipe[0];
    return 0;
}

long csb_lgetxattr(const char *path, const char *name, void *value, size_t size) {
    ssize_t result = lgetxattr(path, name, value, size);
    return result < 0 ? -errno : (long)result;
}

const char *csb_step_name(int step) {
    switch (step) {
    case CSB_STEP_PDEATHSIG: return "set parent-death signal";
    case CSB_STEP_FDS: return "close inherited descriptors";
    case CSB_STEP_MAKE_PRIVATE: return "make / rprivate";
    case CSB_STEP_OVERLAY: return "mount overlay root";
    case CSB_STEP_CHDIR_ROOT: return "enter new root";
    case CSB_STEP_PROC: return "mount /proc";
    case CSB_STEP_SYS: return "mount /sys";
    case CSB_STEP_DEV: return "mount /dev";
    case CSB_STEP_DEV_NODES: return "create /dev nodes";
    case CSB_STEP_DEV_SHM: return "mount /dev/shm";
    case CSB_STEP_DEV_PTS: return "mount /dev/pts";
    case CSB_STEP_MOUNT: return "mount";
    case CSB_STEP_LOOPBACK: return "bring up loopback";
    case CSB_STEP_HOSTNAME: return "set hostname";
    case CSB_STEP_DOMAINNAME: return "set domain name";
    case CSB_STEP_PIVOT_ROOT: return "pivot_root";
    case CSB_STEP_DETACH_OLD_ROOT: return "detach old root";
    case CSB_STEP_FORK: return "fork payload";
    case CSB_STEP_CPU_AFFINITY: return "set CPU affinity";
    case CSB_STEP_PERSONALITY: return "disable ASLR";
    case CSB_STEP_STDIO: return "set up stdio";
    case CSB_STEP_CAPABILITIES: return "restrict capabilities";
    case CSB_STEP_PROC_PROTECT: return "protect /proc";
    case CSB_STEP_GROUPS: return "set supplementary groups";
    case CSB_STEP_GID: return "set gid";
    case CSB_STEP_UID: return "set uid";
    case CSB_STEP_CHDIR_WORKDIR: return "change to working directory";
    case CSB_STEP_EXEC: return "execute command";
    case CSB_STEP_NETNS: return "join the step's network namespace";
    case CSB_STEP_SECCOMP: return "load seccomp filter";
    case CSB_STEP_CGROUP: return "join the step's cgroup";
    case CSB_STEP_CGROUP_NAMESPACE: return "enter a cgroup namespace";
    case CSB_STEP_RLIMIT: return "set resource limit";
    case CSB_STEP_STAGE_LAYERS: return "stage overlay layers";
    case CSB_STEP_DATA_MERGE: return "mount a metadata-only lower over the store's blobs (REPRISE_DATA_ONLY_LOWERS=0 avoids it)";
    default: return "unknown step";
    }
}
