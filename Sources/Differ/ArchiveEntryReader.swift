#if canImport(Glibc)
import Glibc
#endif
import CLibArchive
import Foundation

/// Iterates the entries of nested zip, jar and cpio archives through libarchive. Tar (layers
/// and nested tars) goes through LayerArchive's `LayerReader` instead; see `EntryStream`.
final class ArchiveEntryReader {
    typealias Header = EntryHeader

    private let archive: OpaquePointer
    private let label: String
    /// Keeps in-memory input alive while libarchive reads it.
    private let memory: UnsafeMutableRawBufferPointer?
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)

    /// Opens an archive held in memory (a nested tar, zip or jar).
    init(data: Data, label: String) throws {
        self.label = label
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 16)
        data.copyBytes(to: copy)
        memory = copy
        guard let archive = archive_read_new() else { throw DifferError.unreadable(label, reason: "libarchive") }
        self.archive = archive
        archive_read_support_filter_all(archive)
        archive_read_support_format_zip(archive)
        archive_read_support_format_cpio(archive)
        guard archive_read_open_memory(archive, copy.baseAddress, data.count) == ARCHIVE_OK else {
            throw DifferError.unreadable(label, reason: Self.errorText(archive))
        }
    }

    deinit {
        archive_read_free(archive)
        memory?.deallocate()
        buffer.deallocate()
    }

    /// The next entry's header, or nil at the end.
    func next() throws -> Header? {
        var entryPointer: OpaquePointer?
        let status = archive_read_next_header(archive, &entryPointer)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry = entryPointer else {
            throw DifferError.unreadable(label, reason: Self.errorText(archive))
        }
        return Self.header(of: entry)
    }

    /// Streams the current entry's content.
    func readContent(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        while true {
            let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
            if n == 0 { return }
            guard n > 0 else { throw DifferError.unreadable(label, reason: Self.errorText(archive)) }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// The current entry's content, up to `limit` bytes; nil when it is longer.
    func readContent(limit: Int) throws -> Data? {
        var data = Data()
        var overflow = false
        try readContent { chunk in
            guard !overflow else { return }
            if data.count + chunk.count > limit { overflow = true; return }
            data.append(contentsOf: chunk)
        }
        return overflow ? nil : data
    }

    private static func header(of entry: OpaquePointer) -> Header {
        let path = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        let hardlink = archive_entry_hardlink(entry).map { String(cString: $0) }
        let symlink = archive_entry_symlink(entry).map { String(cString: $0) }
        var type: EntryRecord.EntryType
        switch UInt32(archive_entry_filetype(entry)) {
        case reprise_AE_IFREG: type = .file
        case reprise_AE_IFDIR: type = .directory
        case reprise_AE_IFLNK: type = .symlink
        case reprise_AE_IFCHR: type = .characterDevice
        case reprise_AE_IFBLK: type = .blockDevice
        case reprise_AE_IFIFO: type = .fifo
        case reprise_AE_IFSOCK: type = .socket
        default: type = .unknown
        }
        if hardlink != nil { type = .hardlink }
        var device: String?
        if type == .characterDevice || type == .blockDevice {
            device = "\(archive_entry_rdevmajor(entry)):\(archive_entry_rdevminor(entry))"
        }
        var xattrs: [String: String] = [:]
        if archive_entry_xattr_reset(entry) > 0 {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
                guard let name else { continue }
                let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                xattrs[String(cString: name)] = Printable.render(bytes)
            }
        }
        return Header(
            path: path, type: type, mode: UInt32(archive_entry_perm(entry)) & 0o7777,
            uid: Int64(archive_entry_uid(entry)), gid: Int64(archive_entry_gid(entry)),
            userName: archive_entry_uname(entry).map { String(cString: $0) },
            groupName: archive_entry_gname(entry).map { String(cString: $0) },
            size: archive_entry_size_is_set(entry) != 0 ? Int64(archive_entry_size(entry)) : 0,
            mtime: Int64(archive_entry_mtime(entry)), mtimeNanoseconds: Int(archive_entry_mtime_nsec(entry)),
            linkTarget: hardlink ?? symlink, device: device, xattrs: xattrs, paxRecords: [:])
    }

    private static func errorText(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unreadable archive"
    }
}
