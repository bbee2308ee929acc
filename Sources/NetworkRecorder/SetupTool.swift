#if canImport(Glibc)
import Glibc
#endif
import CNetworkNamespace
import Foundation

/// A system tool the step's namespace is set up with (`iptables-restore`), found once by absolute
/// path (PATH, then the sbin directories) and started with posix_spawn(2) from the calling
/// thread, so in that thread's network namespace: no `/usr/bin/env`, no PATH search per run, no
/// Foundation `Process` (each was an exec or a few milliseconds on the path of every recorded RUN).
struct SetupTool: Sendable {
    let name: String
    /// The absolute path, nil when the tool is nowhere to be found.
    let path: String?

    init(_ name: String) {
        self.name = name
        path = Self.locate(name)
    }

    static let iptablesRestore = SetupTool("iptables-restore")

    /// `name` in PATH, then in /usr/sbin, /sbin, /usr/bin, /bin (root's usual PATH may lack sbin).
    static func locate(_ name: String) -> String? {
        let searched = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return searched.lazy.filter { $0.hasPrefix("/") }.map { $0 + "/" + name }.first { access($0, X_OK) == 0 }
    }

    /// Runs the tool with `arguments`, `input` on its stdin, and returns what it printed (stdout
    /// and stderr together); an exit other than 0 is a ``StepNamespace/SetupError`` naming the
    /// command and carrying that output.
    @discardableResult
    func run(_ arguments: [String], input: String = "") throws -> String {
        let command = [name] + arguments
        guard let path else {
            throw StepNamespace.SetupError(command: command, output: "not found in PATH, /usr/sbin, /sbin, /usr/bin or /bin")
        }
        var inputPipe: [Int32] = [-1, -1]
        var outputPipe: [Int32] = [-1, -1]
        guard cnetns_pipe(&inputPipe, 1 << 16) == 0 else { throw StepNamespace.SetupError(command: command, output: "\(SystemError("pipe"))") }
        defer { for fd in inputPipe where fd >= 0 { close(fd) } }
        guard cnetns_pipe(&outputPipe, 1 << 16) == 0 else { throw StepNamespace.SetupError(command: command, output: "\(SystemError("pipe"))") }
        defer { for fd in outputPipe where fd >= 0 { close(fd) } }
        // The input is small (well under a pipe's 64 KiB): written whole before the tool starts,
        // so no write can meet a reader that already went away (and no SIGPIPE).
        let bytes = Array(input.utf8)
        guard bytes.count < 60_000, bytes.withUnsafeBytes({ write(inputPipe[1], $0.baseAddress, $0.count) }) == bytes.count else {
            throw StepNamespace.SetupError(command: command, output: "could not hand it its input")
        }
        close(inputPipe[1])
        inputPipe[1] = -1

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw StepNamespace.SetupError(command: command, output: "posix_spawn \(path): \(String(cString: strerror(spawned)))")
        }
        close(outputPipe[1])
        outputPipe[1] = -1
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(outputPipe[0], $0.baseAddress, $0.count) }
            if count > 0 { output += buffer[..<count]; continue }
            if count < 0, errno == EINTR { continue }
            break
        }
        var status: Int32 = 0
        var waited: pid_t
        repeat { waited = waitpid(pid, &status, 0) } while waited < 0 && errno == EINTR
        let text = String(decoding: output, as: UTF8.self)
        // No status (ECHILD: the child was reaped elsewhere) is not a success.
        guard waited == pid else {
            throw StepNamespace.SetupError(command: command, output: "waitpid: \(String(cString: strerror(errno)))")
        }
        // WIFEXITED && WEXITSTATUS == 0, without the C macros.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let how = status & 0x7f == 0 ? "exit status \((status >> 8) & 0xff)" : "signal \(status & 0x7f)"
            throw StepNamespace.SetupError(command: command, output: "\(how): " + text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return text
    }
}
