import ContentStore
import Foundation
import LayerArchive

/// `ADD <git URL>#<ref>:<subdir>`: the repository is fetched on the host at one commit (shallow
/// where the server allows it), checked out, and snapshotted into the store as the tree the copy
/// selects from — without `.git` unless `--keep-git-dir`. Every file gets the commit's time and
/// the mode git gives it (0644, or 0755 when executable), so the same commit always makes the
/// same layer. `--checksum` pins the commit.
struct GitSource {
    struct Fetched {
        var snapshot: TreeSnapshot
        var commit: String
    }

    /// A fetch that failed, with the URL it was for.
    struct Failure: Error, CustomStringConvertible {
        var url: GitURL
        var reason: Reason

        enum Reason {
            case notAllowed
            case checkout(GitCheckout.Failure)
            case cannotSnapshot(any Error)
        }

        var description: String {
            switch reason {
            case .notAllowed: return "ADD \(url.remote): fetching needs --checksum=<commit> (pinning it) or --network=host"
            case .checkout(let failure): return "ADD \(url.remote): \(failure)"
            case .cannotSnapshot(let error): return "ADD \(url.remote): \(error)"
            }
        }
    }

    let store: BlobStore
    /// A directory of the build's scratch space, removed with it.
    let workDirectory: String

    func fetch(_ url: GitURL, keepGitDirectory: Bool, checksum: String?, networkAllowed: Bool) throws -> Fetched {
        guard networkAllowed || checksum != nil else { throw Failure(url: url, reason: .notAllowed) }
        let checkout: GitCheckout.Result
        let scanned: TreeSnapshot
        do {
            try? FileManager.default.removeItem(atPath: workDirectory)
            try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
            checkout = try GitCheckout(url, configuration: .isolated)
                .fetch(into: workDirectory + "/checkout", keepGitDirectory: keepGitDirectory, checksum: checksum)
            scanned = try TreeSnapshotter(store: store).snapshot(directory: checkout.directory).snapshot
        } catch let failure as GitCheckout.Failure {
            throw Failure(url: url, reason: .checkout(failure))
        } catch {
            throw Failure(url: url, reason: .cannotSnapshot(error))
        }
        let seconds = checkout.commitTime
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
        return Fetched(snapshot: snapshot, commit: checkout.commit)
    }
}
