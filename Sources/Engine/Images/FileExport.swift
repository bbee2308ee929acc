#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// Streams an export to a file (written beside it and renamed into place, so a failed export
/// leaves no half file under the name) or to standard output (`-`).
enum FileExport {
    typealias Write = (UnsafeRawBufferPointer) throws -> Void

    static func write(to destination: String, _ produce: (Write) throws -> Void) throws {
        if destination == "-" {
            try produce { try writeAll(1, $0, path: "standard output") }
            return
        }
        let temporary = destination + ".reprise-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SystemCallError("open", path: temporary, errno: errno) }
        do {
            try produce { try writeAll(descriptor, $0, path: destination) }
            guard fsync(descriptor) == 0 else { throw SystemCallError("fsync", path: temporary, errno: errno) }
            close(descriptor)
            guard rename(temporary, destination) == 0 else { throw SystemCallError("rename", path: destination, errno: errno) }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
    }

    private static func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < buffer.count {
            let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("write", path: path, errno: errno)
            }
            offset += written
        }
    }
}
