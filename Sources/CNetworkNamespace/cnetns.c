#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "cnetns.h"

int cnetns_enter(int fd) { return setns(fd, CLONE_NEWNET); }

static int same_address(const struct sockaddr_storage *found, const struct sockaddr *wanted) {
    if (found->ss_family != wanted->sa_family) return 0;
    if (wanted->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)found, *b = (const void *)wanted;
        return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
    }
    if (wanted->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)found, *b = (const void *)wanted;
        return a->sin6_port == b->sin6_port && memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0;
    }
    return 0;
}

int cnetns_find_socket(const struct sockaddr *local, const struct sockaddr *peer) {
    DIR *directory = opendir("/proc/self/fd");
    if (!directory) return -1;
    int result = -1;
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        char *end;
        long fd = strtol(entry->d_name, &end, 10);
        // (The duplicate made below has its own entry, which may still come up.)
        if (*end != '\0' || fd == dirfd(directory) || fd == result) continue;
        int type = 0;
        socklen_t length = sizeof type;
        if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_STREAM) continue;
        struct sockaddr_storage mine, theirs;
        socklen_t mine_length = sizeof mine, theirs_length = sizeof theirs;
        if (getsockname((int)fd, (struct sockaddr *)&mine, &mine_length) != 0) continue;
        if (getpeername((int)fd, (struct sockaddr *)&theirs, &theirs_length) != 0) continue;
        if (same_address(&mine, local) && same_address(&theirs, peer)) {
            // Every recorded step's namespace has the same loopback addresses, so a step's
            // connection (127.0.0.1:3128 <-> 127.0.0.1:port) can have a twin in another step's
            // namespace of this process. Two matches are ambiguous: the caller falls back to
            // relaying through NIO rather than risk handing one step another step's bytes.
            if (result >= 0) {
                close(result);
                result = -1;
                break;
            }
            result = fcntl((int)fd, F_DUPFD_CLOEXEC, 0);
            if (result < 0) break;
        }
    }
    closedir(directory);
    return result;
}

int cnetns_pipe(int fds[2], int size) {
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    (void)fcntl(fds[0], F_SETPIPE_SZ, size);
    return 0;
}

static int wait_for(int fd, short events, int other, int idle_ms) {
    struct pollfd polled[2] = {{.fd = fd, .events = events}, {.fd = other, .events = 0}};
    int ready = poll(polled, other >= 0 ? 2 : 1, idle_ms);
    if (ready == 0) return 0;
    if (ready < 0) return errno == EINTR ? 1 : -1;
    if (other >= 0 && (polled[1].revents & (POLLERR | POLLHUP)) && !(polled[0].revents & events)) return -2;
    return 1;
}

