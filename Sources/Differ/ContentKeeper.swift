import ContentStore
import Foundation
import Synchronization

/// Lets the two concurrent catalog passes keep the contents that turn out to differ, so most
/// comparisons need no second read of a layer.
///
/// Each side buffers a small entry while hashing it and reports it here. If the other side has
/// already reported the path, the content is kept only when the digests differ (and the other
/// side's pending copy is dropped when they match); if not, it is kept as pending. Both passes
/// walk layers in nearly the same order, so little is pending at a time; what exceeds the cap
/// is simply not kept and is fetched by a later, early-stopping read.
final class ContentKeeper: Sendable {
    /// Entries larger than this are never buffered.
    let entryLimit: Int
    /// Bytes kept per side, pending or known to differ.
    let sideLimit: Int
    private struct Sides {
        var digests: [[String: Digest]] = [[:], [:]]
        var kept: [[String: Data]] = [[:], [:]]
        var keptBytes = [0, 0]
    }
    private let sides = Mutex(Sides())

    init(entryLimit: Int = 4 << 20, sideLimit: Int = 96 << 20) {
        self.entryLimit = entryLimit
        self.sideLimit = sideLimit
    }

    /// Whether side `side` should buffer an entry of `size` bytes while hashing it.
    func wantsContent(size: Int64) -> Bool { size <= Int64(entryLimit) }

    /// Side `side` has hashed `path`; `content` is its bytes when they were buffered.
    func finished(side: Int, path: String, digest: Digest, content: Data?) {
        let sideLimit = self.sideLimit
        sides.withLock { sides in
            sides.digests[side][path] = digest
            let other = 1 - side
            if let otherDigest = sides.digests[other][path], otherDigest == digest {
                if let dropped = sides.kept[other].removeValue(forKey: path) { sides.keptBytes[other] -= dropped.count }
                return
            }
            guard let content, sides.keptBytes[side] + content.count <= sideLimit else { return }
            if let replaced = sides.kept[side].updateValue(content, forKey: path) { sides.keptBytes[side] -= replaced.count }
            sides.keptBytes[side] += content.count
        }
    }

    /// What side `side` kept of `path`.
    func content(side: Int, path: String) -> Data? {
        sides.withLock { $0.kept[side][path] }
    }
}
