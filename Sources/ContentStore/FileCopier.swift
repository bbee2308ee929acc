#if canImport(Glibc)
import Glibc
#endif
import CFileSystem

/// Copies one file's bytes into another without passing them through user space where it can:
/// a reflink (FICLONE) on filesystems that share extents (btrfs, XFS, bcachefs), else
/// copy_file_range(2), else read/write. Each copy is its own inode with its own metadata, so a
/// copy made this way is indistinguishable from one written byte by byte (unlike a hard link,
/// whose shared link count and metadata a build step could see).
public enum FileCopier {
    public enum Method: Sendable, Equatable {
        /// The destination shares the source's extents: no bytes were written.
        case clone
        /// The kernel copied the bytes.
        case kernelCopy
        /// The bytes went through a buffer in this process.
        case userCopy
    }

    /// Copies exactly `byteCount` bytes from the start of `source` to the (empty) `destination`.
    /// A source of another size is `StoreError.sizeMismatch`; `path` names the source in other errors.
    @discardableResult
    public static func copy(from source: Int32, to destination: Int32, byteCount: Int64,
                            path: String) throws -> Method {
        if byteCount == 0 { return .userCopy }
        var info = stat()
        guard fstat(source, &info) == 0 else { throw SystemCallError("fstat", path: path) }
        guard Int64(info.st_size) == byteCount else {
            throw StoreError.sizeMismatch(expected: byteCount, actual: Int64(info.st_size))
        }
        if reprise_clone_file(destination, source) == 0 { return .clone }
        var remaining = byteCount
        var method = Method.kernelCopy
        while remaining > 0 {
            let copied = reprise_copy_file_range(source, destination, Int(min(remaining, 1 << 30)))
            if copied > 0 {
                remaining -= Int64(copied)
                continue
            }
            if copied < 0 && errno == EINTR { continue }
            // Not supported here (EXDEV on old kernels, EINVAL/EOPNOTSUPP on some filesystems),
            // or the source ended early: finish through a buffer, which tells the two apart.
            if copied < 0, ![EXDEV, EINVAL, EOPNOTSUPP, ENOSYS].contains(errno) {
                throw SystemCallError("copy_file_range", path: path)
            }
            method = .userCopy
            remaining -= try copyThroughBuffer(from: source, to: destination, byteCount: remaining, path: path)
            guard remaining == 0 else {
                throw StoreError.sizeMismatch(expected: byteCount, actual: byteCount - remaining)
            }
        }
        return method
    }

    private static func copyThroughBuffer(from source: Int32, to destination: Int32, byteCount: Int64,
                                          path: String) throws -> Int64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var copied: Int64 = 0
        while copied < byteCount {
            let count = try FileIO.read(source, into: buffer, path: path)
            if count == 0 { break }
            let kept = Int(min(Int64(count), byteCount - copied))
            try FileIO.writeAll(destination, UnsafeRawBufferPointer(rebasing: buffer[0..<kept]), path: path)
            copied += Int64(kept)
        }
        return copied
    }
}
