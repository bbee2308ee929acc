#define _GNU_SOURCE
#include <unistd.h>
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
