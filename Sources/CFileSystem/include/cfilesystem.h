#ifndef REPRISE_CFILESYSTEM_H
#define REPRISE_CFILESYSTEM_H
/// syncfs(2), which Swift's Glibc module hides behind _GNU_SOURCE: flushes only the filesystem
/// holding `fd`, where sync(2) would wait for every filesystem of a busy machine.
int reprise_syncfs(int fd);
#endif
