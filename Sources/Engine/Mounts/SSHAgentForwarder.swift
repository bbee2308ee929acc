#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// The agent socket one `RUN --mount=type=ssh` shows the step: a fresh Unix socket of its own
/// (with the mount's `mode`, `uid` and `gid`) that relays every connection to the user's agent,
/// as BuildKit does. Binding the user's socket itself into the sandbox would make the step's
/// options change the permissions of the user's socket.
///
/// When `--ssh ID=KEY[,KEY…]` names key files rather than a socket, a private `ssh-agent` holding
/// just those keys is started for the step and relayed the same way.
final class SSHAgentForwarder: @unchecked Sendable {
    /// The socket to bind into the sandbox.
    let socketPath: String
    private let directory: String
    private let listener: Int32
    private let upstream: String
    private let wakePipe: (read: Int32, write: Int32)
    private let running = DispatchGroup()
    private var privateAgent: Process?
    private var stopped = false

    init(source: SSHSource, mode: UInt32, uid: UInt32, gid: UInt32) throws {
        // Socket paths are limited to 107 bytes: a short private directory, not the scratch dir.
        var template = Array("/tmp/reprise-ssh-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SystemCallError("mkdtemp", path: "/tmp/reprise-ssh-XXXXXX")
        }
        let directory = String(cString: made)
        let socketPath = directory + "/forwarded.sock"
        var agent: Process?
        let upstream: String
        let listener: Int32
        var fds: [Int32] = [0, 0]
        do {
            switch try source.upstream() {
            case .socket(let path):
                upstream = path
            case .keys(let keys):
                upstream = directory + "/agent.sock"
                agent = try Self.startAgent(at: upstream, keys: keys, id: source.id)
            }
            listener = try Self.listeningSocket(at: socketPath)
            guard chmod(socketPath, mode_t(mode)) == 0, chown(socketPath, uid, gid) == 0 else {
                let failure = SystemCallError("chmod/chown", path: socketPath)
                close(listener)
                throw failure
            }
            guard pipe(&fds) == 0 else {
                let failure = SystemCallError("pipe")
                close(listener)
                throw failure
            }
        } catch {
            if let agent { Self.kill(agent) }
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        self.directory = directory
        self.socketPath = socketPath
        self.upstream = upstream
        self.listener = listener
        self.privateAgent = agent
        wakePipe = (fds[0], fds[1])
        running.enter()
        Thread.detachNewThread { [self] in
            acceptConnections()
            running.leave()
        }
    }

    /// Stops accepting, ends every relayed connection and removes the socket.
    func stop() {
        guard !stopped else { return }
        stopped = true
        var byte: UInt8 = 1
        _ = write(wakePipe.write, &byte, 1)
        running.wait()
        close(listener)
        close(wakePipe.read)
        close(wakePipe.write)
        if let privateAgent { Self.kill(privateAgent) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    private func acceptConnections() {
        while true {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { return }
            if fds[1].revents != 0 { return }
            guard fds[0].revents != 0 else { continue }
            // accept4 is not exported to Swift; the sandbox closes inherited fds anyway.
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            guard let agent = try? Self.connectedSocket(to: upstream) else {
                close(client)
                continue
            }
            running.enter()
            Thread.detachNewThread { [self] in
                relay(client, agent)
                running.leave()
            }
        }
    }

    /// Copies bytes both ways until either side closes or the forwarder stops.
    private func relay(_ first: Int32, _ second: Int32) {
        defer { close(first); close(second) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            var fds = [pollfd(fd: first, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: second, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 3, -1) >= 0 || errno == EINTR else { return }
            if fds[2].revents != 0 { return }
            for (from, to) in [(0, second), (1, first)] where fds[from].revents != 0 {
                let count = read(fds[from].fd, buffer, 65536)
                guard count > 0 else { return }
                var offset = 0
                while offset < count {
                    let written = write(to, buffer + offset, count - offset)
                    guard written > 0 else { return }
                    offset += written
                }
            }
        }
    }

    private static func address(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw RequestError.sshUnavailable(id: path, reason: "socket path is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    private static func listeningSocket(at path: String) throws -> Int32 {
        var address = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("socket", path: path) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let failure = SystemCallError("bind", path: path)
            close(fd)
            throw failure
        }
        return fd
    }

    static func connectedSocket(to path: String) throws -> Int32 {
        var address = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("socket", path: path) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let failure = SystemCallError("connect", path: path)
            close(fd)
            throw failure
        }
        return fd
    }

    /// Children inherit the engine's blocked signal mask (the dispatch threads block nearly every
    /// signal), so the agent would ignore SIGTERM: it is killed outright.
    private static func kill(_ process: Process) {
        guard process.isRunning else { return }
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// `ssh-agent -D -a SOCKET`, then `ssh-add KEY…` into it.
    private static func startAgent(at socket: String, keys: [String], id: String) throws -> Process {
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        agent.arguments = ["ssh-agent", "-D", "-a", socket]
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle.nullDevice
        do { try agent.run() } catch {
            throw RequestError.sshUnavailable(id: id, reason: "cannot start ssh-agent for the key files: \(error)")
        }
        var waited = 0
        while !FileIO.exists(socket) && waited < 500 && agent.isRunning {
            usleep(10_000)
            waited += 1
        }
        let add = Process()
        add.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        add.arguments = ["SSH_AUTH_SOCK=" + socket, "ssh-add", "-q"] + keys
        add.standardInput = FileHandle.nullDevice
        add.standardOutput = FileHandle.nullDevice
        add.standardError = FileHandle.nullDevice
        try add.run()
        add.waitUntilExit()
        guard add.terminationStatus == 0 else {
            kill(agent)
            throw RequestError.sshUnavailable(id: id, reason: "ssh-add could not load \(keys.joined(separator: ", "))")
        }
        return agent
    }
}
