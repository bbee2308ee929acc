#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// Makes the extracted form of a layer that `LayerWriter` wrote from tree entries whose contents
/// are in a store, without reading the layer back: directories, symlinks and devices are created
/// from the entries, and each file's bytes are copied from its content blob by the kernel (a
/// reflink, where the filesystem shares extents; see `FileCopier`). No gzip to inflate, no tar
/// to parse, no bytes through user space.
///
/// The result is the tree `LayerApplier` would make from the layer's tar: the same names,
/// kinds, modes, owners, whole-second mtimes clamped as the writer clamped them, and extended
/// attributes less the overlay ones. Every file is an inode of its own (link count 1), as after
/// extraction: the store's blob is never hard-linked into the tree, because a RUN step sees a
/// lower file's link count (and a shared inode's metadata) through overlayfs, and what it sees
/// must not depend on which other layers happen to share the blob.
///
/// ```swift
/// if LayerMaterializer.canMaterialize(entries) {
///     try LayerMaterializer(writer: writer).materialize(entries, from: store, into: lower,
///                                                       mode: .overlayLower)
/// }
/// ```
public struct LayerMaterializer: Sendable {
    public let writer: LayerWriter
    /// The symlink policy the equivalent `LayerApplier` would use.
    public var symlinks: LayerApplier.SymlinkPolicy
    public var allowDevices: Bool

    public init(writer: LayerWriter, symlinks: LayerApplier.SymlinkPolicy = .clampToRoot,
                allowDevices: Bool = true) {
        self.writer = writer
        self.symlinks = symlinks
        self.allowDevices = allowDevices
    }

    /// Whether `entries` can be made directly. Not: names that extraction would turn into
    /// whiteouts (`.wh.*`), hardlink entries (their target must exist in tar order), and files
    /// without a content digest. The caller extracts the layer's tar for those.
    public static func canMaterialize(_ entries: [TreeEntry]) -> Bool {
        entries.allSatisfy { entry in
            guard !entry.name.hasPrefix(ApplySession.whiteoutPrefix), entry.kind != .hardlink else { return false }
            return entry.kind != .file || entry.digest != nil || entry.size == 0
        }
    }

    /// Creates the entries under `directory` (which must exist and should be empty), in the
    /// order the writer puts them in the tar.
    public func materialize(_ entries: [TreeEntry], from store: BlobStore, into directory: String) throws {
        guard LayerMaterializer.canMaterialize(entries) else {
            throw LayerArchiveError.unsupported("these entries need the layer's tar to be extracted")
        }
        let root = try ContainedDirectory(path: directory, policy: symlinks == .refuse ? .refuse : .clampToRoot)
        let builder = TreeBuilder(directory: root, allowDevices: allowDevices, preserveOwnership: true)
        let reserve = try DiskReserve(path: directory, bytes: nil)
        for original in entries.sorted(by: { $0.path.precedesByBytes($1.path) }) where original.kind != .socket {
            let components = try ContainedDirectory.components(of: original.path, entry: original.path)
            if components.isEmpty { continue }  // "./": the root keeps its own metadata, as in extraction
            var entry = original
            entry.path = components.joined(separator: "/")
            entry.mtime = writer.clampedSeconds(original.mtime) * 1_000_000_000
            let xattrs = (entry.xattrs ?? [:]).filter { !OverlayXattr.isOverlayAttribute($0.key) }
            entry.xattrs = xattrs.isEmpty ? nil : xattrs
            var source: String?
            if entry.kind == .file, entry.size > 0, let digest = entry.digest {
                try reserve.account(Int(entry.size), entry: entry.path)
                source = try store.readablePath(for: digest)
            } else if entry.kind != .file {
                entry.size = 0
            }
            try builder.create(entry, at: components, shownAs: original.path, content: nil, copyingFrom: source)
        }
        try builder.finish()
    }
}
