#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import Synchronization

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
    public var placement: ContentPlacement

    /// Where a file's bytes go.
    public enum ContentPlacement: Sendable, Equatable {
        /// Into the file: the tree stands on its own.
        case copied
        /// Nowhere: each file with content is metadata-only, redirecting overlayfs to its blob
        /// (`trusted.overlay.metacopy`, `trusted.overlay.redirect` = `/HEX`), so the tree shows its
        /// files' bytes only as a lower layer of an overlay with the store's blob directory as its
        /// data-only layer (see `SandboxSpec.lowerDataDirectory`). Read directly, every such file
        /// is a hole of its size. Making 10,000 files of a 240 MiB COPY this way writes no data.
        case redirected
    }

    public init(writer: LayerWriter, symlinks: LayerApplier.SymlinkPolicy = .clampToRoot,
                allowDevices: Bool = true, placement: ContentPlacement = .copied) {
        self.writer = writer
        self.symlinks = symlinks
        self.allowDevices = allowDevices
        self.placement = placement
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
    ///
    /// Directories, symlinks and the like are made first, in that order; then the files, on
    /// `workers` threads (nil: one per core), each batch of files of one directory through one
    /// descriptor of it instead of a walk from the root per file. The tree is the same: a file
    /// never changes anything another entry depends on, directory times are set last, and a
    /// listing where that could differ (one path twice, or an entry below a non-directory) is
    /// made one entry at a time, in order.
    public func materialize(_ entries: [TreeEntry], from store: BlobStore, into directory: String,
                            workers: Int? = nil) throws {
        guard LayerMaterializer.canMaterialize(entries) else {
            throw LayerArchiveError.unsupported("these entries need the layer's tar to be extracted")
        }
        let root = try ContainedDirectory(path: directory, policy: symlinks == .refuse ? .refuse : .clampToRoot)
        let builder = TreeBuilder(directory: root, allowDevices: allowDevices, preserveOwnership: true)
        let reserve = try DiskReserve(path: directory, bytes: nil)
        var prepared: [PreparedEntry] = []
        for original in entries.sorted(by: { $0.path.precedesByBytes($1.path) }) where original.kind != .socket {
            let components = try ContainedDirectory.components(of: original.path, entry: original.path)
            if components.isEmpty { continue }  // "./": the root keeps its own metadata, as in extraction
            var entry = original
            entry.path = components.joined(separator: "/")
            entry.mtime = writer.clampedSeconds(original.mtime) * 1_000_000_000
            let xattrs = (entry.xattrs ?? [:]).filter { !OverlayXattr.isOverlayAttribute($0.key) }
            entry.xattrs = xattrs.isEmpty ? nil : xattrs
            var source: String?
            var redirect: String?
            if entry.kind == .file, entry.size > 0, let digest = entry.digest {
                if placement == .redirected {
                    // A blob that is not the size its entry says would show other bytes than the
                    // layer holds (a damaged store, or a hostile recipe): refused, as a copy of it is.
                    let blob = try store.readableStatus(for: digest)
                    guard blob.isRegularFile, blob.size == entry.size else {
                        throw LayerArchiveError.malformed("\(original.path): content \(blob.path) holds \(blob.size) bytes, not \(entry.size)")
                    }
                    source = blob.path
                    redirect = "/" + digest.hex
                } else {
                    source = try store.readablePath(for: digest)
                    try reserve.account(Int(entry.size), entry: entry.path)
                }
            } else if entry.kind != .file {
                entry.size = 0
            }
            prepared.append(PreparedEntry(entry: entry, components: components, shown: original.path,
                                          source: source, redirect: redirect))
        }
        let workerCount = max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
        guard Self.filesMayBeMadeApart(prepared) else {
            for item in prepared {
                if item.redirect != nil {
                    try root.withParent(of: item.components, entry: item.shown, create: true) { parent, name in
                        if try FileStatus.of(name: name, in: parent, path: item.shown) != nil {
                            try Remover.remove(name: name, in: parent, shownAs: item.shown)
                        }
                        try item.create(in: parent, name: name)
                    }
                    continue
                }
                try builder.create(item.entry, at: item.components, shownAs: item.shown, content: nil,
                                   copyingFrom: item.source)
            }
            try builder.finish()
            return
        }
        var files: [PreparedEntry] = []
        for item in prepared {
            if item.entry.kind == .file {
                files.append(item)
            } else {
                try builder.create(item.entry, at: item.components, shownAs: item.shown, content: nil,
                                   copyingFrom: item.source)
            }
        }
        // Metadata-only files are cheap to make, and their directories may be a tmpfs's, which
        // lists entries in the order they were made: so that the order a step sees is fixed,
        // directories the listing only implies are made here, in order, and then each
        // directory's files by one worker, in listing order.
        let oneWorkerPerDirectory = placement == .redirected
        if oneWorkerPerDirectory {
            var seen = Set<String>()
            for file in files where seen.insert(file.parent).inserted {
                guard let fd = try root.openDirectory(Array(file.components.dropLast()), entry: file.shown, create: true) else {
                    throw LayerArchiveError.unsafePath(entry: file.shown, reason: "its directory cannot be made")
                }
                if fd != root.rootFD { close(fd) }
            }
        }
        try Self.createFiles(files, in: root, workers: workerCount, oneWorkerPerDirectory: oneWorkerPerDirectory)
        try builder.finish()
    }

    /// An entry ready to be made: its components, the path shown in errors, its content's path,
    /// and for a metadata-only file, its redirect.
    struct PreparedEntry: Sendable {
        let entry: TreeEntry
        let components: [String]
        let shown: String
        let source: String?
        var redirect: String? = nil

        var parent: String { components.dropLast().joined(separator: "/") }

        /// Makes the file `name` in the directory `parent`.
        func create(in parent: Int32, name: String) throws {
            if let redirect {
                try TreeBuilder.createMetadataOnlyFile(entry, in: parent, name: name, shownAs: shown,
                                                       redirect: redirect, preserveOwnership: true)
            } else {
                try TreeBuilder.createFile(entry, in: parent, name: name, shownAs: shown,
                                           copyingFrom: source, preserveOwnership: true)
            }
        }
    }

    /// Whether making the files after every other entry, in any order, gives the tree that making
    /// everything in listing order gives: no path twice (a later entry would replace an earlier
    /// one), and no entry below a path that is not a directory entry (a symlink redirects what is
    /// below it; a file would be replaced by the directory made for its children).
    static func filesMayBeMadeApart(_ entries: [PreparedEntry]) -> Bool {
        var paths = Set<String>()
        var nonDirectories = Set<String>()
        for item in entries {
            guard paths.insert(item.entry.path).inserted else { return false }
            if item.entry.kind != .directory { nonDirectories.insert(item.entry.path) }
        }
        for item in entries where item.components.count > 1 {
            var prefix = ""
            for component in item.components.dropLast() {
                prefix = prefix.isEmpty ? component : prefix + "/" + component
                if nonDirectories.contains(prefix) { return false }
            }
        }
        return true
    }

    /// Files per batch: one descriptor of their directory serves them all.
    static let filesPerBatch = 64

    /// Creates `files` (in directories that exist, or are made as `ContainedDirectory` makes
    /// missing ones) on `workers` threads, in batches of files of one directory: at most
    /// ``filesPerBatch``, or with `oneWorkerPerDirectory` the whole directory (its files are then
    /// made in listing order). The first failure in listing order is thrown, after every worker
    /// stopped.
    static func createFiles(_ files: [PreparedEntry], in root: ContainedDirectory, workers: Int,
                            oneWorkerPerDirectory: Bool = false) throws {
        let filesPerBatch = oneWorkerPerDirectory ? max(1, files.count) : Self.filesPerBatch
        guard !files.isEmpty else { return }
        // Batches in listing order of their first file: files grouped by directory, cut in runs.
        var byParent: [String: [Int]] = [:]
        var parentOrder: [String] = []
        for (index, file) in files.enumerated() {
            let parent = file.parent
            if byParent[parent] == nil { parentOrder.append(parent) }
            byParent[parent, default: []].append(index)
        }
        let batches: [[Int]] = parentOrder.flatMap { parent in
            let members = byParent[parent]!
            return stride(from: 0, to: members.count, by: filesPerBatch).map {
                Array(members[$0..<($0 + min(filesPerBatch, members.count - $0))])
            }
        }
        let failures = Mutex<[Int: any Error]>([:])
        let next = Atomic<Int>(0)
        let work = { @Sendable in
            while true {
                let batchIndex = next.add(1, ordering: .relaxed).oldValue
                guard batchIndex < batches.count else { return }
                let batch = batches[batchIndex]
                // After a failure, batches after it in listing order are not started.
                if failures.withLock({ $0.keys.contains { $0 < batch[0] } }) { continue }
                do {
                    let first = files[batch[0]]
                    guard let fd = try root.openDirectory(Array(first.components.dropLast()), entry: first.shown, create: true) else {
                        throw LayerArchiveError.unsafePath(entry: first.shown, reason: "its directory cannot be made")
                    }
                    defer { if fd != root.rootFD { close(fd) } }
                    for index in batch {
                        let file = files[index]
                        do {
                            try file.create(in: fd, name: file.components.last!)
                        } catch {
                            failures.withLock { $0[index] = error }
                            return
                        }
                    }
                } catch {
                    failures.withLock { $0[batch[0]] = error }
                    return
                }
            }
        }
        let threads = min(workers, batches.count)
        if threads == 1 {
            work()
        } else {
            DispatchQueue.concurrentPerform(iterations: threads) { _ in work() }
        }
        if let first = failures.withLock({ $0.min { $0.key < $1.key } }) { throw first.value }
    }
}
