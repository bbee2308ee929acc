import Foundation

/// The few git commands a commit bisect needs, run with the `git` on PATH.
struct GitRepository: Sendable {
    let path: String

    /// A fixed mtime for every file of a checked-out revision (2000-01-01), so a revision's
    /// context depends only on its content, not on when it was committed or extracted.
    static let fixedMTime = 946_684_800

    /// A path as git prints it: relative, no `./`.
    static func cleaned(_ path: String) -> String {
        var text = Substring(path)
        while text.hasPrefix("./") { text = text.dropFirst(2) }
        while text.hasPrefix("/") { text = text.dropFirst() }
        return String(text)
    }

    func run(_ arguments: [String]) throws -> String {
        try Self.shell("git", ["-C", path] + arguments)
    }

    func commit(_ revision: String) throws -> String {
        try run(["rev-parse", "--verify", "--quiet", revision + "^{commit}"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The first-parent commits after `good` up to and including `bad`, oldest first.
    func firstParentRange(good: String, bad: String) throws -> [String] {
        try run(["rev-list", "--first-parent", "--reverse", "\(good)..\(bad)"])
            .split(separator: "\n").map(String.init)
    }

    /// The paths each first-parent commit after `good` up to `bad` changes (against its first
    /// parent), by commit.
    func changedPaths(good: String, bad: String) throws -> [String: [String]] {
        var paths: [String: [String]] = [:]
        var current: String?
        for line in try run(["-c", "core.quotePath=false", "log", "--first-parent", "-m", "--name-only", "--no-renames", "--format=@@%H", "\(good)..\(bad)"])
            .split(separator: "\n") {
            if line.hasPrefix("@@") {
                current = String(line.dropFirst(2))
                paths[current!, default: []] = []
            } else if let current, !line.isEmpty {
                paths[current, default: []].append(String(line))
            }
        }
        return paths
    }

    /// A file's bytes at a revision; nil when the revision has no such file.
    func file(_ path: String, at commit: String) -> Data? {
        (try? run(["show", "\(commit):\(path)"])).map { Data($0.utf8) }
    }

    func subject(_ commit: String) -> String? {
        (try? run(["log", "-1", "--format=%s", commit]))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes the revision's tree (as `git archive` gives it) into `directory`.
    func extract(_ commit: String, into directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try Self.shell("/bin/sh", ["-c", "git -C \"$1\" archive --format=tar \"$2\" | tar -x -C \"$3\" && find \"$3\" -exec touch -h -d @\(Self.fixedMTime) {} +",
                                       "sh", path, commit, directory])
    }

    static func shell(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes before waiting, so a full pipe cannot block the child.
        let errorData = LockedData()
        let reader = Thread { errorData.set(errors.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errorData.value, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw BisectError.git("\(([executable] + arguments).joined(separator: " ")) failed (\(process.terminationStatus)): \(message)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
