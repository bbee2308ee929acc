import ContentStore
import Foundation

/// One file system object in a `TreeSnapshot`, described completely enough to recreate it.
///
/// Paths are relative to the snapshot root, `/`-separated, without a leading `./` or a trailing
/// slash. Optional fields are left out of the JSON when they do not apply, so the canonical form
/// stays small and a new optional field does not change the digest of old trees.
public struct TreeEntry: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable {
        case file, directory, symlink
        /// A second (or later, in path order) name of an inode already recorded at `linkTarget`.
        case hardlink
        case characterDevice, blockDevice, fifo, socket
    }

    public var path: String
    public var kind: Kind
    /// Permission bits including setuid, setgid and sticky (`0o7777`), without the type bits.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// Content bytes for files and hardlinks (the size of the shared inode); 0 otherwise.
    public var size: Int64
    /// Modification time in nanoseconds since the Unix epoch.
    public var mtime: Int64
    /// The symlink's target, or for a hardlink the path of the first name of its inode.
    public var linkTarget: String?
    /// Extended attributes by name, raw values (base64 in JSON). Nil when there are none.
    public var xattrs: [String: Data]?
    public var deviceMajor: UInt32?
    public var deviceMinor: UInt32?
    /// The content digest for files and hardlinks; nil for everything else, and for entries
    /// scanned without a store (when a layer is written straight from a directory).
    public var digest: Digest?

    public init(path: String, kind: Kind, mode: UInt32, uid: UInt32 = 0, gid: UInt32 = 0,
                size: Int64 = 0, mtime: Int64 = 0, linkTarget: String? = nil,
                xattrs: [String: Data]? = nil, deviceMajor: UInt32? = nil,
                deviceMinor: UInt32? = nil, digest: Digest? = nil) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.mtime = mtime
        self.linkTarget = linkTarget
        self.xattrs = xattrs
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.digest = digest
    }

    /// The last path component.
    public var name: Substring {
        guard let slash = path.lastIndex(of: "/") else { return Substring(path) }
        return path[path.index(after: slash)...]
    }

    /// The parent's path; "" for an entry directly under the root.
    public var parentPath: String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// Whether the entry has content bytes (and a digest once snapshotted into a store).
    public var hasContent: Bool { kind == .file || kind == .hardlink }
}

extension String {
    /// Orders paths by their UTF-8 bytes, as tar readers and `LC_ALL=C sort` do. Swift's own `<`
    /// compares by Unicode canonical equivalence, which is neither bytewise nor what other tools
    /// use, so it must not decide the order of anything we hash.
    @inlinable
    func precedesByBytes(_ other: String) -> Bool {
        // memcmp over the UTF-8 buffers: trees of 10,000 paths are sorted on every build, and
        // the generic comparison costs a tenth of a cached build.
        let compared = utf8.withContiguousStorageIfAvailable { mine in
            other.utf8.withContiguousStorageIfAvailable { theirs -> Bool in
                let common = min(mine.count, theirs.count)
                let order = common == 0 ? 0 : memcmp(mine.baseAddress!, theirs.baseAddress!, common)
                return order != 0 ? order < 0 : mine.count < theirs.count
            }
        }
        if let compared = compared ?? nil { return compared }
        return utf8.lexicographicallyPrecedes(other.utf8)
    }
}
