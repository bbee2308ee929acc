#if canImport(Glibc)
import Glibc
#endif
import ContentStore

/// Small POSIX helpers LayerArchive needs beyond `FileIO`.
enum Posix {
    /// The names in a directory, without `.` and `..`, refusing names that are not UTF-8.
    static func directoryNames(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw SystemCallError("opendir", path: path) }
        defer { closedir(dir) }
        return try names(of: dir, path: path)
    }

    /// Like `directoryNames(_:)` for an open directory descriptor; `fd` stays open.
    static func directoryNames(descriptor fd: Int32, path: String) throws -> [String] {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else { throw SystemCallError("opendir", path: path) }
        defer { closedir(dir) }
        return try names(of: dir, path: path)
    }

    private static func names(of dir: OpaquePointer, path: String) throws -> [String] {
        var names: [String] = []
        while let entry = readdir(dir) {
            // In place: copying the 256-byte d_name overreads readdir's buffer (see FileIO.entryName).
            let bytes = FileIO.entryName(entry)
            guard let name = String(validating: bytes, as: UTF8.self) else {
                let shown = String(decoding: bytes, as: UTF8.self)
                throw LayerArchiveError.nonUTF8Name(path + "/" + shown)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func readLink(_ path: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { throw SystemCallError("readlink", path: path) }
        return try utf8String(buffer[0..<count].map { UInt8(bitPattern: $0) }, path: path)
    }

    static func readLink(name: String, in directoryFD: Int32, path: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(directoryFD, name, &buffer, buffer.count - 1)
        guard count >= 0 else { throw SystemCallError("readlink", path: path) }
        return try utf8String(buffer[0..<count].map { UInt8(bitPattern: $0) }, path: path)
    }

    static func utf8String(_ bytes: [UInt8], path: String) throws -> String {
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw LayerArchiveError.nonUTF8Name(path + " -> " + String(decoding: bytes, as: UTF8.self))
        }
        return string
    }

    /// Opens `name` in `directoryFD` (or a path when `directoryFD` is `AT_FDCWD`), close-on-exec,
    /// retrying on EINTR.
    static func openAt(_ directoryFD: Int32, _ name: String, _ flags: Int32, mode: mode_t = 0,
                       path: String) throws -> Int32 {
        while true {
            let fd = openat(directoryFD, name, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw SystemCallError("open", path: path)
        }
    }

    /// A path through which calls without an `*at` form (lsetxattr) reach `name` in an open
    /// directory without following symlinks in any component but the final magic link.
    static func procPath(directoryFD: Int32, name: String) -> String {
        "/proc/self/fd/\(directoryFD)/\(name)"
    }

    /// The wall clock in nanoseconds.
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
