#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// A directory tree on disk, walked in sorted order with lstat (links are not followed).
struct DirectorySource: EntrySource {
    let root: String
    var label: String { root }

    /// Files on disk are fetched by path, so nothing is offered to the keeper.
    func catalog(_ statistics: StatisticsCounter, keeper: ContentKeeper?, side: Int) throws -> EntryCatalog {
        var catalog = EntryCatalog()
        var ordinal = 0
        try walk(relative: "") { relative, info in
            let full = root + "/" + relative
            var record = EntryRecord(
                path: relative, ordinal: ordinal, type: Self.type(of: info.st_mode),
                mode: UInt32(info.st_mode) & 0o7777, uid: Int64(info.st_uid), gid: Int64(info.st_gid),
                userName: nil, groupName: nil, size: 0, mtime: Int64(info.st_mtim.tv_sec),
                mtimeNanoseconds: Int(info.st_mtim.tv_nsec), linkTarget: nil, device: nil, xattrs: [:],
                paxRecords: [:], contentDigest: nil)
            switch record.type {
            case .file:
                record.size = Int64(info.st_size)
                record.contentDigest = try Self.digest(ofFile: full, statistics: statistics)
            case .symlink:
                record.linkTarget = try? FileManager.default.destinationOfSymbolicLink(atPath: full)
            case .characterDevice, .blockDevice:
                record.device = "\(UInt32(truncatingIfNeeded: info.st_rdev >> 8) & 0xfff):\(UInt32(truncatingIfNeeded: info.st_rdev) & 0xff)"
            default:
                break
            }
            catalog.add(record)
            ordinal += 1
        }
        statistics.countEntries(ordinal)
        return catalog
    }

    func contents(of paths: Set<String>, spool: SpoolDirectory, statistics: StatisticsCounter) throws
        -> [String: ContentHandle] {
        var result: [String: ContentHandle] = [:]
        for path in paths {
            var info = stat()
            guard lstat(root + "/" + path, &info) == 0 else { continue }
            result[path] = .file(path: root + "/" + path, size: Int64(info.st_size))
        }
        return result
    }

    private func walk(relative: String, _ visit: (String, stat) throws -> Void) throws {
        let directory = relative.isEmpty ? root : root + "/" + relative
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw DifferError.unreadable(directory, reason: "\(error.localizedDescription)")
        }
        for name in names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let child = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(root + "/" + child, &info) == 0 else {
                throw DifferError.unreadable(root + "/" + child, reason: String(cString: strerror(errno)))
            }
            try visit(child, info)
            if (info.st_mode & S_IFMT) == S_IFDIR { try walk(relative: child, visit) }
        }
    }

    static func type(of mode: mode_t) -> EntryRecord.EntryType {
        switch mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        case S_IFCHR: return .characterDevice
        case S_IFBLK: return .blockDevice
        case S_IFIFO: return .fifo
        case S_IFSOCK: return .socket
        default: return .unknown
        }
    }

    static func digest(ofFile path: String, statistics: StatisticsCounter) throws -> Digest {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DifferError.unreadable(path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var hasher = DigestHasher()
        var uncounted = 0
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n == 0 { break }
            guard n > 0 else { throw DifferError.unreadable(path, reason: String(cString: strerror(errno))) }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            // Counted as it goes (every 16 MiB), so progress moves while a large file is read.
            uncounted += n
            if uncounted >= 1 << 24 { statistics.countBytes(uncounted); uncounted = 0 }
        }
        statistics.countBytes(uncounted)
        return hasher.finalize()
    }
}
