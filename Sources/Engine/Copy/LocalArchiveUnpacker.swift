import ContentStore
import Foundation
import LayerArchive

/// `ADD` of a local tar (plain or gzip): its entries are unpacked at the destination rather than
/// the file copied, as Docker does. Contents stream into the store; nothing is extracted to disk.
enum LocalArchiveUnpacker {
    /// Whether the blob starts like a tar or a gzip stream (the file name does not matter).
    static func isArchive(_ digest: Digest, in store: BlobStore) -> Bool {
        guard let reader = try? store.openReader(digest) else { return false }
        var header = [UInt8](repeating: 0, count: 512)
        let count = (try? header.withUnsafeMutableBytes { try reader.read(into: $0) }) ?? 0
        if count >= 2 && header[0] == 0x1f && header[1] == 0x8b { return true }
        return count >= 262 && Array(header[257..<262]) == Array("ustar".utf8)
    }

    /// The archive's entries as tree entries at `destination`, contents ingested into the store.
    /// Unsafe names (absolute, `..`) are refused by cleaning them under the destination.
    static func entries(of digest: Digest, in store: BlobStore, at destination: String) throws -> [TreeEntry] {
        let reader = try LayerReader(blob: digest, in: store)
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
