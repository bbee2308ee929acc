import CLibArchive
import ContentStore
import Foundation

/// A libarchive PAX writer configured for reproducible output, streaming into a `LayerSink`.
///
/// "Restricted" PAX writes a plain ustar header unless a field needs an extension (long names,
/// large ids, xattrs), as Go's archive/tar does, so layers read everywhere. Nothing that varies
/// between machines reaches a header: entries carry numeric ids only (no user or group names,
/// which libarchive would otherwise not look up either), no atime, ctime or birth time (so no
/// `LIBARCHIVE.creationtime`), whole-second mtimes, and extended attributes only as
/// `SCHILY.xattr.*` records (the form GNU tar, Go and containerd read; libarchive's default also
/// adds `LIBARCHIVE.xattr.*` duplicates). Names are handed over as UTF-8, so the process locale
/// never decides whether a `hdrcharset` record appears.
final class TarArchiveWriter {
    private let archive: OpaquePointer
    private let sink: LayerSink
    private let entry: OpaquePointer
    private var closed = false

    init(sink: LayerSink) throws {
        guard let archive = archive_write_new() else {
            throw LayerArchiveError.libarchive(operation: "archive_write_new", message: "out of memory")
        }
        self.archive = archive
        self.sink = sink
        self.entry = archive_entry_new2(archive)
        try check(archive_write_set_format_pax_restricted(archive), "set format")
        try check(archive_write_set_format_option(archive, "pax", "xattrheader", "SCHILY"),
                  "set xattrheader")
        // No padding of the last 10 KiB record: the stream ends after the end-of-archive blocks.
        try check(archive_write_set_bytes_in_last_block(archive, 1), "set last block")
        let context = Unmanaged.passUnretained(sink).toOpaque()
        try check(archive_write_open(archive, context, nil, { _, context, buffer, length in
            let sink = Unmanaged<LayerSink>.fromOpaque(context!).takeUnretainedValue()
            do {
                try sink.consume(UnsafeRawBufferPointer(start: buffer, count: length))
                return la_ssize_t(length)
            } catch {
                if sink.failure == nil { sink.failure = error }
                return -1
            }
        }, nil), "open")
    }

    deinit {
        archive_entry_free(entry)
        archive_write_free(archive)
    }

    /// Writes one header. `mtimeSeconds` is already clamped; `path` is the name in the tar.
    func writeHeader(_ tree: TreeEntry, path: String, mtimeSeconds: Int64) throws {
        archive_entry_clear(entry)
        if !UTF8Locale.isAvailable, !(path + (tree.linkTarget ?? "")).utf8.allSatisfy({ $0 < 0x80 }) {
            throw LayerArchiveError.unsupported("\(path): non-ASCII names need a UTF-8 locale (C.UTF-8)")
        }
        let isDirectory = tree.kind == .directory
        archive_entry_set_pathname_utf8(entry, isDirectory && !path.hasSuffix("/") ? path + "/" : path)
        archive_entry_set_perm(entry, mode_t(tree.mode & 0o7777))
        archive_entry_set_uid(entry, la_int64_t(tree.uid))
        archive_entry_set_gid(entry, la_int64_t(tree.gid))
        archive_entry_set_mtime(entry, time_t(mtimeSeconds), 0)
        archive_entry_set_size(entry, 0)
        switch tree.kind {
        case .file:
            archive_entry_set_filetype(entry, reprise_AE_IFREG)
            archive_entry_set_size(entry, la_int64_t(tree.size))
        case .directory:
            archive_entry_set_filetype(entry, reprise_AE_IFDIR)
        case .symlink:
            archive_entry_set_filetype(entry, reprise_AE_IFLNK)
            archive_entry_set_symlink_utf8(entry, tree.linkTarget ?? "")
        case .hardlink:
            archive_entry_set_filetype(entry, reprise_AE_IFREG)
            archive_entry_set_hardlink_utf8(entry, tree.linkTarget ?? "")
        case .characterDevice, .blockDevice:
            archive_entry_set_filetype(entry, tree.kind == .characterDevice ? reprise_AE_IFCHR : reprise_AE_IFBLK)
            archive_entry_set_rdevmajor(entry, dev_t(tree.deviceMajor ?? 0))
            archive_entry_set_rdevminor(entry, dev_t(tree.deviceMinor ?? 0))
        case .fifo:
            archive_entry_set_filetype(entry, reprise_AE_IFIFO)
        case .socket:
            // tar cannot hold sockets; callers skip them before this point.
            throw LayerArchiveError.unsupported("\(path): sockets cannot be stored in a layer")
        }
        for name in (tree.xattrs ?? [:]).keys.sorted() {
            let value = tree.xattrs![name]!
            value.withUnsafeBytes { archive_entry_xattr_add_entry(entry, name, $0.baseAddress, $0.count) }
        }
        try check(archive_write_header(archive, entry), "write header for \(path)")
    }

    func writeData(_ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard bytes.count > 0 else { return }
        let written = archive_write_data(archive, bytes.baseAddress, bytes.count)
        if written < 0 || written != bytes.count {
            try rethrowSinkFailure()
            throw LayerArchiveError.libarchive(operation: "write data for \(path)", message: message)
        }
    }

    /// Writes the end-of-archive blocks and flushes everything into the sink.
    func finish() throws {
        closed = true
        try check(archive_write_close(archive), "close")
        try sink.finish()
    }

    private var message: String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
    }

    private func rethrowSinkFailure() throws {
        if let failure = sink.failure { throw failure }
    }

    private func check(_ status: Int32, _ operation: String) throws {
        guard status != ARCHIVE_OK else { return }
        try rethrowSinkFailure()
        // A warning still wrote the entry, but only in a form we did not ask for: refuse it.
        throw LayerArchiveError.libarchive(operation: operation, message: message)
    }
}
