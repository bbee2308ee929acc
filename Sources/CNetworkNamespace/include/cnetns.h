#ifndef CNETNS_H
#define CNETNS_H
/// setns(2) for a network namespace, which Swift's Glibc module does not export (it needs
/// _GNU_SOURCE). Returns 0, or -1 with errno set.
int cnetns_enter(int fd);
#endif
