#define _GNU_SOURCE
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include "cfilesystem.h"

int reprise_syncfs(int fd) { return syncfs(fd); }

int reprise_clone_file(int destination, int source) { return ioctl(destination, FICLONE, source); }

ssize_t reprise_copy_file_range(int source, int destination, size_t count) {
    return copy_file_range(source, NULL, destination, NULL, count, 0);
}

#include <sys/vfs.h>
#include <linux/magic.h>

int reprise_is_tmpfs(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return info.f_type == TMPFS_MAGIC ? 1 : 0;
}

int reprise_open_unnamed(const char *directory, mode_t mode) {
    return open(directory, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
}

int reprise_link_unnamed(int fd, const char *target) {
    if (linkat(fd, "", AT_FDCWD, target, AT_EMPTY_PATH) == 0) return 0;
    if (errno != EPERM && errno != ENOENT) return -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, path, AT_FDCWD, target, AT_SYMLINK_FOLLOW);
}
