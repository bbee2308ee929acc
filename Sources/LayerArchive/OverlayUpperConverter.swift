import ContentStore
import Foundation

/// Turns an overlayfs upper directory (what one RUN step changed) into an OCI layer.
///
/// - A whiteout (a character device 0/0, possibly one of several names of overlay's shared
///   whiteout inode) becomes an empty regular file `.wh.NAME`, mode 0600, keeping the device's
///   owner and mtime (as moby's overlay converter does).
/// - An opaque directory (`trusted.overlay.opaque=y`, or `user.overlay.opaque=y` under
///   `userxattr`) keeps its entry and gains an empty `DIR/.wh..wh..opq` with its permissions,
///   owner and mtime.
/// - `trusted.overlay.*` and `user.overlay.*` attributes never reach the layer.
///
/// Assumption: the overlay was mounted with `redirect_dir=off` and `metacopy=off` (the kernel
/// defaults unless built otherwise; the sandbox should pass them explicitly). With either on, a
/// renamed directory or a metadata-only copy-up is only meaningful together with the lower
/// layers, which a layer cannot express; such an upper is refused naming the entry rather than
/// turned into a wrong layer.
public struct OverlayUpperConverter: Sendable {
    public var writer: LayerWriter
    /// Filters entries by path (e.g. mount points the sandbox created for this step only);
    /// false for a directory drops its subtree.
    public var include: (@Sendable (_ relativePath: String, _ isDirectory: Bool) -> Bool)?

    public init(writer: LayerWriter = LayerWriter(),
                include: (@Sendable (_ relativePath: String, _ isDirectory: Bool) -> Bool)? = nil) {
        self.writer = writer
        self.include = include
    }

    /// Writes the layer of the upper directory at `upper` into `store`.
    public func convert(upperDirectory upper: String, into store: BlobStore,
                        durability: BlobWriter.Durability = .immediate) throws -> LayerDescriptor {
        try writer.write(entries: try layerEntries(upperDirectory: upper),
                         contents: DirectoryContents(root: upper), into: store, durability: durability)
    }

    /// The entries the layer will hold, whiteouts and opaque markers included, unsorted.
    func layerEntries(upperDirectory upper: String) throws -> [TreeEntry] {
        let scanned = try TreeScanner(rootPath: upper, include: include).scan()
        var entries: [TreeEntry] = []
        entries.reserveCapacity(scanned.entries.count)
        for item in scanned.entries {
            var entry = item.entry
            let xattrs = entry.xattrs ?? [:]
            for feature in OverlayXattr.unsupportedFeatures
            where xattrs["trusted.overlay.\(feature)"] != nil || xattrs["user.overlay.\(feature)"] != nil {
                throw LayerArchiveError.unsupported(
                    "\(upper)/\(entry.path) carries overlay \(feature) metadata; mount the overlay with redirect_dir=off,metacopy=off")
            }
            if item.status.kind == .characterDevice && item.status.deviceMajor == 0 && item.status.deviceMinor == 0 {
                entries.append(marker(named: ".wh." + entry.name, in: entry.parentPath, like: entry, mode: 0o600))
                continue
            }
            let opaque = [OverlayXattr.trustedOpaque, OverlayXattr.userOpaque].contains { xattrs[$0] == Data("y".utf8) }
            let kept = xattrs.filter { !OverlayXattr.isOverlayAttribute($0.key) }
            entry.xattrs = kept.isEmpty ? nil : kept
            entries.append(entry)
            if opaque && entry.kind == .directory {
                entries.append(marker(named: ".wh..wh..opq", in: entry.path, like: entry, mode: entry.mode & 0o777))
            }
        }
        return entries
    }

    private func marker(named name: String, in directory: String, like entry: TreeEntry, mode: UInt32) -> TreeEntry {
        TreeEntry(path: directory.isEmpty ? name : directory + "/" + name, kind: .file, mode: mode,
                  uid: entry.uid, gid: entry.gid, size: 0, mtime: entry.mtime)
    }
}
