// Mounts made by pid 1 inside its private mount namespace, with the new root as the current
// directory. Every path here is relative, so nothing is resolved against the host's root. Like the
// rest of the child, this file only makes system calls and never allocates.
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/// A private tmpfs mounted here while a data file or a write-discarding bind is prepared, and
/// detached again before the payload starts; it lives in the sandbox's own /dev tmpfs so that
/// nothing is created in the overlay.
static const char scratch[] = "dev/.reprise-scratch";

static int make_read_only(const char *target, unsigned int flags);
static int mount_tmpfs(const char *target, uint64_t size, uint32_t mode, unsigned long flags);

static const struct device_node {
    const char *path;
    unsigned int major, minor;
} device_nodes[] = {
    {"dev/null", 1, 3}, {"dev/zero", 1, 5}, {"dev/full", 1, 7},
    {"dev/random", 1, 8}, {"dev/urandom", 1, 9}, {"dev/tty", 5, 0},
};

static const struct device_link {
    const char *target, *path;
} device_links[] = {
    {"/proc/self/fd", "dev/fd"}, {"/proc/self/fd/0", "dev/stdin"},
    {"/proc/self/fd/1", "dev/stdout"}, {"/proc/self/fd/2", "dev/stderr"},
    {"pts/ptmx", "dev/ptmx"},
};

/// Where mknod is not allowed (a devices cgroup, a restricted host), bind the host's node instead.
static int make_device_node(const struct device_node *node) {
    if (mknod(node->path, S_IFCHR | 0666, makedev(node->major, node->minor)) == 0) return 0;
    if (errno != EPERM) return -1;
    int fd = open(node->path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0) return -1;
    close(fd);
    // node->path is "dev/NAME"; the host's node is "/dev/NAME".
    char host_path[32] = "/";
    size_t length = strlen(node->path);
    if (length + 2 > sizeof host_path) { errno = ENAMETOOLONG; return -1; }
    memcpy(host_path + 1, node->path, length + 1);
    return mount(host_path, node->path, NULL, MS_BIND, NULL);
}

/// As Docker's defaults: kernel knobs under /proc that are global (not per namespace) become
/// read-only, and files that leak host information or memory are masked. Without CAP_SYS_ADMIN
/// the payload cannot undo these mounts.
static const char *const proc_read_only[] = {
    "proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
};
static const char *const proc_masked[] = {
    "proc/acpi", "proc/asound", "proc/kcore", "proc/keys", "proc/latency_stats",
    "proc/sched_debug", "proc/scsi", "proc/timer_list", "proc/timer_stats", "sys/firmware",
    "sys/devices/virtual/powercap",
};

static int protect_proc(void) {
    for (size_t i = 0; i < sizeof proc_read_only / sizeof proc_read_only[0]; i++) {
        const char *path = proc_read_only[i];
        if (access(path, F_OK) < 0) continue;
        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
        if (make_read_only(path, AT_RECURSIVE) < 0) return -1;
    }
    for (size_t i = 0; i < sizeof proc_masked / sizeof proc_masked[0]; i++) {
        const char *path = proc_masked[i];
        struct stat info;
        if (lstat(path, &info) < 0) continue;
        int result = S_ISDIR(info.st_mode)
            ? mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    "size=0,mode=0555")
            : mount("dev/null", path, NULL, MS_BIND, NULL);
        if (result < 0) return -1;
    }
    return 0;
}

