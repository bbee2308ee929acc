#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// A file's bytes as the request body wants them: 1 MiB buffers, read as they are sent.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let offset: Int64
    let length: Int64

    /// Closes the file when the iterator goes away, whether the body was sent whole or not.
    final class OpenFile {
        let descriptor: Int32
        init(_ path: String) throws {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw RegistryError.invalidResponse(url: path, reason: "cannot open: \(String(cString: strerror(errno)))")
            }
        }
        deinit { close(descriptor) }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let path: String
        var position: Int64
        let end: Int64
        var file: OpenFile?

        mutating func next() async throws -> ByteBuffer? {
            guard position < end else {
                file = nil
                return nil
            }
            if file == nil { file = try OpenFile(path) }
            let wanted = Int(Swift.min(1 << 20, end - position))
            var buffer = ByteBufferAllocator().buffer(capacity: wanted)
            let fd = file!.descriptor
            let at = position
            let path = self.path
            let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { raw in
                let n = pread(fd, raw.baseAddress, wanted, off_t(at))
                guard n > 0 else {
                    throw RegistryError.invalidResponse(url: path, reason: n == 0 ? "file shrank while being sent"
                                                        : "read failed: \(String(cString: strerror(errno)))")
                }
                return n
            }
            position += Int64(count)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(path: path, position: offset, end: offset + length, file: nil)
    }
}
