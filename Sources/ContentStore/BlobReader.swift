#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reads one blob as a stream, so a gigabyte layer never needs to fit in memory.
///
/// The bytes are hashed as they pass; reaching the end of a blob whose content does not match
/// its name throws `StoreError.corruptBlob` instead of returning the end, so that no export,
/// extraction or replay that reads a blob to its end can succeed on damaged content (fsck
/// finding it later would be too late). Consumers that may fail must not leave output behind.
/// The one exception: a blob the same process wrote moments before from bytes it hashed as they
/// were written is read without hashing again (`BlobStore.openReader`); damage after that is
/// caught by the next command that reads it.
public final class BlobReader {
    public let digest: Digest
    public let path: String
    private var fd: Int32
    private var hasher: DigestHasher?
    /// A blob made in memory (from a delta) rather than read from a file.
    private var contents: Data?
    private var offset = 0

    init(digest: Digest, path: String, verifying: Bool = true) throws {
        self.digest = digest
        self.path = path
        self.hasher = verifying ? DigestHasher() : nil
        do {
            self.fd = try FileIO.open(path, O_RDONLY)
        } catch let error as SystemCallError where error.errno == ENOENT {
            throw StoreError.missing(digest)
        }
    }

    /// A reader over bytes already made and checked against `digest` (a delta's blob).
    init(digest: Digest, contents: Data, path: String) {
        self.digest = digest
        self.path = path
        self.hasher = nil
        self.fd = -1
        self.contents = contents
    }

    deinit { close() }

    /// Fills as much of `buffer` as the next read gives; 0 means the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let contents {
            let count = min(buffer.count, contents.count - offset)
            if count > 0 {
                contents.copyBytes(to: buffer.bindMemory(to: UInt8.self),
                                   from: (contents.startIndex + offset)..<(contents.startIndex + offset + count))
                offset += count
            }
            return count
        }
        precondition(fd >= 0, "read after close")
        let count = try FileIO.read(fd, into: buffer, path: path)
        if var running = hasher {
            if count > 0 {
                running.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                hasher = running
            } else {
                hasher = nil  // checked once; later reads at the end return 0 again
                let actual = running.finalize()
                if actual != digest { throw StoreError.corruptBlob(digest, actual: actual, path: path) }
            }
        }
        return count
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
        contents = nil
        offset = 0
    }
}
