// pid 1 of a sandbox: from clone() to the payload's execve(). Runs on a copy of the parent's
// memory in a process that has only this one thread, so it may only make system calls: no malloc,
// no stdio, and no glibc call that coordinates with other threads (setuid() and friends do, so the
// credentials are changed with raw syscalls).
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

static void report(int error_fd, int step, int error_number, int detail) {
    csb_setup_error record = {step, error_number, detail};
    const char *bytes = (const char *)&record;
    size_t left = sizeof record;
    while (left > 0) {
        ssize_t n = write(error_fd, bytes, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        bytes += n;
        left -= (size_t)n;
    }
}

__attribute__((noreturn))
static void fail(int error_fd, int step, int detail) {
    report(error_fd, step, errno, detail);
    _exit(CSB_SETUP_FAILED_EXIT);
}

/// pid 1 never execs, so close-on-exec protects nothing: every descriptor the parent had open at
/// clone time (including pipes of concurrently running sandboxes) must be closed explicitly, or
/// those sandboxes would never see EOF on their output. Keeps 0-2 and the listed descriptors,
/// first moving any listed one that sits on 0-2 out of the way of the payload's stdio.
static int keep_only(int *fds, int count) {
    for (int i = 0; i < count; i++) {
        if (fds[i] < 3) {
            int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
            if (moved < 0) return -1;
            for (int j = 0; j < count; j++)
                if (j != i && fds[j] == fds[i]) fds[j] = moved;
            fds[i] = moved;
        }
    }
    int sorted[8];
    for (int i = 0; i < count; i++) sorted[i] = fds[i];
    for (int i = 1; i < count; i++)
        for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            int t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t;
        }
    unsigned int next = 3;
    for (int i = 0; i < count; i++) {
        unsigned int fd = (unsigned int)sorted[i];
        if (fd > next && close_range(next, fd - 1, 0) < 0) return -1;
        if (fd + 1 > next) next = fd + 1;
    }
    return close_range(next, ~0U, 0);
}

static int bring_up_loopback(void) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return -1;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_name[0] = 'l';
    request.ifr_name[1] = 'o';
    int result = ioctl(sock, SIOCGIFFLAGS, &request);
    if (result == 0) {
        request.ifr_flags |= IFF_UP | IFF_RUNNING;
        result = ioctl(sock, SIOCSIFFLAGS, &request);
    }
    int saved = errno;
    close(sock);
    errno = saved;
    return result;
}

/// A private tmpfs over the (empty) stage directory, in the child's mount namespace only.
static int mount_stage_tmpfs(const char *stage) {
    return mount("tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=64k");
}

/// "l<index>": the staged name of lower directory `index`.
static int lower_name(char *buffer, size_t capacity, size_t *length, size_t index) {
    buffer[0] = '\0';
    if (csb_append(buffer, capacity, length, "l") < 0) return -1;
    return csb_append_number(buffer, capacity, length, (uint64_t)index, 10);
}

/// Binds every layer into the (private) stage directory under a short name — `l0`, `l1`, … for
/// the lowers, `u` for the directory holding upper and work — and leaves the stage as the
/// current directory. overlayfs keeps its layer options as given and shows them in
/// /proc/self/mountinfo; given relative to the stage, they name no host path (the journal's
/// location stays private). The overlay keeps its own references to the layers, so the stage can
/// be detached once the overlay exists.
static int stage_layers(const csb_config *config) {
    if (mount_stage_tmpfs(config->stage) < 0 || chdir(config->stage) < 0) return -1;
    char name[24];
    for (size_t i = 0; i < config->lowerdir_count; i++) {
        size_t length = 0;
        if (lower_name(name, sizeof name, &length, i) < 0) return -1;
        if (mkdir(name, 0700) < 0) return -1;
        if (mount(config->lowerdirs[i], name, NULL, MS_BIND, NULL) < 0) return -1;
    }
    if (config->data_directory != NULL) {
        if (mkdir("d", 0700) < 0) return -1;
        if (mount(config->data_directory, "d", NULL, MS_BIND, NULL) < 0) return -1;
    }
    if (mkdir("u", 0700) < 0) return -1;
    return mount(config->upper_base, "u", NULL, MS_BIND | MS_REC, NULL);
}

