#if canImport(Glibc)
import Glibc
#endif
import CNetworkNamespace
import Foundation

/// The network namespace a recorded RUN step runs in, made before the step so that the
/// recorder's listening sockets can live inside it: the step sees only loopback, where the
/// recorder's proxy, transparent listener and DNS responder wait, and a default route into a
/// veth pair whose both ends stay inside, so that a connection to any outside address gets as
/// far as the namespace's own packet filter, which redirects it to the transparent listener.
/// Nothing in the namespace reaches the host or the outside; only the recorder, which runs in
/// the host's namespace, does.
public final class StepNamespace: @unchecked Sendable {
    /// `/run/netns/NAME`: what the sandbox joins with setns(2).
    public let path: String
    public let name: String
    private var removed = false
    /// The recorder's listening sockets, made with the namespace when asked (see ``takeRecorderSockets()``).
    private var recorderSockets: RecorderSockets?

    /// The ports the recorder listens on inside the namespace (loopback).
    public static let proxyPort = 3128
    public static let transparentPort = 3129
    public static let dnsPort = 53
    /// The range the DNS responder answers from (RFC 2544's benchmarking block): every
    /// connection to it is redirected to the transparent listener.
    public static let syntheticNetwork = "198.18.0.0/15"

    /// Where named network namespaces live (iproute2's place: `ip netns list` shows them).
    public static let directory = "/run/netns"
    /// Every namespace Reprise makes is named `reprise-PID-RANDOM`, PID being the process that
    /// made it: what ``reclaimAbandoned()`` goes by.
    static let namePrefix = "reprise-"

    public struct SetupError: Error, CustomStringConvertible {
        public var command: [String]
        public var output: String
        public var description: String {
            "setting up the step's network namespace: `\(command.joined(separator: " "))` failed: \(output)"
        }
    }

    /// The recorder's three sockets, bound inside the namespace (close-on-exec, non-blocking).
    public struct RecorderSockets: Sendable {
        public var proxy: Int32
        public var transparent: Int32
        public var dns: Int32
        func close() { for fd in [proxy, transparent, dns] { _ = Glibc.close(fd) } }
    }

    /// Makes the namespace, in this process (no `ip`): a thread of its own unshares its network
    /// namespace, pins it at ``path``, sets up the links over rtnetlink, and runs
    /// `iptables-restore` inside; with `bindingRecorderSockets`, that thread also binds the
    /// recorder's sockets (``takeRecorderSockets()``). Blocks the caller until done: call it from a
    /// thread that may block, never from Swift's cooperative pool.
    public init(bindingRecorderSockets: Bool = false) throws {
        var bytes = [UInt8](repeating: 0, count: 6)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        name = Self.namePrefix + "\(getpid())-" + bytes.map { String(format: "%02x", $0) }.joined()
        path = Self.directory + "/" + name
        let (name, path) = (self.name, self.path)
        let sockets = try Self.onThreadOfItsOwn { () throws -> RecorderSockets? in
            let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            guard original >= 0 else { throw SystemError("open /proc/thread-self/ns/net") }
            defer {
                // Back to the process's namespace before the thread ends (it does anyway).
                _ = cnetns_enter(original)
                close(original)
            }
            let created = cnetns_create(Self.directory, path)
            guard created == 0 else {
                throw SetupError(command: ["ip", "netns", "add", name], output: Self.createStep(created) + ": " + String(cString: strerror(errno)))
            }
            do {
                let linked = cnetns_configure_links("rp0", "rp1", UInt32(0xc612_fffe).bigEndian, 15)
                guard linked == 0 else {
                    throw SetupError(command: ["ip", "-batch", "-"], output: Self.linkStep(linked) + ": " + String(cString: strerror(errno)))
                }
                try SetupTool.iptablesRestore.run(["-w", "5"], input: Self.filterRules)
                // No IPv6 at all: nothing inside may go around the filter over it.
                let ipv6 = open("/proc/sys/net/ipv6/conf/all/disable_ipv6", O_WRONLY | O_CLOEXEC)
                if ipv6 >= 0 {
                    _ = write(ipv6, "1\n", 2)
                    close(ipv6)
                }
                guard bindingRecorderSockets else { return nil }
                let proxy = try Self.makeSocket(type: SOCK_STREAM, port: Self.proxyPort)
                let transparent: Int32
                do { transparent = try Self.makeSocket(type: SOCK_STREAM, port: Self.transparentPort) } catch {
                    close(proxy)
                    throw error
                }
                let dns: Int32
                do { dns = try Self.makeSocket(type: SOCK_DGRAM, port: Self.dnsPort) } catch {
                    close(proxy)
                    close(transparent)
                    throw error
                }
                return RecorderSockets(proxy: proxy, transparent: transparent, dns: dns)
            } catch {
                Self.unpin(path)
                throw error
            }
        }
        recorderSockets = sockets
    }

    /// The recorder's sockets made with the namespace (once; nil if not asked for or taken).
    public func takeRecorderSockets() -> RecorderSockets? {
        defer { recorderSockets = nil }
        return recorderSockets
    }

