#ifndef CNETNS_H
#define CNETNS_H
#include <sys/socket.h>
/// setns(2) for a network namespace, which Swift's Glibc module does not export (it needs
/// _GNU_SOURCE). Returns 0, or -1 with errno set.
int cnetns_enter(int fd);

/// A duplicate (close-on-exec) of this process's TCP socket whose local and peer addresses are
/// `local` and `peer` (IPv4 or IPv6), or -1 when there is none: SwiftNIO does not hand out the
/// descriptors of its channels, and the recorder's fast path needs them for splice(2). Also -1
/// when two sockets match (twins in two steps' namespaces): never a guess.
int cnetns_find_socket(const struct sockaddr *local, const struct sockaddr *peer);

/// A pipe (close-on-exec) whose capacity is raised to `size` bytes where the system allows.
int cnetns_pipe(int fds[2], int size);

/// How `cnetns_splice_relay` ended.
enum {
    CNETNS_RELAY_DONE = 0,          ///< all `length` bytes went to `to` (and to `copy`)
    CNETNS_RELAY_SOURCE_ENDED = 1,  ///< `from` reached its end first
    CNETNS_RELAY_SOURCE_FAILED = 2, ///< reading `from` failed (errno in *error)
    CNETNS_RELAY_TARGET_FAILED = 3, ///< writing `to` failed: its peer went away (errno in *error)
    CNETNS_RELAY_COPY_FAILED = 4,   ///< writing `copy` failed (errno in *error)
    CNETNS_RELAY_STALLED = 5,       ///< nothing moved for `idle_ms`
};

/// Moves `length` bytes from socket `from` to socket `to` through a kernel pipe (splice(2)),
/// with every byte also duplicated (tee(2)) into the pipe `copy` before it leaves: no byte
/// passes through user space. Blocks (poll) until done; works with non-blocking descriptors.
/// SIGPIPE is blocked on the calling thread while it runs. *moved is the bytes `to` received.
int cnetns_splice_relay(int from, int to, int copy, long long length, int idle_ms,
                        long long *moved, int *error);
#endif