static int redirects(const csb_config *config, size_t index) {
    return config->data_directory != NULL && config->lower_redirects != NULL && config->lower_redirects[index];
}

/// "m<index>": where the metadata-only lower `index` is mounted over `d`.
static int merge_name(char *buffer, size_t capacity, size_t *length, size_t index) {
    buffer[0] = '\0';
    if (csb_append(buffer, capacity, length, "m") < 0) return -1;
    return csb_append_number(buffer, capacity, length, (uint64_t)index, 10);
}

/// Creates the overlay configured on `fs` (unless `result` already failed), mounts it with
/// `attributes` and moves it onto `target`; closes `fs` and keeps the failing call's errno.
static int attach_overlay(int fs, int result, unsigned int attributes, const char *target) {
    if (result == 0) result = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
    int mnt = result == 0 ? fsmount(fs, FSMOUNT_CLOEXEC, attributes) : -1;
    if (mnt >= 0) result = move_mount(mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
    else result = -1;
    int saved = errno;
    if (mnt >= 0) close(mnt);
    close(fs);
    errno = saved;
    return result;
}

/// Mounts lower `index` (`l<index>`, metadata-only) read-only with `d` as its data-only layer on
/// `m<index>` (see `csb_config.data_directory`). metacopy=on is what makes overlayfs follow its
/// redirects; it is on for this lower alone, which Reprise made, never for an image's layers.
static int mount_data_merge(size_t index) {
    char lower[24], merged[24];
    size_t lower_length = 0, merged_length = 0;
    if (lower_name(lower, sizeof lower, &lower_length, index) < 0) return -1;
    if (merge_name(merged, sizeof merged, &merged_length, index) < 0) return -1;
    if (mkdir(merged, 0700) < 0) return -1;
    int fs = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fs < 0) return -1;
    int result = fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lower, 0);
    if (result == 0) result = fsconfig(fs, FSCONFIG_SET_STRING, "datadir+", "d", 0);
    if (result == 0) result = fsconfig(fs, FSCONFIG_SET_STRING, "metacopy", "on", 0);
    if (result == 0) result = fsconfig(fs, FSCONFIG_SET_STRING, "index", "off", 0);
    return attach_overlay(fs, result, MOUNT_ATTR_NODEV | MOUNT_ATTR_RDONLY, merged);
}

/// Mounts the overlay with the new mount API so that every lower directory is passed as its own
/// string (no length limit, no escaping of ':' or ','), falling back to one mount(2) option string
/// on kernels older than 6.8 that do not know `lowerdir+`. Paths are relative to the stage.
static int mount_overlay(const csb_config *config, int error_fd) {
    for (size_t i = 0; i < config->lowerdir_count; i++) {
        if (redirects(config, i) && mount_data_merge(i) < 0) fail(error_fd, CSB_STEP_DATA_MERGE, (int32_t)i);
    }
    int fs = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fs < 0) return -1;
    char name[24];
    for (size_t i = 0; i < config->lowerdir_count; i++) {
        size_t length = 0;
        int result = redirects(config, i) ? merge_name(name, sizeof name, &length, i)
                                          : lower_name(name, sizeof name, &length, i);
        if (result == 0) result = fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", name, 0);
        if (result < 0) {
            int saved = errno;
            close(fs);
            if (i == 0 && saved == EINVAL && config->legacy_overlay_options != NULL)
                return mount("overlay", config->root, "overlay", MS_NODEV,
                             config->legacy_overlay_options);
            errno = saved;
            return -1;
        }
    }
    // metacopy and redirect_dir would leave metadata-only copies and rename redirects in the
    // upper, which a layer cannot express; index is only needed for hard-link and NFS tricks.
    static const char *const options[][2] = {
        {"metacopy", "off"}, {"redirect_dir", "off"}, {"index", "off"},
    };
    char upper[PATH_MAX], work[PATH_MAX];
    size_t upper_length = 0, work_length = 0;
    int result = csb_append(upper, sizeof upper, &upper_length, "u/");
    if (result == 0) result = csb_append(upper, sizeof upper, &upper_length, config->upperdir);
    if (result == 0) result = csb_append(work, sizeof work, &work_length, "u/");
    if (result == 0) result = csb_append(work, sizeof work, &work_length, config->workdir);
    if (result == 0) result = fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0);
    if (result == 0) result = fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0);
    for (size_t i = 0; result == 0 && i < sizeof options / sizeof options[0]; i++)
        result = fsconfig(fs, FSCONFIG_SET_STRING, options[i][0], options[i][1], 0);
    // nodev: a device node shipped in an image layer (or made by a step) must not reach a host
    // device; only the sandbox's own /dev tmpfs, mounted over it below, holds usable nodes.
    // nosuid is not set: setuid binaries in the image (su, ping) must keep working as in Docker.
    return attach_overlay(fs, result, MOUNT_ATTR_NODEV, config->root);
}

