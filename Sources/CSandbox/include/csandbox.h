// The only code Reprise runs between clone() and execve(). Everything the child does here is a
// plain system call: the Swift side prepares every string, array and decision beforehand, and the
// child copies nothing and allocates nothing (malloc locks may be held by other threads of the
// parent at the moment of the clone).
#ifndef REPRISE_CSANDBOX_H
#define REPRISE_CSANDBOX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Kinds of extra mount the caller can ask for.
enum csb_mount_kind {
    /// Bind a host path (file or directory) onto the target; `read_only` remounts it read-only.
    CSB_MOUNT_BIND = 1,
    /// A fresh tmpfs of `size` bytes (0 = kernel default) with root mode `mode`.
    CSB_MOUNT_TMPFS = 2,
    /// A file holding `data` on a private tmpfs (never on disk), owned by uid/gid with `mode`,
    /// bound onto the target. Made for secrets.
    CSB_MOUNT_DATA_FILE = 3,
    /// A host directory shown through an overlay whose upper is a private tmpfs: writable inside,
    /// but every write is thrown away with the sandbox (BuildKit's `rw` bind mounts).
    CSB_MOUNT_BIND_DISCARD_WRITES = 4,
};

/// One extra mount. `target` is relative to the new root, free of symlinks, and already exists in
/// the merged root (the Swift side guarantees both), unless `create_target` asks the child to
/// create it (only for targets inside a tmpfs the sandbox itself mounted, e.g. /dev).
typedef struct csb_mount {
    int kind;
    const char *source;
    const char *target;
    int read_only;
    int create_target;       // 1 = mkdir, 2 = create an empty file
    uint64_t size;
    uint32_t mode;
    uint32_t uid;
    uint32_t gid;
    const void *data;
    size_t data_length;
} csb_mount;

/// One setrlimit(2) the payload applies before execve (`--ulimit`).
typedef struct csb_rlimit {
    int resource;
    uint64_t soft;
    uint64_t hard;
} csb_rlimit;

/// Everything the child needs, prepared by the parent. All pointers must stay valid until
/// `csb_spawn` returns (the child works on its own copy of the parent's memory afterwards).
typedef struct csb_config {
    /// Empty host directory the overlay is mounted on (only inside the child's mount namespace).
    const char *root;
    /// Overlay lower directories (host paths), top-most first.
    const char *const *lowerdirs;
    size_t lowerdir_count;
    /// NULL, or a host directory whose files hold the data of metadata-only lowers' files
    /// (`trusted.overlay.metacopy` with an absolute `trusted.overlay.redirect` into it), and
    /// `lower_redirects[i]` nonzero for each such lower. Each of those lowers is first mounted on
    /// its own, read-only, over this directory as its data-only layer (`metacopy=on`: what makes
    /// overlayfs follow the redirects), and that mount takes its place in the step's overlay,
    /// which keeps `metacopy=off,redirect_dir=off` (its upper stays a plain layer). On its own,
    /// because overlayfs looks a redirect up in every regular lower below the metadata file
    /// before the data-only layers: a file named like a blob in a lower below must not become a
    /// copied file's bytes. Needs `lowerdir+`/`datadir+` (Linux 6.8).
    const char *data_directory;
    const unsigned char *lower_redirects;
    /// A host directory holding both the upper and the work directory (overlayfs wants them on
    /// one mount), and their paths relative to it.
    const char *upper_base;
    const char *upperdir;
    const char *workdir;
    /// An empty host directory where the child stages the layers under short names (`lN`, and
    /// `u` for `upper_base`) and mounts the overlay from there with relative paths, so that the
    /// overlay's options in the step's /proc/self/mountinfo name no host path.
    const char *stage;
    /// Complete legacy mount(2) option string in those staged names, used only when the kernel
    /// lacks `lowerdir+`.
    const char *legacy_overlay_options;

    const csb_mount *mounts;
    size_t mount_count;

    /// NULL-terminated, like execve's.
    const char *const *argv;
    const char *const *envp;
    /// Colon-separated directories searched for argv[0] when it contains no slash.
    const char *search_path;
    const char *cwd;
    const char *hostname;
    const char *domainname;

    uint32_t uid;
    uint32_t gid;
    const uint32_t *groups;
    size_t group_count;
    uint32_t umask;

    /// 1 = new network namespace with only `lo` (brought up); 0 = share the host's network.
    int isolate_network;
    /// 1 = join the network namespace open at `netns_fd` (a recorded step's, made by the
    /// parent) instead of making one; `isolate_network` is then ignored.
    int join_netns;
    int netns_fd;
    /// 1 = personality(ADDR_NO_RANDOMIZE) for the payload.
    int disable_aslr;
    /// Optional CPU affinity mask in cpu_set_t byte layout; NULL = inherit.
    const void *cpu_mask;
    size_t cpu_mask_size;

    /// Capabilities the payload keeps (bit N = capability N): the bounding set is cut to these
    /// before the uid change, and a root payload runs with exactly these.
    uint64_t capabilities;

    /// Where the payload's stdout and stderr go (usually write ends of pipes).
    int stdout_fd;
    int stderr_fd;

    /// A classic BPF seccomp program (`struct sock_filter` array, `seccomp_length` bytes) that
    /// the payload loads before its uid change and execve; NULL = none.
    const void *seccomp_program;
    size_t seccomp_length;

    /// Open (write-only) `cgroup.procs` files of the step's cgroups; pid 1 writes "0" to each
    /// before anything else, so that it and every process of the step are inside the limits
    /// from the start, then enters a new cgroup namespace rooted there.
    const int *cgroup_fds;
    size_t cgroup_fd_count;
    /// Resource limits the payload sets on itself before execve (while it may still raise hard
    /// limits).
    const csb_rlimit *rlimits;
    size_t rlimit_count;
    /// Size of the sandbox's /dev/shm tmpfs in bytes; 0 = 64 MiB (Docker's default).
    uint64_t shm_size;
} csb_config;

