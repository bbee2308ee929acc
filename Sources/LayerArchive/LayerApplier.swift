import ContentStore
import Foundation

/// Applies layers onto a directory the way container runtimes do, without ever writing outside
/// it.
///
/// Refused with an error naming the entry: absolute names, names with `..`, writes through a
/// symlink that leaves the root (unless `symlinks` is `.clampToRoot`), hardlinks to anything
/// outside, device nodes unless `allowDevices`, sparse and unknown entry types, and truncated or
/// corrupt streams. Entries before the offending one have been written (inside the root), so
/// apply into a fresh directory and discard it on error, as the engine does.
///
/// Extended attributes in the `trusted.overlay.` and `user.overlay.` namespaces are dropped from
/// layer entries: they would let a layer forge whiteouts or redirects once the directory is used
/// as an overlay lower. Only `Mode.overlayLower` writes them, from real whiteout entries.
///
/// ```swift
/// // Flatten: whiteouts delete.
/// try LayerApplier().apply(blob: layer.digest, in: store, to: rootfs)
/// // One overlay lower directory per diff id: whiteouts become overlay whiteouts.
/// try LayerApplier(mode: .overlayLower).apply(blob: layer.digest, in: store, to: lowerDir)
/// ```
public struct LayerApplier: Sendable {
    public enum Mode: Sendable {
        /// Whiteouts delete what earlier layers put in the directory.
        case merge
        /// The directory becomes one overlayfs lower layer: `.wh.NAME` becomes a character
        /// device 0/0 named NAME and `.wh..wh..opq` the xattr `trusted.overlay.opaque=y`, so
        /// that stacked lowers hide what the layers below them hold.
        case overlayLower
    }

    /// What to do with a symlink met in the middle of an entry's path that points outside.
    public enum SymlinkPolicy: Sendable {
        /// Refuse the entry (the default).
        case refuse
        /// Resolve it as the container would see it: absolute targets start at the root and
        /// `..` stops there (what containerd does); still never leaves the root.
        case clampToRoot
    }

    public struct Result: Sendable, Equatable {
        public let diffID: Digest
        public let digest: Digest
        public let compression: LayerCompression
        public let entryCount: Int
    }

    public var mode: Mode
    public var allowDevices: Bool
    public var symlinks: SymlinkPolicy
    public var preserveOwnership: Bool
    /// When set, the tar stream must have this digest (checked after the last entry).
    public var expectedDiffID: Digest?
    /// Free space on the target's filesystem that applying never eats into: once less is
    /// available the apply stops with `wouldFillDisk`, so a layer that expands far beyond its
    /// size (a gzip bomb) is bounded by the disk instead of filling it. Nil: 5% of the
    /// filesystem, at least 256 MiB (what ext4 reserves for root, roughly). Checked every
    /// `DiskReserve.interval` bytes of file content.
    public var reserveFreeBytes: Int64?

    public init(mode: Mode = .merge, allowDevices: Bool = false, symlinks: SymlinkPolicy = .refuse,
                preserveOwnership: Bool = true, expectedDiffID: Digest? = nil) {
        self.mode = mode
        self.allowDevices = allowDevices
        self.symlinks = symlinks
        self.preserveOwnership = preserveOwnership
        self.expectedDiffID = expectedDiffID
    }

    public func apply(layerAt path: String, to root: String) throws -> Result {
        try apply(try LayerReader(path: path), to: root)
    }

    public func apply(blob digest: Digest, in store: BlobStore, to root: String) throws -> Result {
        try apply(try LayerReader(blob: digest, in: store), to: root)
    }

    public func apply(_ reader: LayerReader, to root: String) throws -> Result {
        let directory = try ContainedDirectory(path: root, policy: symlinks == .refuse ? .refuse : .clampToRoot)
        let builder = TreeBuilder(directory: directory, allowDevices: allowDevices,
                                  preserveOwnership: preserveOwnership)
        var session = ApplySession(mode: mode, directory: directory, builder: builder,
                                   reserve: try DiskReserve(path: root, bytes: reserveFreeBytes))
        var count = 0
        while let entry = try reader.next() {
            try session.apply(entry, from: reader)
            count += 1
        }
        try builder.finish()
        guard let diffID = reader.diffID, let digest = reader.digest else {
            throw LayerArchiveError.truncated("the layer ended before its end-of-archive marker")
        }
        if let expectedDiffID, expectedDiffID != diffID {
            throw LayerArchiveError.digestMismatch(what: "layer diff id", expected: expectedDiffID, actual: diffID)
        }
        return Result(diffID: diffID, digest: digest, compression: reader.compression, entryCount: count)
    }
}
