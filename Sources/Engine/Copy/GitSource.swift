import ContentStore
import Foundation
import LayerArchive

/// `ADD <git URL>#<ref>:<subdir>`: the repository is fetched on the host at one commit (shallow
/// where the server allows it), checked out, and snapshotted into the store as the tree the copy
/// selects from — without `.git` unless `--keep-git-dir`. Every file gets the commit's time and
/// the mode git gives it (0644, or 0755 when executable), so the same commit always makes the
/// same layer. `--checksum` pins the commit.
struct GitSource {
    /// A git URL as ADD accepts it, split as BuildKit splits it.
    struct Reference: Equatable {
        var remote: String
        var ref: String?
        var subdirectory: String?

        /// Nil when `text` is not a git URL: `git://…`, `ssh://…`, `git@host:path`, or an http(s)
        /// URL whose path ends in `.git`; a fragment is `#ref`, `#ref:subdir` or `#:subdir`.
        init?(_ text: String) {
            var remote = text
            var fragment: String?
            if let hash = text.firstIndex(of: "#") {
                remote = String(text[..<hash])
                fragment = String(text[text.index(after: hash)...])
            }
            let isGit = remote.hasPrefix("git://") || remote.hasPrefix("ssh://") || remote.hasPrefix("git@")
                || ((remote.hasPrefix("https://") || remote.hasPrefix("http://"))
                    && (remote.hasSuffix(".git") || remote.hasSuffix(".git/")))
            guard isGit, !remote.hasPrefix("-") else { return nil }
            self.remote = remote
            if let fragment, !fragment.isEmpty {
                let parts = fragment.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                ref = parts[0].isEmpty ? nil : String(parts[0])
                if parts.count == 2, !parts[1].isEmpty { subdirectory = CopyPaths.clean(String(parts[1])) }
            }
        }
    }

    struct Fetched {
        var snapshot: TreeSnapshot
        var commit: String
    }

    enum Failure: Error, CustomStringConvertible {
        case notAllowed(String)
        case badReference(String)
        case git(String, String)
        case checksum(String, expected: String, actual: String)
        case noSubdirectory(String, String)
        case subdirectoryEscapes(String, String)

        var description: String {
            switch self {
            case .notAllowed(let url):
                return "ADD \(url): fetching needs --checksum=<commit> (pinning it) or --network=host"
            case .badReference(let ref): return "ADD: '\(ref)' is not a usable git ref"
            case .git(let url, let output): return "ADD \(url): git failed: \(output)"
            case .checksum(let url, let expected, let actual):
                return "ADD \(url): the ref resolved to commit \(actual), not the --checksum \(expected)"
            case .noSubdirectory(let url, let path): return "ADD \(url): the commit has no directory '\(path)'"
            case .subdirectoryEscapes(let url, let path):
                return "ADD \(url): '\(path)' leads outside the repository (through a symlink or ..)"
            }
        }
    }

    let store: BlobStore
    /// A directory of the build's scratch space, removed with it.
    let workDirectory: String

    func fetch(_ reference: Reference, keepGitDirectory: Bool, checksum: String?, networkAllowed: Bool) throws -> Fetched {
        guard networkAllowed || checksum != nil else { throw Failure.notAllowed(reference.remote) }
        let ref = reference.ref ?? "HEAD"
        guard !ref.hasPrefix("-"), !ref.contains(".."), ref.allSatisfy({ !$0.isWhitespace && !$0.isNewline }) else {
            throw Failure.badReference(ref)
        }
        let checkout = workDirectory + "/checkout"
        try? FileManager.default.removeItem(atPath: workDirectory)
        try FileManager.default.createDirectory(atPath: checkout, withIntermediateDirectories: true)
        try git(["init", "-q", checkout], for: reference)
        do {
            try git(["-C", checkout, "fetch", "-q", "--depth=1", "--no-tags", reference.remote, ref], for: reference)
        } catch {
            // Servers that refuse a shallow fetch of a commit id still serve the whole history.
            guard ref.count >= 7, ref.allSatisfy(\.isHexDigit) else { throw error }
            try git(["-C", checkout, "fetch", "-q", "--no-tags", reference.remote], for: reference)
        }
        let target = ref.count >= 7 && ref.allSatisfy(\.isHexDigit) ? ref : "FETCH_HEAD"
        try git(["-C", checkout, "-c", "advice.detachedHead=false", "checkout", "-q", target], for: reference)
        let commit = try git(["-C", checkout, "rev-parse", "HEAD"], for: reference)
        if let checksum, checksum != commit, !commit.hasPrefix(checksum) {
            throw Failure.checksum(reference.remote, expected: checksum, actual: commit)
        }
        let seconds = Int64(try git(["-C", checkout, "show", "-s", "--format=%ct", "HEAD"], for: reference)) ?? 0
        if !keepGitDirectory { try FileManager.default.removeItem(atPath: checkout + "/.git") }
        var root = checkout
        if let subdirectory = reference.subdirectory, !subdirectory.isEmpty {
            do {
                root = try CheckoutSubdirectory.resolve(subdirectory, in: checkout)
            } catch .missing {
                throw Failure.noSubdirectory(reference.remote, subdirectory)
            } catch .escapes {
                throw Failure.subdirectoryEscapes(reference.remote, subdirectory)
            }
        }
        let scanned = try TreeSnapshotter(store: store).snapshot(directory: root).snapshot
        let normalized = scanned.entries.map { entry -> TreeEntry in
            var entry = entry
            entry.mtime = seconds * 1_000_000_000
            entry.uid = 0
            entry.gid = 0
            switch entry.kind {
            case .directory: entry.mode = 0o755
            case .file, .hardlink: entry.mode = entry.mode & 0o100 != 0 ? 0o755 : 0o644
            default: break
            }
            return entry
        }
        let snapshot = TreeSnapshot(root: TreeEntry(path: "", kind: .directory, mode: 0o755, mtime: seconds * 1_000_000_000),
                                    entries: normalized)
        return Fetched(snapshot: snapshot, commit: commit)
    }

    /// Runs git with no user or system configuration, no prompts, and only network transports
    /// (a hostile URL must not reach `ext::` or `file://`).
    @discardableResult
    private func git(_ arguments: [String], for reference: Reference) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = arguments
        process.environment = [
            "PATH": "/usr/bin:/bin", "HOME": workDirectory, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
            "GIT_ALLOW_PROTOCOL": "git:http:https:ssh", "LC_ALL": "C",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw Failure.git(reference.remote, "cannot run git: \(error)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else { throw Failure.git(reference.remote, text) }
        return text
    }
}
