#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation
import LayerArchive

/// Writes images held in a BlobStore as an OCI image layout: a directory, or a deterministic
/// tar of one (the same images give the same bytes on every run and machine).
public struct ImageLayoutWriter: Sendable {
    /// How blobs reach a layout directory.
    public enum BlobPlacement: Sendable, Hashable {
        /// Independent copies: editing the layout never touches the store.
        case copy
        /// Hard links into the store when both are on one filesystem (copies otherwise): instant
        /// and free, but a tool that rewrites a blob in place would corrupt the store too.
        case hardlink
    }

    public let store: BlobStore

    public init(store: BlobStore) {
        self.store = store
    }

    static let layoutHeader = Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)

    /// Writes (or adds to) a layout directory at `path`. An existing layout keeps its other
    /// images; an entry whose ref name is already there replaces it, as `skopeo copy` does.
    public func writeDirectory(at path: String, entries: [LayoutEntry],
                               placement: BlobPlacement = .copy) throws {
        let blobDirectory = path + "/blobs/sha256"
        // A blob found corrupt while it is copied fails the export; what this call created is
        // removed again so that no half layout is left looking like an image.
        let createdLayout = !FileIO.exists(path)
        var placed: [String] = []
        do {
            try FileIO.makeDirectories(blobDirectory)
            for descriptor in try closure(of: entries) {
                let target = blobDirectory + "/" + descriptor.digest.hex
                if let size = Self.regularFileSize(target), size == descriptor.size { continue }
                try place(descriptor.digest, at: target, placement: placement)
                placed.append(target)
            }
            try FileIO.syncDirectory(blobDirectory)
        } catch {
            if createdLayout {
                try? FileManager.default.removeItem(atPath: path)
            } else {
                for target in placed { unlink(target) }
            }
            throw error
        }
        var manifests = try existingManifests(at: path)
        for entry in entries {
            let listed = entry.indexDescriptor
            manifests.removeAll { old in
                listed.refName != nil ? old.refName == listed.refName
                                      : old.refName == nil && old.digest == listed.digest
            }
            manifests.append(listed)
        }
        try FileIO.writeFileAtomically(path + "/oci-layout", Self.layoutHeader)
        try FileIO.writeFileAtomically(path + "/index.json", ImageIndex(manifests: manifests).canonicalData())
    }

    /// Writes a layout as a tar file at `path`, atomically (a temporary sibling renamed into
    /// place). `extraFiles` adds members at the root (the `manifest.json` of a docker archive).
    public func writeTar(at path: String, entries: [LayoutEntry], mtime: Int64 = 0,
                         extraFiles: [String: Data] = [:]) throws {
        let temporary = "\(path).tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        var fd = try FileIO.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
        defer { if fd >= 0 { close(fd) } }
        do {
            try writeTar(toFileDescriptor: fd, named: path, entries: entries, mtime: mtime, extraFiles: extraFiles)
            guard fsync(fd) == 0 else { throw SystemCallError("fsync", path: temporary) }
            close(fd)
            fd = -1
            guard rename(temporary, path) == 0 else { throw SystemCallError("rename", path: path) }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Writes a layout tar to an open descriptor (standard output for `dest=-`); `named` is
    /// how errors name the destination. Members are in path order, owned 0/0, dated `mtime`.
    public func writeTar(toFileDescriptor fd: Int32, named: String, entries: [LayoutEntry],
                         mtime: Int64 = 0, extraFiles: [String: Data] = [:]) throws {
        let blobs = try closure(of: entries).sorted { $0.digest.hex < $1.digest.hex }
        var small: [String: Data] = extraFiles
        small["oci-layout"] = Self.layoutHeader
        small["index.json"] = try ImageIndex(manifests: entries.map(\.indexDescriptor)).canonicalData()
        let tar = try TarStreamWriter(fileDescriptor: fd, path: named, mtime: mtime)
        // "blobs/…" sorts before every other root member we write ("index.json", "manifest.json",
        // "oci-layout"), so writing the blobs first keeps the whole archive in path order.
        try tar.addDirectory("blobs")
        try tar.addDirectory("blobs/sha256")
        for blob in blobs {
            let reader = try store.openReader(blob.digest)
            try tar.addFile("blobs/sha256/" + blob.digest.hex, size: try store.size(of: blob.digest)) { sink in
                try reader.forEachChunk { try sink($0) }
            }
        }
        for name in small.keys.sorted() {
            try tar.addFile(name, data: small[name]!)
        }
        try tar.finish()
    }

    /// Every blob the entries need, each once, children first.
    func closure(of entries: [LayoutEntry]) throws -> [Descriptor] {
        var seen: Set<Digest> = []
        var result: [Descriptor] = []
        for entry in entries {
            for descriptor in try store.imageClosure(of: entry.descriptor) where seen.insert(descriptor.digest).inserted {
                result.append(descriptor)
            }
        }
        return result
    }

    private func existingManifests(at path: String) throws -> [Descriptor] {
        let indexPath = path + "/index.json"
        guard FileIO.exists(indexPath) else { return [] }
        return try ResolvedImage.decode(ImageIndex.self, FileIO.readFile(indexPath), path: indexPath).manifests
    }

    private func place(_ digest: Digest, at target: String, placement: BlobPlacement) throws {
        let source = try store.readablePath(for: digest)
        if placement == .hardlink {
            // A link copies no bytes, so nothing would notice damage: verify first.
            if case .corrupt(let actual) = try store.verify(digest) {
                throw StoreError.corruptBlob(digest, actual: actual, path: source)
            }
            unlink(target)
            if link(source, target) == 0 { return }
            guard errno == EXDEV || errno == EPERM || errno == EMLINK else {
                throw SystemCallError("link", path: target)
            }
        }
        let temporary = "\(target).tmp-\(getpid())"
        var output = try FileIO.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        defer { if output >= 0 { close(output) } }
        do {
            let reader = try store.openReader(digest)
            try reader.forEachChunk { try FileIO.writeAll(output, $0, path: temporary) }
            // One directory fsync after all blobs (in writeDirectory) makes the renames durable.
            guard fsync(output) == 0 else { throw SystemCallError("fsync", path: temporary) }
            close(output)
            output = -1
            guard rename(temporary, target) == 0 else { throw SystemCallError("rename", path: target) }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    private static func regularFileSize(_ path: String) -> Int64? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }
}