/// Setup steps, reported with an errno when the child fails before execve.
enum csb_step {
    CSB_STEP_PDEATHSIG = 1,
    CSB_STEP_FDS,
    CSB_STEP_MAKE_PRIVATE,
    CSB_STEP_OVERLAY,
    CSB_STEP_CHDIR_ROOT,
    CSB_STEP_PROC,
    CSB_STEP_SYS,
    CSB_STEP_DEV,
    CSB_STEP_DEV_NODES,
    CSB_STEP_DEV_SHM,
    CSB_STEP_DEV_PTS,
    CSB_STEP_MOUNT,           // value carries the index of the mount too (see csb_setup_error)
    CSB_STEP_LOOPBACK,
    CSB_STEP_HOSTNAME,
    CSB_STEP_DOMAINNAME,
    CSB_STEP_PIVOT_ROOT,
    CSB_STEP_DETACH_OLD_ROOT,
    CSB_STEP_FORK,
    CSB_STEP_CPU_AFFINITY,
    CSB_STEP_PERSONALITY,
    CSB_STEP_STDIO,
    CSB_STEP_CAPABILITIES,
    CSB_STEP_PROC_PROTECT,
    CSB_STEP_GROUPS,
    CSB_STEP_GID,
    CSB_STEP_UID,
    CSB_STEP_CHDIR_WORKDIR,
    CSB_STEP_EXEC,
    CSB_STEP_SECCOMP,
    CSB_STEP_CGROUP,
    CSB_STEP_CGROUP_NAMESPACE,
    CSB_STEP_RLIMIT,          // value carries the index of the limit
    CSB_STEP_STAGE_LAYERS,
    CSB_STEP_NETNS,
    CSB_STEP_DATA_MERGE,      // value carries the index of the lower
};

/// What the child writes to the error pipe when setup fails: the step, errno, and for
/// CSB_STEP_MOUNT the index of the failing mount (-1 otherwise).
typedef struct csb_setup_error {
    int32_t step;
    int32_t error_number;
    int32_t detail;
} csb_setup_error;

/// The running sandbox, as seen by the parent.
typedef struct csb_process {
    /// Host pid of the sandbox's pid 1.
    int pid;
    /// pidfd of pid 1 (close-on-exec); use it to signal and wait without pid reuse races.
    int pidfd;
    /// Read end: csb_setup_error records; EOF without a record means execve succeeded.
    int error_fd;
    /// Read end: pid 1 writes the payload's wait status here (one int) before it exits.
    int status_fd;
} csb_process;

/// Clones pid 1 of the sandbox in new mount, pid, uts, ipc (and network) namespaces and returns
/// at once; the child sets itself up and reports over `error_fd`. Returns 0 or -errno.
/// The caller keeps `stdout_fd`/`stderr_fd` and must close its copies after this returns.
/// The child gets SIGKILL when the calling *thread* exits (PR_SET_PDEATHSIG), so call this from a
/// thread that lives until the child has been reaped.
int csb_spawn(const csb_config *config, csb_process *process);

/// pipe2(2), which Swift's Glibc module does not export.
int csb_pipe2(int fds[2], int flags);

/// pidfd_send_signal(2). Returns 0 or -errno.
int csb_pidfd_send_signal(int pidfd, int signal_number);

/// Waits for the process behind `pidfd` (waitid P_PIDFD, __WALL) and stores its wait status in
/// `wait_status` in waitpid(2) encoding. Retries on EINTR. Returns 0 or -errno.
int csb_pidfd_wait(int pidfd, int *wait_status);

/// lgetxattr(2), which Swift's Glibc module does not export. Returns the size or -errno.
long csb_lgetxattr(const char *path, const char *name, void *value, size_t size);

/// Builds Reprise's seccomp filter for this machine's architecture (see seccomp.c) as a BPF
/// program in a malloc'd buffer the caller frees. Runs in the parent: libseccomp allocates.
/// Returns 0 or -errno.
int csb_seccomp_build(void **program, size_t *length);

/// Human-readable name of a csb_step.
const char *csb_step_name(int step);

#ifdef __cplusplus
}
#endif

#endif