/// Moves pid 1 (and so everything the step will start) into the step's cgroups, then gives it a
/// cgroup namespace rooted there: /proc/self/cgroup inside shows "/", not the host's hierarchy.
static int join_cgroups(const csb_config *config) {
    for (size_t i = 0; i < config->cgroup_fd_count; i++) {
        // "0" means the writing process itself, whatever pid namespace it is in.
        ssize_t n;
        do n = write(config->cgroup_fds[i], "0", 1); while (n < 0 && errno == EINTR);
        if (n != 1) return -1;
    }
    return 0;
}

static void reset_signals(void) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction defaults;
    memset(&defaults, 0, sizeof defaults);
    defaults.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &defaults, NULL);  // fails harmlessly for SIGKILL, SIGSTOP, glibc's own
}

/// execvpe() would search the *parent's* PATH; the payload's PATH comes from the step.
__attribute__((noreturn))
static void exec_payload(const csb_config *config, int error_fd) {
    const char *name = config->argv[0];
    char *const *argv = (char *const *)config->argv;
    char *const *envp = (char *const *)config->envp;
    if (name == NULL || name[0] == '\0') {
        errno = ENOENT;
        fail(error_fd, CSB_STEP_EXEC, -1);
    }
    if (strchr(name, '/') != NULL || config->search_path == NULL) {
        execve(name, argv, envp);
        fail(error_fd, CSB_STEP_EXEC, -1);
    }
    size_t name_length = strlen(name);
    char candidate[PATH_MAX];
    int saw_permission_error = 0;
    const char *dir = config->search_path;
    for (;;) {
        const char *end = strchrnul(dir, ':');
        size_t dir_length = (size_t)(end - dir);
        if (dir_length == 0) { candidate[0] = '.'; dir_length = 1; }
        else if (dir_length < sizeof candidate) memcpy(candidate, dir, dir_length);
        if (dir_length + 1 + name_length + 1 <= sizeof candidate) {
            candidate[dir_length] = '/';
            memcpy(candidate + dir_length + 1, name, name_length + 1);
            execve(candidate, argv, envp);
            if (errno == EACCES) saw_permission_error = 1;
            else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP && errno != ENAMETOOLONG)
                fail(error_fd, CSB_STEP_EXEC, -1);
        }
        if (*end == '\0') break;
        dir = end + 1;
    }
    errno = saw_permission_error ? EACCES : ENOENT;
    fail(error_fd, CSB_STEP_EXEC, -1);
}

/// Cuts the bounding set (what any later execve can gain) and the ambient set. Runs while still
/// root with CAP_SETPCAP, before the uid change.
static int limit_bounding_set(uint64_t keep) {
    for (int cap = 0; cap < 64; cap++) {
        if (keep & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL) break;  // past the kernel's last capability
            return -1;
        }
    }
    return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

