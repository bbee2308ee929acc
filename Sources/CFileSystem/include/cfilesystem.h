#ifndef REPRISE_CFILESYSTEM_H
#define REPRISE_CFILESYSTEM_H
#include <sys/types.h>
/// syncfs(2), which Swift's Glibc module hides behind _GNU_SOURCE: flushes only the filesystem
/// holding `fd`, where sync(2) would wait for every filesystem of a busy machine.
int reprise_syncfs(int fd);
/// ioctl(FICLONE): makes `destination` share all of `source`'s extents (a reflink). Fails with
/// EOPNOTSUPP/EINVAL/EXDEV where the filesystem cannot (ext4, tmpfs, across filesystems).
/// Swift cannot call the variadic ioctl itself.
int reprise_clone_file(int destination, int source);
/// copy_file_range(2) at the files' current offsets: the kernel copies (or shares, where the
/// filesystem can) without the bytes passing through user space.
ssize_t reprise_copy_file_range(int source, int destination, size_t count);
/// open(O_TMPFILE): an unnamed regular file in `directory`, which vanishes when closed unless
/// `reprise_link_unnamed` gives it a name. -1 with errno (EOPNOTSUPP, EISDIR: not supported).
int reprise_open_unnamed(const char *directory, mode_t mode);
/// Links the unnamed file open as `fd` at `target` (linkat AT_EMPTY_PATH, else through
/// /proc/self/fd). EEXIST when `target` exists.
int reprise_link_unnamed(int fd, const char *target);
/// Whether `path` is on a tmpfs (statfs's TMPFS_MAGIC): 1 yes, 0 no, -1 with errno.
int reprise_is_tmpfs(const char *path);
#endif
