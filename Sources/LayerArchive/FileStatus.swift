#if canImport(Glibc)
import Glibc
#endif
import CLibArchive
import ContentStore

/// The parts of `struct stat` a snapshot needs, with names that say what they are.
struct FileStatus: Sendable {
    let kind: TreeEntry.Kind?
    let permissions: UInt32
    let uid: UInt32
    let gid: UInt32
    let size: Int64
    let mtime: Int64
    let ctime: Int64
    let device: UInt64
    let inode: UInt64
    let linkCount: UInt64
    let deviceMajor: UInt32
    let deviceMinor: UInt32

    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        default: kind = nil
        }
        permissions = UInt32(info.st_mode & 0o7777)
        uid = info.st_uid
        gid = info.st_gid
        size = Int64(info.st_size)
        mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        ctime = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        linkCount = UInt64(info.st_nlink)
        deviceMajor = reprise_major(info.st_rdev)
        deviceMinor = reprise_minor(info.st_rdev)
    }

    /// Status of `path` itself, not of what a final symlink points to.
    static func of(path: String) throws -> FileStatus {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw SystemCallError("lstat", path: path) }
        return FileStatus(info)
    }

    /// Status of `name` in the directory `directoryFD`, not following a final symlink. Nil when
    /// nothing is there.
    static func of(name: String, in directoryFD: Int32, path: String) throws -> FileStatus? {
        var info = stat()
        guard fstatat(directoryFD, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return nil }
            throw SystemCallError("stat", path: path)
        }
        return FileStatus(info)
    }

    static func of(descriptor fd: Int32, path: String) throws -> FileStatus {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemCallError("fstat", path: path) }
        return FileStatus(info)
    }
}