int csb_mount_kernel_filesystems(const csb_config *config) {
    if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return CSB_STEP_PROC;
    // A fresh sysfs shows the interfaces of the sandbox's network namespace, not the host's.
    if (mount("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return CSB_STEP_SYS;
    if (mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
        return CSB_STEP_DEV;
    for (size_t i = 0; i < sizeof device_nodes / sizeof device_nodes[0]; i++)
        if (make_device_node(&device_nodes[i]) < 0) return CSB_STEP_DEV_NODES;
    for (size_t i = 0; i < sizeof device_links / sizeof device_links[0]; i++)
        if (symlink(device_links[i].target, device_links[i].path) < 0) return CSB_STEP_DEV_NODES;
    // As Docker: /dev/shm always exists, a tmpfs of --shm-size (64 MiB unless given).
    uint64_t shm_size = config->shm_size != 0 ? config->shm_size : 64ULL << 20;
    if (mkdir("dev/shm", 01777) < 0 ||
        mount_tmpfs("dev/shm", shm_size, 01777, MS_NOSUID | MS_NODEV | MS_NOEXEC) < 0)
        return CSB_STEP_DEV_SHM;
    if (mkdir("dev/pts", 0755) < 0 ||
        mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=0620") < 0)
        return CSB_STEP_DEV_PTS;
    if (protect_proc() < 0) return CSB_STEP_PROC_PROTECT;
    return 0;
}

int csb_append(char *buffer, size_t capacity, size_t *length, const char *text) {
    size_t add = strlen(text);
    if (*length + add + 1 > capacity) { errno = ENAMETOOLONG; return -1; }
    memcpy(buffer + *length, text, add + 1);
    *length += add;
    return 0;
}

int csb_append_number(char *buffer, size_t capacity, size_t *length, uint64_t value,
                      unsigned int base) {
    char digits[24];
    size_t count = 0;
    do { digits[count++] = (char)('0' + value % base); value /= base; } while (value != 0);
    char text[25];
    text[0] = '0';  // a leading zero keeps octal modes octal and is harmless for decimals
    for (size_t i = 0; i < count; i++) text[1 + i] = digits[count - 1 - i];
    text[count + 1] = '\0';
    return csb_append(buffer, capacity, length, base == 10 ? text + 1 : text);
}

static int mount_tmpfs(const char *target, uint64_t size, uint32_t mode, unsigned long flags) {
    char options[64] = "";
    size_t length = 0;
    if (csb_append(options, sizeof options, &length, "mode=") < 0 ||
        csb_append_number(options, sizeof options, &length, mode & 07777, 8) < 0)
        return -1;
    if (size != 0 && (csb_append(options, sizeof options, &length, ",size=") < 0 ||
                      csb_append_number(options, sizeof options, &length, size, 10) < 0))
        return -1;
    return mount("tmpfs", target, "tmpfs", flags, options);
}

static int set_attributes(const char *target, unsigned int flags, uint64_t attributes) {
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = attributes;
    return mount_setattr(AT_FDCWD, target, flags, &attr, sizeof attr);
}

static int make_read_only(const char *target, unsigned int flags) {
    return set_attributes(target, flags, MOUNT_ATTR_RDONLY);
}

static int open_scratch(void) {
    if (mkdir(scratch, 0700) < 0 && errno != EEXIST) return -1;
    return mount_tmpfs(scratch, 0, 0700, MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

/// The bind (or overlay) made from the scratch tmpfs keeps its own reference, so detaching the
/// scratch leaves the mounted file or overlay intact and the scratch invisible to the payload.
static int close_scratch(void) {
    if (umount2(scratch, MNT_DETACH) < 0) return -1;
    return rmdir(scratch);
}

static int write_all(int fd, const void *data, size_t length) {
    const char *bytes = data;
    while (length > 0) {
        ssize_t n = write(fd, bytes, length);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        bytes += n;
        length -= (size_t)n;
    }
    return 0;
}

static int mount_data_file(const csb_mount *m) {
    static const char file[] = "dev/.reprise-scratch/data";
    if (open_scratch() < 0) return -1;
    int fd = open(file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, m->mode & 07777);
    if (fd < 0) return -1;
    int result = write_all(fd, m->data, m->data_length);
    if (result == 0) result = fchown(fd, m->uid, m->gid);
    if (result == 0) result = fchmod(fd, m->mode & 07777);
    int saved = errno;
    close(fd);
    errno = saved;
    if (result < 0) return -1;
    if (mount(file, m->target, NULL, MS_BIND, NULL) < 0) return -1;
    if (m->read_only && make_read_only(m->target, 0) < 0) return -1;
    return close_scratch();
}

/// BuildKit's `rw` bind: writable inside, thrown away afterwards. An overlay with the host
/// directory as its only lower and the upper on a private tmpfs gives exactly that.
static int mount_bind_discarding_writes(const csb_mount *m) {
    if (open_scratch() < 0) return -1;
    if (mkdir("dev/.reprise-scratch/upper", 0755) < 0 ||
        mkdir("dev/.reprise-scratch/work", 0700) < 0 ||
        mkdir("dev/.reprise-scratch/lower", 0755) < 0)
        return -1;
    // overlayfs shows its options as given in /proc/self/mountinfo: the host directory is bound
    // into the scratch first and named relative to the new root, so no host path appears there.
    if (mount(m->source, "dev/.reprise-scratch/lower", NULL, MS_BIND | MS_REC, NULL) < 0)
        return -1;
    static const char lower[] = "dev/.reprise-scratch/lower";
    int fs = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fs < 0) return -1;
    int result = fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lower, 0);
    if (result < 0 && errno == EINVAL)  // kernels before 6.8
        result = fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0);
    if (result == 0)
        result = fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", "dev/.reprise-scratch/upper", 0);
    if (result == 0)
        result = fsconfig(fs, FSCONFIG_SET_STRING, "workdir", "dev/.reprise-scratch/work", 0);
    if (result == 0) result = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
    int mnt = result == 0 ? fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV) : -1;
    result = mnt >= 0 ? move_mount(mnt, "", AT_FDCWD, m->target, MOVE_MOUNT_F_EMPTY_PATH) : -1;
    int saved = errno;
    if (mnt >= 0) close(mnt);
    close(fs);
    errno = saved;
    if (result < 0) return -1;
    return close_scratch();
}

static int create_target(const csb_mount *m) {
    if (m->create_target == 1) {
        if (mkdir(m->target, 0755) < 0 && errno != EEXIST) return -1;
    } else if (m->create_target == 2) {
        int fd = open(m->target, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) return -1;
        close(fd);
    }
    return 0;
}

static int apply_mount(const csb_mount *m) {
    if (create_target(m) < 0) return -1;
    switch (m->kind) {
    case CSB_MOUNT_BIND:
        // Binds (contexts, stages, cache mounts) are nodev like the root: a node in a cache
        // directory or a context must not open a host device either.
        if (mount(m->source, m->target, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
        return set_attributes(m->target, AT_RECURSIVE,
                              MOUNT_ATTR_NODEV | (m->read_only ? MOUNT_ATTR_RDONLY : 0));
    case CSB_MOUNT_TMPFS:
        if (mount_tmpfs(m->target, m->size, m->mode, MS_NOSUID | MS_NODEV) < 0) return -1;
        return m->read_only ? make_read_only(m->target, 0) : 0;
    case CSB_MOUNT_DATA_FILE:
        return mount_data_file(m);
    case CSB_MOUNT_BIND_DISCARD_WRITES:
        return mount_bind_discarding_writes(m);
    default:
        errno = EINVAL;
        return -1;
    }
}

int csb_apply_mounts(const csb_config *config, int *failed_index) {
    for (size_t i = 0; i < config->mount_count; i++) {
        if (apply_mount(&config->mounts[i]) < 0) {
            *failed_index = (int)i;
            return CSB_STEP_MOUNT;
        }
    }
    return 0;
}
