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
