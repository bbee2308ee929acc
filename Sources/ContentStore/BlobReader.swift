#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reads one blob as a stream, so a gigabyte layer never needs to fit in memory.
public final class BlobReader {
    public let digest: Digest
    public let path: String
    private var fd: Int32

    init(digest: Digest, path: String) throws {
        self.digest = digest
        self.path = path
        do {
            self.fd = try FileIO.open(path, O_RDONLY)
        } catch let error as SystemCallError where error.errno == ENOENT {
            throw StoreError.missing(digest)
        }
    }

    deinit { close() }

    /// Fills as much of `buffer` as the next read gives; 0 means the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        precondition(fd >= 0, "read after close")
        return try FileIO.read(fd, into: buffer, path: path)
    }

    /// Calls `body` with successive chunks until the end of the blob.
    public func forEachChunk(size: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try read(into: buffer)
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }
}