/// A root payload keeps exactly `keep` as effective, permitted and inheritable capabilities; a
/// non-root one already lost them all in setresuid.
static int set_capabilities(uint64_t keep) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    // Only what is permitted now can be kept (the host's bounding set may lack some already).
    if (syscall(SYS_capget, &header, data) < 0) return -1;
    for (int word = 0; word < 2; word++) {
        uint32_t bits = (uint32_t)(keep >> (32 * word)) & data[word].permitted;
        data[word].effective = bits;
        data[word].permitted = bits;
        data[word].inheritable = bits;
    }
    return (int)syscall(SYS_capset, &header, data);
}

__attribute__((noreturn))
static void payload_main(const csb_config *config, int error_fd, int status_fd,
                         int stdout_fd, int stderr_fd) {
    close(status_fd);
    reset_signals();
    setsid();
    if (config->cpu_mask != NULL &&
        sched_setaffinity(0, config->cpu_mask_size, (const cpu_set_t *)config->cpu_mask) < 0)
        fail(error_fd, CSB_STEP_CPU_AFFINITY, -1);
    if (config->disable_aslr && personality(ADDR_NO_RANDOMIZE) < 0)
        fail(error_fd, CSB_STEP_PERSONALITY, -1);

    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(stdout_fd, 1) < 0 || dup2(stderr_fd, 2) < 0)
        fail(error_fd, CSB_STEP_STDIO, -1);
    if (null_fd > 2) close(null_fd);
    // The error pipe must survive until execve succeeds; everything else is marked to go then.
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail(error_fd, CSB_STEP_STDIO, -1);

    // Before the capabilities go: raising a hard limit above the inherited one needs
    // CAP_SYS_RESOURCE. prlimit64 is a plain system call (setrlimit's wrapper would do too).
    for (size_t i = 0; i < config->rlimit_count; i++) {
        struct { uint64_t soft, hard; } limit = {config->rlimits[i].soft, config->rlimits[i].hard};
        if (syscall(SYS_prlimit64, 0, config->rlimits[i].resource, &limit, NULL) < 0)
            fail(error_fd, CSB_STEP_RLIMIT, (int)i);
    }
    if (limit_bounding_set(config->capabilities) < 0) fail(error_fd, CSB_STEP_CAPABILITIES, -1);
    // Loaded while still root with CAP_SYS_ADMIN, which lets the filter be installed without
    // no_new_privs: setuid binaries of the image keep working, as under Docker's default. The
    // calls below (setgroups, setresuid, capset, chdir, execve) are all allowed by it.
    if (config->seccomp_program != NULL) {
        struct sock_fprog program = {
            .len = (unsigned short)(config->seccomp_length / sizeof(struct sock_filter)),
            .filter = (struct sock_filter *)config->seccomp_program,
        };
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) < 0)
            fail(error_fd, CSB_STEP_SECCOMP, -1);
    }
    if (syscall(SYS_setgroups, config->group_count, config->groups) < 0)
        fail(error_fd, CSB_STEP_GROUPS, -1);
    if (syscall(SYS_setresgid, config->gid, config->gid, config->gid) < 0)
        fail(error_fd, CSB_STEP_GID, -1);
    if (syscall(SYS_setresuid, config->uid, config->uid, config->uid) < 0)
        fail(error_fd, CSB_STEP_UID, -1);
    // The bounding set caps what exec grants, but the current sets must shrink too: a root
    // payload's permitted set would otherwise still hold everything not yet dropped.
    if (config->uid == 0 && set_capabilities(config->capabilities) < 0)
        fail(error_fd, CSB_STEP_CAPABILITIES, -1);
    umask(config->umask);
    // After the uid change, so that a workdir the user may not enter fails here, as in runc.
    if (chdir(config->cwd) < 0) fail(error_fd, CSB_STEP_CHDIR_WORKDIR, -1);
    exec_payload(config, error_fd);
}

