#if canImport(Glibc)
import Glibc
#endif
import CLibArchive
import ContentStore
import Foundation
@testable import LayerArchive

/// A scratch directory removed when the test ends.
final class Scratch {
    let path: String

    init() throws {
        var template = Array("/tmp/reprise-archive-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SystemCallError("mkdtemp") }
        path = String(cString: made)
    }

    deinit { _ = try? Shell.run("/bin/rm", ["-rf", path]) }

    func sub(_ name: String) throws -> String {
        let result = path + "/" + name
        try FileIO.makeDirectories(result)
        return result
    }

    func store() throws -> BlobStore { try BlobStore(root: path + "/store") }
}

enum Shell {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs a program, returns its stdout; throws with stderr when it fails.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], input: Data? = nil,
                    environment: [String: String]? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(input)
            try inPipe.fileHandleForWriting.close()
        }
        // Drain stderr on another thread, so a chatty child cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let errorHandle = err.fileHandleForReading
        DispatchQueue.global().async {
            box.data = errorHandle.readDataToEndOfFile()
            done.signal()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        let errorOutput = box.data
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(program) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: errorOutput, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Runs a Python snippet (used to build hostile tars that our own writer would never make).
    @discardableResult
    static func python(_ script: String, _ arguments: [String] = []) throws -> String {
        try run("/usr/bin/env", ["python3", "-c", script] + arguments)
    }
}

/// Small file-making helpers for tests; all paths absolute.
enum Make {
    static func file(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
        try write(path, Data(text.utf8), mode: mode)
    }

    static func write(_ path: String, _ data: Data, mode: mode_t = 0o644) throws {
        try FileIO.makeDirectories((path as NSString).deletingLastPathComponent)
        let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        defer { close(fd) }
        try data.withUnsafeBytes { try FileIO.writeAll(fd, $0, path: path) }
        fchmod(fd, mode)
    }

    static func directory(_ path: String, mode: mode_t = 0o755) throws {
        try FileIO.makeDirectories(path)
        chmod(path, mode)
    }

    static func symlink(_ path: String, to target: String) throws {
        guard Glibc.symlink(target, path) == 0 else { throw SystemCallError("symlink", path: path) }
    }

    static func hardlink(_ path: String, to existing: String) throws {
        guard link(existing, path) == 0 else { throw SystemCallError("link", path: path) }
    }

    static func xattr(_ path: String, _ name: String, _ value: String) throws {
        let bytes = Array(value.utf8)
        guard lsetxattr(path, name, bytes, bytes.count, 0) == 0 else {
            throw SystemCallError("setxattr", path: path)
        }
    }

    static func mtime(_ path: String, seconds: Int, nanoseconds: Int = 0) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds),
                     timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
        guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw SystemCallError("utimensat", path: path)
        }
    }

    /// Gives every entry under `root` (and root itself) the same mtime.
    static func mtimes(under root: String, seconds: Int) throws {
        for relative in try Shell.run("/usr/bin/find", [root, "-mindepth", "1", "-printf", "%P\\n"])
            .split(separator: "\n") {
            try mtime(root + "/" + relative, seconds: seconds)
        }
        try mtime(root, seconds: seconds)
    }

    static func read(_ path: String) throws -> String {
        String(decoding: try FileIO.readFile(path), as: UTF8.self)
    }
}

extension BlobStore {
    /// Writes a blob to a plain file so outside tools (`tar`) can read it.
    func export(_ digest: Digest, to path: String) throws {
        try FileIO.readFile(self.path(for: digest)).write(to: URL(fileURLWithPath: path))
    }
}
