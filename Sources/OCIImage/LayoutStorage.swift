#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// Where the files of an OCI layout (or a `docker save` archive) live: a directory or a tar.
/// Paths are relative to the layout's root, `/`-separated.
enum LayoutStorage: Sendable {
    case directory(String)
    case archive(TarIndex)

    /// Opens `path` as a directory if it is one, as an uncompressed tar otherwise.
    static func open(_ path: String) throws -> LayoutStorage {
        // stat, not lstat: a symlink to a layout directory is a layout directory.
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ImageError.missingFile(path: path, reason: "no such file or directory")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { return .directory(path) }
        return .archive(try TarIndex(archivePath: path))
    }

    /// The layout itself, as errors name it.
    var location: String {
        switch self {
        case .directory(let path): return path
        case .archive(let index): return index.archivePath
        }
    }

    /// How errors name one file of the layout: `DIR/index.json` or `FILE.tar:index.json`.
    func describe(_ relative: String) -> String {
        switch self {
        case .directory(let path): return path + "/" + relative
        case .archive(let index): return index.archivePath + ":" + relative
        }
    }

    func exists(_ relative: String) -> Bool {
        switch self {
        case .directory(let path):
            return FileIO.exists(path + "/" + relative)
        case .archive(let index):
            return index.file(relative) != nil
        }
    }

    /// The size of a regular file, or nil when there is none.
    func size(_ relative: String) -> Int64? {
        switch self {
        case .directory(let path):
            var info = stat()
            guard stat(path + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            return Int64(info.st_size)
        case .archive(let index):
            return index.file(relative)?.size
        }
    }

    /// A whole small file, or nil when it does not exist.
    func read(_ relative: String) throws -> Data? {
        switch self {
        case .directory(let path):
            let full = path + "/" + relative
            guard FileIO.exists(full) else { return nil }
            return try FileIO.readFile(full)
        case .archive(let index):
            guard let entry = index.file(relative) else { return nil }
            return try index.read(entry)
        }
    }

    /// Streams a file in chunks; throws `missingFile` when it does not exist.
    func stream(_ relative: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        switch self {
        case .directory(let path):
            let full = path + "/" + relative
            let fd: Int32
            do {
                fd = try FileIO.open(full, O_RDONLY)
            } catch let error as SystemCallError where error.errno == ENOENT {
                throw ImageError.missingFile(path: full, reason: "no such file")
            }
            defer { close(fd) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = try FileIO.read(fd, into: buffer, path: full)
                if n == 0 { return }
                try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
        case .archive(let index):
            guard let entry = index.file(relative) else {
                throw ImageError.missingFile(path: describe(relative), reason: "no such member")
            }
            try index.stream(entry, body)
        }
    }

    /// The path of a blob inside a layout.
    static func blobPath(_ digest: Digest) -> String { "blobs/sha256/" + digest.hex }
}