__attribute__((noreturn))
void csb_child_main(const csb_config *config, int error_fd, int status_fd) {
    // The parent thread may die at any moment (Ctrl-C, SIGTERM, crash); take the sandbox with it.
    // Killing pid 1 of a pid namespace kills every process in it.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail(error_fd, CSB_STEP_PDEATHSIG, -1);
    // Handlers inherited from the parent point into Swift code that must not run here, and the
    // terminal's Ctrl-C belongs to the parent, which decides how the sandbox ends.
    reset_signals();
    setsid();
    // First, so that no process of the step ever runs outside its limits.
    if (join_cgroups(config) < 0) fail(error_fd, CSB_STEP_CGROUP, -1);
    if (config->cgroup_fd_count > 0 && unshare(CLONE_NEWCGROUP) < 0)
        fail(error_fd, CSB_STEP_CGROUP_NAMESPACE, -1);

    // Before the descriptors are closed: the namespace's descriptor is one of them.
    if (config->join_netns && setns(config->netns_fd, CLONE_NEWNET) < 0)
        fail(error_fd, CSB_STEP_NETNS, -1);

    int keep[4] = {error_fd, status_fd, config->stdout_fd, config->stderr_fd};
    if (keep_only(keep, 4) < 0) fail(error_fd, CSB_STEP_FDS, -1);
    error_fd = keep[0];
    status_fd = keep[1];
    int stdout_fd = keep[2], stderr_fd = keep[3];
    umask(0);

    // Without this, mounts made below would propagate into the host's mount namespace.
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        fail(error_fd, CSB_STEP_MAKE_PRIVATE, -1);
    if (stage_layers(config) < 0) fail(error_fd, CSB_STEP_STAGE_LAYERS, -1);
    if (mount_overlay(config, error_fd) < 0) fail(error_fd, CSB_STEP_OVERLAY, -1);
    // The overlay holds its own references to the layers; the staged binds can go.
    if (umount2(config->stage, MNT_DETACH) < 0) fail(error_fd, CSB_STEP_STAGE_LAYERS, -1);
    // From here on every path is relative to the new root, so nothing is resolved on the host.
    if (chdir(config->root) < 0) fail(error_fd, CSB_STEP_CHDIR_ROOT, -1);
    int step = csb_mount_kernel_filesystems(config);
    if (step != 0) fail(error_fd, step, -1);
    int failed_index = -1;
    step = csb_apply_mounts(config, &failed_index);
    if (step != 0) fail(error_fd, step, failed_index);

    if (config->isolate_network && !config->join_netns && bring_up_loopback() < 0)
        fail(error_fd, CSB_STEP_LOOPBACK, -1);
    if (config->hostname != NULL && sethostname(config->hostname, strlen(config->hostname)) < 0)
        fail(error_fd, CSB_STEP_HOSTNAME, -1);
    if (config->domainname != NULL &&
        setdomainname(config->domainname, strlen(config->domainname)) < 0)
        fail(error_fd, CSB_STEP_DOMAINNAME, -1);

    // pivot_root(".", ".") stacks the old root under the new one; detaching it leaves the host
    // tree unreachable from inside.
    if (syscall(SYS_pivot_root, ".", ".") < 0) fail(error_fd, CSB_STEP_PIVOT_ROOT, -1);
    if (umount2(".", MNT_DETACH) < 0) fail(error_fd, CSB_STEP_DETACH_OLD_ROOT, -1);
    if (chdir("/") < 0) fail(error_fd, CSB_STEP_DETACH_OLD_ROOT, -1);

    pid_t payload = _Fork();
    if (payload < 0) fail(error_fd, CSB_STEP_FORK, -1);
    if (payload == 0) payload_main(config, error_fd, status_fd, stdout_fd, stderr_fd);

    // The parent sees EOF on the error pipe once the payload has exec'd.
    close(error_fd);
    close(stdout_fd);
    if (stderr_fd != stdout_fd) close(stderr_fd);
    // As init of the namespace: reap every orphan, and leave as soon as the payload is done,
    // which makes the kernel kill whatever the step left running in the background.
    for (;;) {
        int status = 0;
        pid_t reaped = waitpid(-1, &status, __WALL);
        if (reaped == payload) {
            const char *bytes = (const char *)&status;
            size_t left = sizeof status;
            while (left > 0) {
                ssize_t n = write(status_fd, bytes, left);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) break;
                bytes += n;
                left -= (size_t)n;
            }
            _exit(0);
        }
        if (reaped < 0 && errno != EINTR) _exit(CSB_SETUP_FAILED_EXIT);
    }
}
