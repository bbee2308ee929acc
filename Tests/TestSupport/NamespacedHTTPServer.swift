import Foundation

/// An HTTP (or HTTPS) server on a host of its own: a network namespace made for the test, joined
/// to this machine's by a veth pair on a /30 of 10.0.0.0/8, with Python's http.server serving a
/// directory. It is not on loopback nor on any address of this machine, so Reprise's recorder
/// reaches it as it would reach any server outside. ``stop()`` (or deinit) kills the server and
/// deletes the namespace, which deletes the veth pair too.
public final class NamespacedHTTPServer: @unchecked Sendable {
    public let namespace: String
    public let address: String
    public let port: Int
    public let directory: String
    public let scheme: String
    private let process: Process
    private var stopped = false

    /// `certificate` and `key` (PEM files) make it serve HTTPS.
    /// `address` reuses one a stopped server had (its /30 is free again).
    /// `cutAfter` makes every response send its full Content-Length but only that many bytes of
    /// the body, then close the connection: an origin that dies mid-body.
    public init(serving directory: String, port: Int = 8080, certificate: String? = nil, key: String? = nil,
                address chosen: String? = nil, cutAfter: Int? = nil) throws {
        let suffix = String(UInt32.random(in: 0...0xffffff), radix: 16)
        namespace = "rp-origin-" + suffix
        var network = Int.random(in: 0..<16384) * 4
        var second = 200 + network / 65536 % 50
        if let chosen {
            let parts = chosen.split(separator: ".").compactMap { Int($0) }
            second = parts[1]
            network = parts[2] * 256 + parts[3] - 2
        }
        let prefix = "10.\(second).\(network / 256 % 256)."
        let hostSide = prefix + String(network % 256 + 1)
        address = prefix + String(network % 256 + 2)
        self.port = port
        self.directory = directory
        scheme = certificate == nil ? "http" : "https"
        print("NamespacedHTTPServer: \(scheme)://\(address):\(port) in namespace \(namespace)")
        let hostLink = "rpo" + suffix
        try Tool.check(["ip", "netns", "add", namespace])
        do {
            try Tool.check(["ip", "link", "add", hostLink, "type", "veth", "peer", "name", "eth0", "netns", namespace])
            try Tool.check(["ip", "addr", "add", hostSide + "/30", "dev", hostLink])
            try Tool.check(["ip", "link", "set", hostLink, "up"])
            try Tool.check(["ip", "netns", "exec", namespace, "sh", "-c",
                            "ip link set lo up && ip addr add \(address)/30 dev eth0 && ip link set eth0 up"])
        } catch {
            _ = try? Tool.run(["ip", "netns", "delete", namespace])
            throw error
        }
        let script = """
            import http.server, shutil, socket, ssl, sys, functools
            address, port, directory, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
            cut = int(sys.argv[6])
            class Handler(http.server.SimpleHTTPRequestHandler):
                def copyfile(self, source, outputfile):
                    if cut < 0:
                        return shutil.copyfileobj(source, outputfile)
                    outputfile.write(source.read(cut))
                    outputfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
            handler = functools.partial(Handler, directory=directory)
            handler.func.protocol_version = "HTTP/1.1"
            server = http.server.ThreadingHTTPServer((address, port), handler)
            if cert:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(cert, key)
                server.socket = context.wrap_socket(server.socket, server_side=True)
            server.serve_forever()
            """
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ip", "netns", "exec", namespace, "python3", "-c", script, address, String(port),
                             directory, certificate ?? "", key ?? "", String(cutAfter ?? -1)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
            try waitUntilListening()
        } catch {
            stop()
            throw error
        }
    }

    public var baseURL: String { "\(scheme)://\(address):\(port)" }

    private func waitUntilListening() throws {
        for _ in 0..<100 {
            let probe = try Tool.run(["python3", "-c",
                                      "import socket; socket.create_connection(('\(address)', \(port)), 1).close()"])
            if probe.succeeded { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ServerFailure(description: "the test server at \(address):\(port) never listened")
    }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            // SIGKILL: the child may have inherited a signal mask that blocks SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        // Anything still running in the namespace (a server's children) goes with it.
        if let pids = try? Tool.run(["ip", "netns", "pids", namespace]).stdout {
            for line in pids.split(separator: "\n") {
                if let pid = Int32(line.trimmingCharacters(in: .whitespaces)), pid > 1 { kill(pid, SIGKILL) }
            }
        }
        _ = try? Tool.run(["ip", "netns", "delete", namespace])
    }

    deinit { stop() }
}

public struct ServerFailure: Error, CustomStringConvertible {
    public var description: String
}
