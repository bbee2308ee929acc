import ContentStore

/// What can go wrong while snapshotting trees, writing layers or applying them, worded for the
/// person reading the error: every case names the entry or path it is about.
public enum LayerArchiveError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A layer entry (or a link target inside one) would land outside the target root.
    case unsafePath(entry: String, reason: String)
    /// A device node in a layer applied without `allowDevices`.
    case deviceRefused(entry: String)
    /// The compressed or tar stream ends early.
    case truncated(String)
    /// The stream is not a tar (or gzip) we can read.
    case malformed(String)
    /// A feature we deliberately do not support (sparse files, zstd, overlay redirects, …).
    case unsupported(String)
    /// A file or directory name that is not valid UTF-8: snapshots and layers carry names as
    /// strings, and a lossy repair would silently rename the file.
    case nonUTF8Name(String)
    /// A file changed size between being listed and being read.
    case changedWhileReading(path: String)
    /// libarchive refused an operation; `message` is its own explanation.
    case libarchive(operation: String, message: String)
    /// zlib refused an operation.
    case zlib(operation: String, code: Int32)
    /// A layer's content does not match the digest the caller expected.
    case digestMismatch(what: String, expected: Digest, actual: Digest)
    /// Writing on would leave less free space than the applier keeps in reserve (a layer that
    /// expands beyond the disk, such as a gzip bomb).
    case wouldFillDisk(entry: String, available: Int64, reserve: Int64)

    public var description: String {
        switch self {
        case .unsafePath(let entry, let reason):
            return "refusing layer entry \"\(entry)\": \(reason)"
        case .deviceRefused(let entry):
            return "refusing layer entry \"\(entry)\": device nodes are not allowed (pass allowDevices)"
        case .truncated(let what):
            return "truncated layer: \(what)"
        case .malformed(let what):
            return "malformed layer: \(what)"
        case .unsupported(let what):
            return "unsupported: \(what)"
        case .nonUTF8Name(let path):
            return "\(path): file name is not valid UTF-8"
        case .changedWhileReading(let path):
            return "\(path): file changed while it was being read"
        case .libarchive(let operation, let message):
            return "libarchive \(operation): \(message)"
        case .zlib(let operation, let code):
            return "zlib \(operation) failed (code \(code))"
        case .digestMismatch(let what, let expected, let actual):
            return "\(what) does not match: expected \(expected), got \(actual)"
        case .wouldFillDisk(let entry, let available, let reserve):
            return "refusing layer entry \"\(entry)\": only \(available >> 20) MiB free, and a layer is not "
                + "applied below the \(reserve >> 20) MiB kept free (does it expand beyond the disk?)"
        }
    }
}