int cnetns_splice_relay(int from, int to, int copy, long long length, int idle_ms,
                        long long *moved, int *error) {
    sigset_t pipe_signal, previous;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
    int pipe_fds[2];
    *moved = 0;
    *error = 0;
    if (cnetns_pipe(pipe_fds, 1 << 20) != 0) {
        *error = errno;
        pthread_sigmask(SIG_SETMASK, &previous, NULL);
        return CNETNS_RELAY_SOURCE_FAILED;
    }
    int status = CNETNS_RELAY_DONE;
    long long remaining = length; /* not yet read from `from` */
    long long in_pipe = 0;        /* in the pipe, not yet sent to `to` */
    long long copied_ahead = 0;   /* at the head of the pipe, already in `copy`, not yet sent */
    const unsigned flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
    while (remaining > 0 || in_pipe > 0) {
        if (in_pipe == 0) {
            size_t want = remaining > (1 << 20) ? (1 << 20) : (size_t)remaining;
            ssize_t n = splice(from, NULL, pipe_fds[1], NULL, want, flags | SPLICE_F_MORE);
            if (n > 0) { in_pipe = n; remaining -= n; continue; }
            if (n == 0) { status = CNETNS_RELAY_SOURCE_ENDED; break; }
            if (errno == EINTR) continue;
            if (errno != EAGAIN) { *error = errno; status = CNETNS_RELAY_SOURCE_FAILED; break; }
            int waited = wait_for(from, POLLIN, to, idle_ms);
            if (waited == 0) { status = CNETNS_RELAY_STALLED; break; }
            if (waited == -2) { *error = EPIPE; status = CNETNS_RELAY_TARGET_FAILED; break; }
            if (waited < 0) { *error = errno; status = CNETNS_RELAY_SOURCE_FAILED; break; }
            continue;
        }
        if (copied_ahead == 0) {
            ssize_t n = tee(pipe_fds[0], copy, (size_t)in_pipe, SPLICE_F_NONBLOCK);
            if (n > 0) { copied_ahead = n; continue; }
            if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                *error = n == 0 ? EPIPE : errno;
                status = CNETNS_RELAY_COPY_FAILED;
                break;
            }
            if (errno == EAGAIN) {
                int waited = wait_for(copy, POLLOUT, -1, idle_ms);
                if (waited == 0) { status = CNETNS_RELAY_STALLED; break; }
                if (waited < 0) { *error = errno; status = CNETNS_RELAY_COPY_FAILED; break; }
            }
            continue;
        }
        ssize_t n = splice(pipe_fds[0], NULL, to, NULL, (size_t)copied_ahead,
                           flags | (remaining > 0 ? SPLICE_F_MORE : 0));
        if (n > 0) { copied_ahead -= n; in_pipe -= n; *moved += n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            int waited = wait_for(to, POLLOUT, -1, idle_ms);
            if (waited == 0) { status = CNETNS_RELAY_STALLED; break; }
            if (waited < 0) { *error = errno; status = CNETNS_RELAY_TARGET_FAILED; break; }
            continue;
        }
        *error = n == 0 ? EPIPE : errno;
        status = CNETNS_RELAY_TARGET_FAILED;
        break;
    }
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    /* A SIGPIPE raised by a write to a step that went away stays pending on this thread: take
       it before unblocking, so that it never reaches the process. */
    struct timespec now = {0, 0};
    while (sigtimedwait(&pipe_signal, NULL, &now) == SIGPIPE) {}
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return status;
}

int cnetns_create(const char *directory, const char *path) {
    if (mkdir(directory, 0755) != 0 && errno != EEXIST) return CNETNS_CREATE_DIRECTORY;
    // As iproute2: the directory is a shared mount (bound onto itself the first time), so that a
    // namespace pinned in it is seen from every mount namespace that has it.
    int bound = 0;
    while (mount("", directory, "none", MS_SHARED | MS_REC, NULL) != 0) {
        if (errno != EINVAL || bound) return CNETNS_CREATE_SHARE;
        if (mount(directory, directory, "none", MS_BIND | MS_REC, NULL) != 0) return CNETNS_CREATE_SHARE;
        bound = 1;
    }
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) return CNETNS_CREATE_FILE;
    close(fd);
    // Only this thread moves: namespaces are per task.
    if (unshare(CLONE_NEWNET) != 0) {
        int saved = errno;
        unlink(path);
        errno = saved;
        return CNETNS_CREATE_UNSHARE;
    }
    char own[64];
    snprintf(own, sizeof own, "/proc/self/task/%ld/ns/net", (long)syscall(SYS_gettid));
    if (mount(own, path, "none", MS_BIND, NULL) != 0) {
        int saved = errno;
        unlink(path);
        errno = saved;
        return CNETNS_CREATE_BIND;
    }
    return 0;
}

/// One rtnetlink request being assembled (attributes appended after the fixed header).
struct request {
    struct nlmsghdr header;
    char room[512];
};

static struct rtattr *append(struct request *message, unsigned short type, const void *data, size_t length) {
    size_t offset = NLMSG_ALIGN(message->header.nlmsg_len);
    size_t size = RTA_LENGTH(length);
    if (offset + RTA_ALIGN(size) > sizeof *message) return NULL;
    struct rtattr *attribute = (struct rtattr *)((char *)message + offset);
    attribute->rta_type = type;
    attribute->rta_len = (unsigned short)size;
    if (length) memcpy(RTA_DATA(attribute), data, length);
    message->header.nlmsg_len = (unsigned)(offset + RTA_ALIGN(size));
    return attribute;
}

static void close_nest(struct request *message, struct rtattr *nest) {
    nest->rta_len = (unsigned short)((char *)message + message->header.nlmsg_len - (char *)nest);
}