    /// What each step of ``cnetns_create`` was, for the error message.
    private static func createStep(_ step: Int32) -> String {
        switch Int(step) {
        case Int(CNETNS_CREATE_DIRECTORY): return "mkdir \(directory)"
        case Int(CNETNS_CREATE_SHARE): return "making \(directory) a shared mount"
        case Int(CNETNS_CREATE_FILE): return "creating its file in \(directory)"
        case Int(CNETNS_CREATE_UNSHARE): return "unshare(CLONE_NEWNET)"
        default: return "bind-mounting the namespace onto its file"
        }
    }

    /// What each step of ``cnetns_configure_links`` stands for in `ip`'s words.
    private static func linkStep(_ step: Int32) -> String {
        switch Int(step) {
        case Int(CNETNS_LINK_SOCKET): return "opening an rtnetlink socket"
        case Int(CNETNS_LINK_LOOPBACK): return "link set lo up"
        case Int(CNETNS_LINK_VETH): return "link add rp0 type veth peer name rp1"
        case Int(CNETNS_LINK_ADDRESS): return "address add 198.18.255.254/15 dev rp0"
        case Int(CNETNS_LINK_UP): return "link set rp0 up; link set rp1 up"
        default: return "route add default dev rp0"
        }
    }

    /// TCP to anything but loopback goes to the transparent listener; UDP to anything but
    /// loopback is rejected, so a tool with its own resolver fails at once instead of waiting.
    private static let filterRules = """
        *nat
        -A OUTPUT -p tcp -d 127.0.0.0/8 -j RETURN
        -A OUTPUT -p tcp -j REDIRECT --to-ports \(transparentPort)
        COMMIT
        *filter
        -A OUTPUT -p udp ! -d 127.0.0.0/8 -j REJECT
        COMMIT

        """

    /// Runs `body` on a new thread and waits for it: setns(2) and unshare(2) move only the
    /// calling thread, and a pooled thread must never be left in another namespace.
    static func onThreadOfItsOwn<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let box = ResultBox<T>()
        let thread = Thread {
            box.result = Result { try body() }
            box.done.signal()
        }
        thread.start()
        box.done.wait()
        return try box.result!.get()
    }

    /// Runs `body` on a thread of its own that has joined the namespace, so that the sockets it
    /// makes belong to the namespace (a socket keeps the namespace it was made in). setns(2)
    /// moves only the calling thread, which leaves the namespace before it ends.
    public func inside<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let path = self.path
        return try Self.onThreadOfItsOwn {
            let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            guard original >= 0 else { throw SystemError("open /proc/thread-self/ns/net") }
            defer { close(original) }
            let target = open(path, O_RDONLY | O_CLOEXEC)
            guard target >= 0 else { throw SystemError("open \(path)") }
            defer { close(target) }
            guard cnetns_enter(target) == 0 else { throw SystemError("setns \(path)") }
            defer { _ = cnetns_enter(original) }
            return try body()
        }
    }

    /// A listening TCP socket on 127.0.0.1:`port` inside the namespace.
    public func listeningSocket(port: Int) throws -> Int32 {
        try inside { try Self.makeSocket(type: SOCK_STREAM, port: port) }
    }

    /// A bound UDP socket on 127.0.0.1:`port` inside the namespace.
    public func datagramSocket(port: Int) throws -> Int32 {
        try inside { try Self.makeSocket(type: SOCK_DGRAM, port: port) }
    }

    private static func makeSocket(type: __socket_type, port: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { throw SystemError("socket") }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let error = SystemError("bind 127.0.0.1:\(port)")
            close(descriptor)
            throw error
        }
        if type == SOCK_STREAM, listen(descriptor, 128) != 0 {
            let error = SystemError("listen 127.0.0.1:\(port)")
            close(descriptor)
            throw error
        }
        return descriptor
    }

    /// Deletes the namespace (its sockets close with the recorder; the kernel frees the rest).
    public func remove() {
        guard !removed else { return }
        removed = true
        recorderSockets?.close()
        recorderSockets = nil
        Self.unpin(path)
    }

    deinit { remove() }

    /// What `ip netns delete` does, without a process: detach the bind that keeps the namespace
    /// alive, then remove its file.
    static func unpin(_ path: String) {
        _ = umount2(path, Int32(MNT_DETACH))
        _ = unlink(path)
    }

    /// Deletes the namespaces that processes which no longer run left behind (a build killed
    /// with SIGKILL cannot remove its own): every `reprise-PID-…` in ``directory`` whose PID is
    /// not a live process. Returns their names. Cheap (one directory listing); called before a
    /// namespace is made, so only by builds that run a RUN on the recording network.
    @discardableResult
    public static func reclaimAbandoned() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var reclaimed: [String] = []
        for name in names where name.hasPrefix(namePrefix) {
            let fields = name.dropFirst(namePrefix.count).split(separator: "-")
            guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0 else { continue }
            // ESRCH: no such process. (EPERM means it lives, as another user's.)
            guard kill(pid, 0) != 0, errno == ESRCH else { continue }
            unpin(directory + "/" + name)
            reclaimed.append(name)
        }
        return reclaimed
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
    let done = DispatchSemaphore(value: 0)
}

/// A failed system call and its errno, read at once.
struct SystemError: Error, CustomStringConvertible {
    var call: String
    var code: Int32
    init(_ call: String) {
        self.call = call
        code = errno
    }
    var description: String { "\(call): \(String(cString: strerror(code)))" }
}
