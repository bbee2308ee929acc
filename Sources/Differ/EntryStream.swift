import ContentStore
import Foundation
import LayerArchive

/// One entry's header, whichever reader produced it.
struct EntryHeader {
    var path: String
    var type: EntryRecord.EntryType
    var mode: UInt32
    var uid: Int64
    var gid: Int64
    var userName: String?
    var groupName: String?
    var size: Int64
    var mtime: Int64
    var mtimeNanoseconds: Int
    var linkTarget: String?
    var device: String?
    var xattrs: [String: String]
    /// Pax records other than those the fields above carry (atime, ctime, vendor keys).
    var paxRecords: [String: String]
}

/// Entries and their content, streamed: tar through LayerArchive's `LayerReader` (layers and
/// nested tars, gzip or not), zip/jar/cpio through libarchive.
final class EntryStream {
    private enum Backend {
        case tar(LayerReader)
        case other(ArchiveEntryReader)
    }

    private let backend: Backend

    /// A layer file on disk.
    init(layerAt path: String) throws {
        do {
            backend = .tar(try LayerReader(path: path))
        } catch {
            throw DifferError.unreadable(path, reason: "\(error)")
        }
    }

    /// A nested archive in memory; tar (or gzip tar) by its magic, anything else by libarchive.
    init(data: Data, label: String) throws {
        if Sniff.isTar(data) || Sniff.isGzip(data) {
            backend = .tar(try LayerReader(data: data))
        } else {
            backend = .other(try ArchiveEntryReader(data: data, label: label))
        }
    }

    func next() throws -> EntryHeader? {
        switch backend {
        case .tar(let reader): return try reader.next().map(Self.header)
        case .other(let reader): return try reader.next()
        }
    }

    func readContent(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        switch backend {
        case .tar(let reader): try reader.forEachContentChunk(body)
        case .other(let reader): try reader.readContent(body)
        }
    }

    private static func header(_ entry: LayerEntry) -> EntryHeader {
        let type: EntryRecord.EntryType
        switch entry.kind {
        case .regular: type = .file
        case .hardlink: type = .hardlink
        case .symlink: type = .symlink
        case .characterDevice: type = .characterDevice
        case .blockDevice: type = .blockDevice
        case .directory: type = .directory
        case .fifo: type = .fifo
        case .other: type = .unknown
        }
        let device = type == .characterDevice || type == .blockDevice ? "\(entry.deviceMajor):\(entry.deviceMinor)" : nil
        // Floor division: a pre-1970 mtime has a negative nanosecond count.
        let seconds = entry.mtime >= 0 ? entry.mtime / 1_000_000_000 : (entry.mtime - 999_999_999) / 1_000_000_000
        return EntryHeader(
            path: entry.path, type: type, mode: entry.mode & 0o7777, uid: Int64(entry.uid), gid: Int64(entry.gid),
            userName: entry.userName.isEmpty ? nil : entry.userName,
            groupName: entry.groupName.isEmpty ? nil : entry.groupName,
            size: type == .file ? entry.size : 0, mtime: seconds,
            mtimeNanoseconds: Int(entry.mtime - seconds * 1_000_000_000),
            linkTarget: entry.linkName.isEmpty ? nil : entry.linkName, device: device,
            xattrs: entry.xattrs.mapValues { Printable.render([UInt8]($0)) }, paxRecords: entry.paxRecords)
    }
}
