#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// A deterministic tar of plain files and directories written to a file descriptor: the archives
/// an OCI layout or `docker save` export is made of. The same writer as layers (libarchive's
/// restricted PAX, numeric owner 0/0, no user or group names, one fixed mtime), without the
/// compression and digests of a layer. The caller adds members in sorted order.
public final class TarStreamWriter {
    private let writer: TarArchiveWriter
    private let path: String
    private let mtime: Int64

    /// Writes to `fd` (not closed here); `path` names the destination in errors.
    public init(fileDescriptor fd: Int32, path: String, mtime: Int64 = 0) throws {
        self.path = path
        self.mtime = mtime
        let sink = try LayerSink(compression: .none) { bytes in try FileIO.writeAll(fd, bytes, path: path) }
        writer = try TarArchiveWriter(sink: sink)
    }

    public func addDirectory(_ name: String, mode: UInt32 = 0o755) throws {
        try writer.writeHeader(TreeEntry(path: name, kind: .directory, mode: mode), path: name, mtimeSeconds: mtime)
    }

    public func addFile(_ name: String, data: Data, mode: UInt32 = 0o644) throws {
        try addFile(name, size: Int64(data.count), mode: mode) { sink in try data.withUnsafeBytes { try sink($0) } }
    }

    /// Adds a member whose `size` bytes `produce` streams through the sink it is given.
    public func addFile(_ name: String, size: Int64, mode: UInt32 = 0o644,
                        produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try writer.writeHeader(TreeEntry(path: name, kind: .file, mode: mode, size: size), path: name,
                               mtimeSeconds: mtime)
        var written: Int64 = 0
        try produce { bytes in
            guard written + Int64(bytes.count) <= size else {
                throw LayerArchiveError.malformed("\(name): grew while being archived")
            }
            try self.writer.writeData(bytes, path: name)
            written += Int64(bytes.count)
        }
        guard written == size else {
            throw LayerArchiveError.malformed("\(name): changed size while being archived")
        }
    }

    /// The end-of-archive blocks.
    public func finish() throws {
        try writer.finish()
    }
}
