#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Takes a ``FileAppendix`` back out of the files a step copied up into its upper directory,
/// after the run: where the appendix still sits right after the original content, it is cut out
/// and the file's times are put back as the step left them.
struct AppendixStripper {
    /// A file extended for the step: its symlink-free path inside the root, the size it had in
    /// the image, and what was appended.
    struct Extended {
        var relativePath: String
        var originalSize: Int
        var bytes: [UInt8]
    }

    let upperDirectory: String
    let extended: [Extended]

    func strip() throws {
        for file in extended {
            let path = upperDirectory + "/" + file.relativePath
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SandboxError.scratch(path: path, errno: errno)
            }
            let contents = [UInt8](data)
            let range = file.originalSize..<(file.originalSize + file.bytes.count)
            guard contents.count >= range.upperBound, Array(contents[range]) == file.bytes else { continue }
            let restored = Array(contents[..<range.lowerBound]) + Array(contents[range.upperBound...])
            let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { throw SandboxError.scratch(path: path, errno: errno) }
            defer { close(fd) }
            let written = restored.withUnsafeBytes { Self.writeAll(fd, $0) }
            guard written else { throw SandboxError.scratch(path: path, errno: errno) }
            var times = [info.st_atim, info.st_mtim]
            guard futimens(fd, &times) == 0 else { throw SandboxError.scratch(path: path, errno: errno) }
        }
    }

    /// write(2) until everything is written.
    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }
}
