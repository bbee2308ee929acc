import Foundation

/// Fetches one commit of a `GitURL` and checks it out, for a git build context and for `ADD`.
///
/// A shallow fetch of the ref; servers that refuse a shallow fetch of a commit id still serve the
/// whole history. A repository is attacker-controlled, so the subdirectory is resolved on disk
/// (`CheckoutSubdirectory`) and never leaves the checkout, and under `.isolated` git reads no
/// configuration but its own and speaks only network transports.
public struct GitCheckout {
    /// Which git configuration the fetch sees.
    public enum Configuration: Sendable {
        /// None of the user's or the system's, no prompts, only git/http(s)/ssh: for a source a
        /// Dockerfile names.
        case isolated
        /// The user's (credentials, ssh, `file://`), still without prompts: for a context the user
        /// typed on the command line.
        case user
    }

    /// What was checked out.
    public struct Result: Sendable {
        /// The checkout, or its subdirectory when the URL names one.
        public var directory: String
        /// The full commit id.
        public var commit: String
        /// The commit's time, in seconds since the epoch (`%ct`).
        public var commitTime: Int64
    }

    public enum Failure: Error, CustomStringConvertible {
        case badReference(String)
        case git(String)
        case checksum(expected: String, actual: String)
        case noSubdirectory(String, commit: String)
        case subdirectoryEscapes(String)

        public var description: String {
            switch self {
            case .badReference(let ref): return "'\(ref)' is not a usable git ref"
            case .git(let output): return "git failed: \(output)"
            case .checksum(let expected, let actual): return "the ref resolved to commit \(actual), not the --checksum \(expected)"
            case .noSubdirectory(let path, let commit): return "commit \(commit) has no directory '\(path)'"
            case .subdirectoryEscapes(let path): return "'\(path)' leads outside the repository (through a symlink or ..)"
            }
        }
    }

    public let url: GitURL
    public let configuration: Configuration

    public init(_ url: GitURL, configuration: Configuration) {
        self.url = url
        self.configuration = configuration
    }

    /// Fetches and checks out into `directory` (created; its parent must exist), without `.git`
    /// unless `keepGitDirectory`. With `checksum`, the commit must be it (or start with it).
    public func fetch(into directory: String, keepGitDirectory: Bool = false, checksum: String? = nil) throws(Failure) -> Result {
        let ref = url.ref ?? "HEAD"
        guard !ref.hasPrefix("-"), !ref.contains(".."), ref.allSatisfy({ !$0.isWhitespace && !$0.isNewline }) else {
            throw .badReference(ref)
        }
        // An empty HOME of our own: never the checkout, whose files the repository chooses.
        let home = directory + ".home"
        try? FileManager.default.removeItem(atPath: directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false)
        } catch {
            throw .git("cannot create \(directory): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: home) }
        try git(["init", "-q", directory], home: home)
        let isCommitID = ref.count >= 7 && ref.allSatisfy(\.isHexDigit)
        do {
            try git(["-C", directory, "fetch", "-q", "--depth=1", "--no-tags", "--", url.remote, ref], home: home)
        } catch {
            guard isCommitID else { throw error }
            try git(["-C", directory, "fetch", "-q", "--no-tags", "--", url.remote], home: home)
        }
        try git(["-C", directory, "-c", "advice.detachedHead=false", "checkout", "-q", isCommitID ? ref : "FETCH_HEAD"], home: home)
        let commit = try git(["-C", directory, "rev-parse", "HEAD"], home: home)
        if let checksum, checksum != commit, !commit.hasPrefix(checksum) {
            throw .checksum(expected: checksum, actual: commit)
        }
        let commitTime = Int64(try git(["-C", directory, "show", "-s", "--format=%ct", "HEAD"], home: home)) ?? 0
        if !keepGitDirectory {
            do { try FileManager.default.removeItem(atPath: directory + "/.git") } catch {
                throw .git("cannot remove \(directory)/.git: \(error)")
            }
        }
        var root = directory
        if let subdirectory = url.subdirectory {
            do {
                root = try CheckoutSubdirectory.resolve(subdirectory, in: directory)
            } catch .missing {
                throw .noSubdirectory(subdirectory, commit: commit)
            } catch {
                throw .subdirectoryEscapes(subdirectory)
            }
        }
        return Result(directory: root, commit: commit, commitTime: commitTime)
    }

    @discardableResult
    private func git(_ arguments: [String], home: String) throws(Failure) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = arguments
        var environment: [String: String]
        switch configuration {
        case .isolated:
            environment = ["PATH": "/usr/bin:/bin", "HOME": home, "GIT_CONFIG_NOSYSTEM": "1",
                           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_ALLOW_PROTOCOL": "git:http:https:ssh"]
        case .user:
            environment = ProcessInfo.processInfo.environment
        }
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["LC_ALL"] = "C"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw .git("cannot run git: \(error)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else { throw .git(text) }
        return text
    }
}
