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

    /// The ports the recorder listens on inside the namespace (loopback).
    public static let proxyPort = 3128
    public static let transparentPort = 3129
    public static let dnsPort = 53
    /// The range the DNS responder answers from (RFC 2544's benchmarking block): every
    /// connection to it is redirected to the transparent listener.
    public static let syntheticNetwork = "198.18.0.0/15"

    public struct SetupError: Error, CustomStringConvertible {
        public var command: [String]
        public var output: String
        public var description: String {
            "setting up the step's network namespace: `\(command.joined(separator: " "))` failed: \(output)"
        }
    }

    public init() throws {
        var bytes = [UInt8](repeating: 0, count: 6)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        name = "reprise-" + bytes.map { String(format: "%02x", $0) }.joined()
        path = "/run/netns/" + name
        try Self.run(["ip", "netns", "add", name])
        do {
            // Two processes, not one per command: every step on the default network pays for
            // this, so `ip -batch` and `iptables-restore` run inside the namespace directly.
            try inside {
                try Self.run(["ip", "-batch", "-"], input: Self.linkScript)
                try Self.run(["iptables-restore", "-w", "5"], input: Self.filterRules)
                // No IPv6 at all: nothing inside may go around the filter over it.
                try? "1\n".write(toFile: "/proc/sys/net/ipv6/conf/all/disable_ipv6", atomically: false, encoding: .utf8)
            }
        } catch {
            remove()
            throw error
        }
    }

    /// Loopback up; a veth pair (both ends inside) carrying the default route.
    private static let linkScript = """
        link set lo up
        link add rp0 type veth peer name rp1
        address add 198.18.255.254/15 dev rp0
        link set rp0 up
        link set rp1 up
        route add default dev rp0

        """

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

    /// Runs `body` on a thread of its own that has joined the namespace, so that the sockets it
    /// makes belong to the namespace (a socket keeps the namespace it was made in). setns(2)
    /// moves only the calling thread, which leaves the namespace before it ends.
    public func inside<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let box = ResultBox<T>()
        let path = self.path
        let thread = Thread {
            box.result = Result {
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
            box.done.signal()
        }
        thread.start()
        box.done.wait()
        return try box.result!.get()
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
        // What `ip netns delete` does, without a process: detach the bind that keeps the
        // namespace alive, then remove its file.
        if umount2(path, Int32(MNT_DETACH)) != 0 || unlink(path) != 0 {
            _ = try? Self.run(["ip", "netns", "delete", name])
        }
    }

    deinit { remove() }

    /// Runs a tool (from the calling thread, so in its namespace) with `input` on its stdin.
    @discardableResult
    static func run(_ arguments: [String], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = (environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        try process.run()
        if let stdin, let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SetupError(command: arguments, output: output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return output
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
