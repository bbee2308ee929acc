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

/// Which part of making a namespace failed (errno says why).
enum {
    CNETNS_CREATE_DIRECTORY = 1, ///< mkdir of the directory (/run/netns)
    CNETNS_CREATE_SHARE = 2,     ///< making the directory a shared mount, as `ip netns add` does
    CNETNS_CREATE_FILE = 3,      ///< creating the namespace's file (it exists already: EEXIST)
    CNETNS_CREATE_UNSHARE = 4,   ///< unshare(CLONE_NEWNET)
    CNETNS_CREATE_BIND = 5,      ///< bind-mounting the thread's namespace onto the file
};

/// What `ip netns add NAME` does, without a process: moves the CALLING THREAD into a new network
/// namespace and pins that namespace at `path` (a file in `directory`, which is made a shared
/// mount so the bind propagates to other mount namespaces, exactly as iproute2 does). Returns 0,
/// or a CNETNS_CREATE_* step with errno set; on failure nothing is left at `path`, but the thread
/// may already be in the new namespace (the caller setns(2)es back, as after success).
int cnetns_create(const char *directory, const char *path);

/// Which part of setting up the links failed (errno, or the kernel's netlink error, says why).
enum {
    CNETNS_LINK_SOCKET = 1,   ///< the rtnetlink socket
    CNETNS_LINK_LOOPBACK = 2, ///< link set lo up
    CNETNS_LINK_VETH = 3,     ///< link add rp0 type veth peer name rp1
    CNETNS_LINK_ADDRESS = 4,  ///< address add ADDRESS/PREFIX dev rp0
    CNETNS_LINK_UP = 5,       ///< link set rp0 up, link set rp1 up
    CNETNS_LINK_ROUTE = 6,    ///< route add default dev rp0
};

/// In the calling thread's network namespace, over rtnetlink, what `ip -batch` did: loopback up;
/// a veth pair `inside`/`peer` (both ends here) up; `address`/`prefix` (IPv4, network byte order)
/// on `inside`; the default route through `inside` (scope link, main table). Returns 0, or a
/// CNETNS_LINK_* step with errno set (from the kernel's acknowledgement when it refused).
int cnetns_configure_links(const char *inside, const char *peer, unsigned int address, int prefix);
#endif