static void begin(struct request *message, unsigned short type, unsigned short flags, const void *fixed, size_t length) {
    memset(message, 0, sizeof *message);
    message->header.nlmsg_type = type;
    message->header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    message->header.nlmsg_len = (unsigned)NLMSG_LENGTH(length);
    memcpy(NLMSG_DATA(&message->header), fixed, length);
}

/// Sends the request and waits for the kernel's acknowledgement: 0, or -1 with errno set to
/// the kernel's error.
static int transact(int sock, struct request *message, unsigned sequence) {
    message->header.nlmsg_seq = sequence;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(sock, message, message->header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -1;
    char answer[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t received = recv(sock, answer, sizeof answer, 0);
        if (received < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        int remaining = (int)received;
        for (struct nlmsghdr *header = (struct nlmsghdr *)answer; NLMSG_OK(header, remaining);
             header = NLMSG_NEXT(header, remaining)) {
            if (header->nlmsg_seq != sequence || header->nlmsg_type != NLMSG_ERROR) continue;
            const struct nlmsgerr *error = NLMSG_DATA(header);
            if (error->error == 0) return 0;
            errno = -error->error;
            return -1;
        }
    }
}

static int set_up(int sock, int index, unsigned sequence) {
    struct ifinfomsg link = {.ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
    struct request message;
    begin(&message, RTM_NEWLINK, 0, &link, sizeof link);
    return transact(sock, &message, sequence);
}

int cnetns_configure_links(const char *inside, const char *peer, unsigned int address, int prefix) {
    int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (sock < 0) return CNETNS_LINK_SOCKET;
    int failed = 0;
    struct request message;
    int loopback = (int)if_nametoindex("lo");
    if (loopback == 0 || set_up(sock, loopback, 1) != 0) { failed = CNETNS_LINK_LOOPBACK; goto done; }

    struct ifinfomsg link = {.ifi_family = AF_UNSPEC};
    begin(&message, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &link, sizeof link);
    append(&message, IFLA_IFNAME, inside, strlen(inside) + 1);
    struct rtattr *information = append(&message, IFLA_LINKINFO, NULL, 0);
    append(&message, IFLA_INFO_KIND, "veth", 4);
    struct rtattr *data = append(&message, IFLA_INFO_DATA, NULL, 0);
    struct rtattr *other = append(&message, VETH_INFO_PEER, NULL, 0);
    // The peer's own link message: its header, then its attributes.
    message.header.nlmsg_len += (unsigned)NLMSG_ALIGN(sizeof(struct ifinfomsg));
    struct rtattr *named = append(&message, IFLA_IFNAME, peer, strlen(peer) + 1);
    if (!named) { errno = ENOBUFS; failed = CNETNS_LINK_VETH; goto done; }
    close_nest(&message, other);
    close_nest(&message, data);
    close_nest(&message, information);
    if (transact(sock, &message, 2) != 0) { failed = CNETNS_LINK_VETH; goto done; }
    int index = (int)if_nametoindex(inside), peer_index = (int)if_nametoindex(peer);
    if (index == 0 || peer_index == 0) { failed = CNETNS_LINK_VETH; goto done; }

    struct ifaddrmsg on = {.ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix,
                           .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (unsigned)index};
    begin(&message, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &on, sizeof on);
    append(&message, IFA_LOCAL, &address, sizeof address);
    append(&message, IFA_ADDRESS, &address, sizeof address);
    if (transact(sock, &message, 3) != 0) { failed = CNETNS_LINK_ADDRESS; goto done; }

    if (set_up(sock, index, 4) != 0 || set_up(sock, peer_index, 5) != 0) { failed = CNETNS_LINK_UP; goto done; }

    struct rtmsg route = {.rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
                          .rtm_scope = RT_SCOPE_LINK, .rtm_type = RTN_UNICAST};
    begin(&message, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &route, sizeof route);
    unsigned int through = (unsigned)index;
    append(&message, RTA_OIF, &through, sizeof through);
    if (transact(sock, &message, 6) != 0) { failed = CNETNS_LINK_ROUTE; goto done; }
done:;
    int saved = errno;
    close(sock);
    errno = saved;
    return failed;
}
