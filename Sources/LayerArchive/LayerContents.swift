#if canImport(Glibc)
import Glibc
#endif
import ContentStore

/// Where the bytes of a file entry come from while a layer is written.
protocol LayerContents {
    func forEachChunk(of entry: TreeEntry, _ body: (UnsafeRawBufferPointer) throws -> Void) throws
}

/// Contents read from the tree on disk, never following a symlink at the final component.
struct DirectoryContents: LayerContents {
    let root: String

    func forEachChunk(of entry: TreeEntry, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let path = root + "/" + entry.path
        let fd = try FileIO.open(path, O_RDONLY | O_NOFOLLOW)
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try FileIO.read(fd, into: buffer, path: path)
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }
}

/// Contents read from blobs named by the entries' digests.
struct StoreContents: LayerContents {
    let store: BlobStore

    func forEachChunk(of entry: TreeEntry, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let digest = entry.digest else {
            throw LayerArchiveError.malformed("\(entry.path): snapshot entry has no content digest")
        }
        try store.openReader(digest).forEachChunk(body)
    }
}
