#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Thin, error-checked wrappers over the POSIX calls the store and its users need. They exist so
/// that every caller gets EINTR handling, short-write loops and errors that name the path.
public enum FileIO {
    /// Writes all of `bytes` to `fd`, looping over short writes.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("write", path: path)
            }
            offset += n
        }
    }

    /// Reads up to `buffer.count` bytes, retrying on EINTR; 0 means end of file.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress!, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("read", path: path)
            }
            return n
        }
    }

    /// Opens a file, retrying on EINTR, always close-on-exec (sandboxes fork from this process).
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw SystemCallError("open", path: path)
        }
    }

    /// Reads a whole file into memory. For blobs of known small size (records, manifests).
    public static func readFile(_ path: String) throws -> Data {
        let fd = try FileIO.open(path, O_RDONLY)
        defer { close(fd) }
        var result = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try read(fd, into: $0, path: path) }
            if n == 0 { break }
            result.append(contentsOf: buffer[0..<n])
        }
        return result
    }

    /// Writes a file atomically: a temporary sibling, fsync, rename, fsync of the directory.
    /// Readers see the old content or the new one, never a mixture, even across a kill. With
    /// `durable` false the fsyncs are skipped: still atomic for readers and across a killed
    /// process, durable only after a later sync.
    public static func writeFileAtomically(_ path: String, _ data: Data, mode: mode_t = 0o644,
                                           durable: Bool = true) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(path).tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = try FileIO.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        do {
            try data.withUnsafeBytes { try writeAll(fd, $0, path: temporary) }
            guard !durable || fsync(fd) == 0 else { throw SystemCallError("fsync", path: temporary) }
            close(fd)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let failure = SystemCallError("rename", path: path)
            unlink(temporary)
            throw failure
        }
        if durable { try syncDirectory(directory) }
    }

    /// fsyncs many files at once (the disk queue overlaps them); a file gone since is skipped,
    /// one that cannot be opened otherwise (no descriptor left, no permission) is an error: it
    /// was not made durable.
    public static func syncFiles(_ paths: [String]) throws {
        let failures = Mutex<[SystemCallError]>([])
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            let fd = Glibc.open(paths[index], O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno != ENOENT { failures.withLock { $0.append(SystemCallError("open", path: paths[index])) } }
                return
            }
            if fsync(fd) != 0 { failures.withLock { $0.append(SystemCallError("fsync", path: paths[index])) } }
            close(fd)
        }
        if let first = failures.withLock({ $0.first }) { throw first }
    }

    /// Makes a rename or a new entry in `directory` durable.
    public static func syncDirectory(_ directory: String) throws {
        let fd = try FileIO.open(directory, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SystemCallError("fsync", path: directory) }
    }

    /// Creates a directory and its parents; an existing directory is fine.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        if Glibc.mkdir(path, mode) == 0 || isDirectory(path) { return }
        guard errno == ENOENT else { throw SystemCallError("mkdir", path: path) }
        let parent = (path as NSString).deletingLastPathComponent
        guard !parent.isEmpty, parent != path else { throw SystemCallError("mkdir", path: path, errno: ENOENT) }
        try makeDirectories(parent, mode: mode)
        if Glibc.mkdir(path, mode) != 0 && !isDirectory(path) { throw SystemCallError("mkdir", path: path) }
    }

    /// Whether `path` names a directory (not following a final symlink).
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether anything exists at `path` (a dangling symlink counts).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The names in a directory, without `.` and `..`.
    public static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw SystemCallError("opendir", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = String(decoding: entryName(entry), as: UTF8.self)
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The name of a directory entry `readdir` returned, read in place.
    ///
    /// `d_name` is declared as 256 bytes, but the record the kernel wrote holds only the name and
    /// its NUL (`d_reclen` bytes for the whole record): copying the field (as
    /// `withUnsafeBytes(of: entry.pointee.d_name)` does) reads past the end of readdir's buffer
    /// when the record is its last. Found by scripts/reliability: `journal gc` crashed (SIGSEGV in
    /// `BlobStore.list()`) on a store of a few thousand blobs; AddressSanitizer reports a
    /// heap-buffer-overflow on any large directory.
    public static func entryName(_ entry: UnsafePointer<dirent>) -> [UInt8] {
        let raw = UnsafeRawPointer(entry)
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        let recordLength = Int(raw.load(fromByteOffset: MemoryLayout<dirent>.offset(of: \dirent.d_reclen)!,
                                        as: UInt16.self))
        var bytes: [UInt8] = []
        var index = nameOffset
        while index < recordLength {
            let byte = raw.load(fromByteOffset: index, as: UInt8.self)
            if byte == 0 { break }
            bytes.append(byte)
            index += 1
        }
        return bytes
    }
}
