/* Sandbox escape probes, run inside a RUN step by scripts/reliability (built static with gcc).
 * Usage: probe NAME [ARG]. Prints exactly one line "PROBE NAME ESCAPED|REFUSED detail" and
 * exits 0 either way, so a build carries on; ESCAPED means the sandbox let the attempt through.
 * Every attempt is harmless if it succeeds (reads, or writes of the value already there). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>

static int report(const char *name, int escaped, const char *detail) {
    printf("PROBE %s %s %s\n", name, escaped ? "ESCAPED" : "REFUSED", detail);
    fflush(stdout);
    return 0;
}

static int errno_result(const char *name, long rc) {
    char detail[128];
    if (rc >= 0) {
        snprintf(detail, sizeof detail, "rc=%ld", rc);
        return report(name, 1, detail);
    }
    snprintf(detail, sizeof detail, "errno=%d(%s)", errno, strerror(errno));
    return report(name, 0, detail);
}

/* Reads a file: escaped if it opens and reads. */
static int read_probe(const char *name, const char *path) {
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) return errno_result(name, -1);
    char buf[64];
    long n = read(fd, buf, sizeof buf);
    close(fd);
    return errno_result(name, n < 0 ? -1 : 0);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: probe NAME [ARG]\n"); return 2; }
    const char *name = argv[1], *arg = argc > 2 ? argv[2] : "";
    if (!strcmp(name, "proc1-root")) {           /* arg: a file that exists only on the host */
        char path[512];
        snprintf(path, sizeof path, "/proc/1/root%s", arg);
        return read_probe(name, path);
    }
    if (!strcmp(name, "host-file")) return read_probe(name, arg);   /* the same file directly */
    if (!strcmp(name, "chroot-escape")) {        /* the classic: chroot deeper, climb out */
        mkdir("/tmp/jail", 0700);
        if (chroot("/tmp/jail") != 0) return errno_result(name, -1);
        for (int i = 0; i < 64; i++) if (chdir("..") != 0) break;
        chroot(".");
        return read_probe(name, arg);
    }
    if (!strcmp(name, "mount-tmpfs")) {
        mkdir("/tmp/m", 0700);
        return errno_result(name, mount("none", "/tmp/m", "tmpfs", 0, NULL));
    }
    if (!strcmp(name, "mount-proc-remount")) return errno_result(name, mount(NULL, "/proc", NULL, MS_REMOUNT | MS_BIND, NULL));
    if (!strcmp(name, "unshare-user")) return errno_result(name, unshare(CLONE_NEWUSER));
    if (!strcmp(name, "unshare-mount")) return errno_result(name, unshare(CLONE_NEWNS));
    if (!strcmp(name, "sys-write")) {             /* write back the value already there */
        const char *path = "/sys/kernel/mm/ksm/run";
        char buf[16] = {0};
        int fd = open(path, O_RDONLY);
        if (fd < 0 || read(fd, buf, sizeof buf - 1) <= 0) { if (fd >= 0) close(fd); return report(name, 0, "unreadable"); }
        close(fd);
        fd = open(path, O_WRONLY);
        if (fd < 0) return errno_result(name, -1);
        long n = write(fd, buf, strlen(buf));
        close(fd);
        return errno_result(name, n < 0 ? -1 : 0);
    }
    if (!strcmp(name, "image-device")) return read_probe(name, arg);  /* a node shipped in the image */
    if (!strcmp(name, "mknod-device")) {           /* arg: MAJOR:MINOR of a host block device */
        unsigned major = 0, minor = 0;
        sscanf(arg, "%u:%u", &major, &minor);
        unlink("/tmp/blk");
        if (mknod("/tmp/blk", S_IFBLK | 0600, makedev(major, minor)) != 0) return errno_result(name, -1);
        return read_probe(name, "/tmp/blk");
    }
    if (!strcmp(name, "ptrace-host")) {            /* arg: a host pid */
        long rc = ptrace(PTRACE_ATTACH, atoi(arg), 0, 0);
        if (rc == 0) ptrace(PTRACE_DETACH, atoi(arg), 0, 0);
        return errno_result(name, rc);
    }
    if (!strcmp(name, "ptrace-pid1")) {
        long rc = ptrace(PTRACE_ATTACH, 1, 0, 0);
        if (rc == 0) ptrace(PTRACE_DETACH, 1, 0, 0);
        return errno_result(name, rc);
    }
    if (!strcmp(name, "keyctl")) return errno_result(name, syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 1));
    if (!strcmp(name, "add-key")) return errno_result(name, syscall(SYS_add_key, "user", "reprise-probe", "x", 1, -3));
    if (!strcmp(name, "bpf")) {
        union bpf_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.map_type = BPF_MAP_TYPE_ARRAY; attr.key_size = 4; attr.value_size = 4; attr.max_entries = 1;
        long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
        return errno_result(name, fd);
    }
    if (!strcmp(name, "perf-event")) {
        struct perf_event_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.size = sizeof attr; attr.type = PERF_TYPE_SOFTWARE; attr.config = PERF_COUNT_SW_CPU_CLOCK;
        return errno_result(name, syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
    }
    if (!strcmp(name, "finit-module")) {           /* EBADF means the call got past any filter */
        long rc = syscall(SYS_finit_module, -1, "", 0);
        if (rc < 0 && errno == EBADF) return report(name, 1, "reachable (EBADF)");
        return errno_result(name, rc);
    }
    if (!strcmp(name, "connect-host")) {           /* arg: IP:PORT of a host listener */
        char ip[64] = {0}; int port = 0;
        sscanf(arg, "%63[^:]:%d", ip, &port);
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0) return errno_result(name, -1);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
        inet_pton(AF_INET, ip, &sa.sin_addr);
        long rc = connect(s, (struct sockaddr *)&sa, sizeof sa);
        if (rc == 0) { char buf[64] = {0}; long n = read(s, buf, sizeof buf - 1); if (n > 0 && strstr(buf, "HOST-LISTENER")) { close(s); return report(name, 1, "reached the host listener"); } close(s); return report(name, 0, "connected to something that is not the host listener"); }
        close(s);
        return errno_result(name, -1);
    }
    if (!strcmp(name, "abstract-socket")) {       /* arg: abstract unix socket name on the host */
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct { unsigned short family; char path[108]; } sa = {AF_UNIX, {0}};
        strncpy(sa.path + 1, arg, sizeof sa.path - 2);
        long rc = connect(s, (struct sockaddr *)&sa, sizeof(unsigned short) + 1 + strlen(arg));
        close(s);
        return errno_result(name, rc);
    }
    if (!strcmp(name, "kmsg")) return read_probe(name, "/dev/kmsg");
    if (!strcmp(name, "kcore")) return read_probe(name, "/proc/kcore");
    if (!strcmp(name, "setns-host")) {            /* the host's net namespace through /proc */
        int fd = open("/proc/1/ns/net", O_RDONLY);
        if (fd < 0) return errno_result(name, -1);
        long rc = setns(fd, 0);  /* /proc/1 is the sandbox's own pid 1: joining it is no escape */
        close(fd);
        return report(name, 0, rc == 0 ? "joined only the sandbox's own namespace" : "refused");
    }
    fprintf(stderr, "probe: unknown probe %s\n", name);
    return 2;
}
