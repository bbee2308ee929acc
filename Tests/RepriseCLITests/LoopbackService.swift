#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport

/// A server a test starts on loopback (python's http.server, git daemon), killed when the test
/// drops it. Ports are picked at random from a high range; `start` retries on another one when
/// the server does not come up.
final class LoopbackService {
    let port: Int
    private let process: Process

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    deinit {
        // SIGKILL: the test runner may leave SIGTERM ignored in children, and a server would live on.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Starts `command(port)` and waits until `ready(port)` holds (up to 5 s a try).
    static func start(_ command: (Int) -> [String], ready: (Int) -> Bool) throws -> LoopbackService {
        for _ in 0..<3 {
            let port = Int.random(in: 20000...40000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = command(port)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let service = LoopbackService(port: port, process: process)
            for _ in 0..<50 {
                if ready(port) { return service }
                usleep(100_000)
            }
        }
        throw NSError(domain: "LoopbackService", code: 1,
                      userInfo: [NSLocalizedDescriptionKey: "\(command(0).first ?? "server") did not start on loopback"])
    }

    /// python3's http.server serving `directory`.
    static func http(serving directory: String) throws -> LoopbackService {
        try start({ ["python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", directory, "\($0)"] },
                  ready: { port in
                      (try? Tool.run(["python3", "-c", "import urllib.request;urllib.request.urlopen('http://127.0.0.1:\(port)/')"]))?
                          .succeeded ?? false
                  })
    }

    /// git daemon exporting every repository below `base` as `git://127.0.0.1:PORT/NAME`.
    static func git(serving base: String) throws -> LoopbackService {
        // git-daemon itself, not `git daemon`: git would fork it, and killing git would leave the
        // daemon running and git unreaped.
        let execPath = try Tool.check(["git", "--exec-path"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return try start({ [execPath + "/git-daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", "--port=\($0)",
                            "--base-path=\(base)", base] },
                  ready: { port in
                      (try? Tool.run(["git", "ls-remote", "git://127.0.0.1:\(port)/probe"]))?.stderr.contains("Connection refused") == false
                  })
    }
}
