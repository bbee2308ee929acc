import ContentStore
import Foundation
import LayerArchive

/// `ADD` of a local tar archive — plain or compressed with gzip, bzip2, xz or zstd — unpacks its
/// entries at the destination rather than copying the file, as BuildKit does. Whether a file is
/// one is decided by its bytes (a tar header once decompressed), never by its name, so a
/// compressed file that is not a tar is copied as it is. Contents stream into the store; nothing
/// is extracted to disk.
enum LocalArchiveUnpacker {
    /// Whether the blob is a tar archive, once any compression is taken off.
    static func isArchive(_ digest: Digest, in store: BlobStore) -> Bool {
        guard let header = try? DecompressingReader.prefix(of: digest, in: store, count: 512), header.count == 512 else {
            return false
        }
        return Array(header[257..<262]) == Array("ustar".utf8)
    }

    /// The archive's entries as tree entries at `destination`, contents ingested into the store.
    /// Unsafe names (absolute, `..`) are refused by cleaning them under the destination.
    static func entries(of digest: Digest, in store: BlobStore, at destination: String) throws -> [TreeEntry] {
        let decompressed = try DecompressingReader(blob: digest, in: store)
        let reader = try LayerReader(source: { try decompressed.read(into: $0) })
        var entries: [TreeEntry] = []
        while let entry = try reader.next() {
            let relative = CopyPaths.clean(entry.path)
            guard !relative.isEmpty else { continue }
            let path = CopyPaths.join(destination, relative)
            var tree = TreeEntry(path: path, kind: .file, mode: entry.mode, uid: entry.uid, gid: entry.gid,
                                 size: entry.size, mtime: entry.mtime,
                                 xattrs: entry.xattrs.isEmpty ? nil : entry.xattrs)
            switch entry.kind {
            case .regular:
                let writer = try store.makeWriter()
                try reader.forEachContentChunk { try writer.write($0) }
                tree.digest = try writer.commit(durability: .batched).digest
            case .directory:
                tree.kind = .directory
                tree.size = 0
            case .symlink:
                tree.kind = .symlink
                tree.linkTarget = entry.linkName
                tree.size = 0
            case .hardlink:
                tree.kind = .hardlink
                tree.linkTarget = CopyPaths.join(destination, CopyPaths.clean(entry.linkName))
            case .fifo:
                tree.kind = .fifo
                tree.size = 0
            case .characterDevice, .blockDevice, .other:
                continue  // devices never come from a context archive into an image
            }
            entries.append(tree)
        }
        // Hardlinks need their target's content, which an earlier entry holds.
        let byPath = Dictionary(entries.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
        return entries.map { entry in
            guard entry.kind == .hardlink, let target = entry.linkTarget.flatMap({ byPath[$0] }) else { return entry }
            var file = entry
            file.kind = .file
            file.linkTarget = nil
            file.digest = target.digest
            file.size = target.size
            return file
        }
    }
}
