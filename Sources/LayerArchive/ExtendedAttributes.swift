#if canImport(Glibc)
import Glibc
#endif
import CLibArchive
import ContentStore
import Foundation

/// Reading and writing extended attributes without following symlinks.
enum ExtendedAttributes {
    /// All extended attributes of `path` (not following a final symlink); nil when there are none
    /// or the file system does not support them.
    static func read(path: String) throws -> [String: Data]? {
        var size = llistxattr(path, nil, 0)
        guard size >= 0 else {
            if errno == ENOTSUP || errno == ENODATA { return nil }
            throw SystemCallError("listxattr", path: path)
        }
        if size == 0 { return nil }
        var names = [CChar](repeating: 0, count: size)
        size = llistxattr(path, &names, size)
        guard size >= 0 else { throw SystemCallError("listxattr", path: path) }
        var result: [String: Data] = [:]
        for rawName in names[0..<size].split(separator: 0) {
            let name = String(decoding: rawName.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let value = try value(of: name, path: path) { result[name] = value }
        }
        return result.isEmpty ? nil : result
    }

    private static func value(of name: String, path: String) throws -> Data? {
        while true {
            let size = lgetxattr(path, name, nil, 0)
            guard size >= 0 else {
                if errno == ENODATA { return nil }  // removed between list and get
                throw SystemCallError("getxattr \(name)", path: path)
            }
            var value = Data(count: size)
            let read = value.withUnsafeMutableBytes { lgetxattr(path, name, $0.baseAddress, size) }
            if read < 0 && errno == ERANGE { continue }  // grew between the two calls
            guard read >= 0 else { throw SystemCallError("getxattr \(name)", path: path) }
            return value.prefix(read)
        }
    }

    /// Sets attributes on an open file or directory.
    static func write(_ attributes: [String: Data], descriptor fd: Int32, path: String) throws {
        for name in attributes.keys.sorted() {
            let value = attributes[name]!
            let result = value.withUnsafeBytes { fsetxattr(fd, name, $0.baseAddress, $0.count, 0) }
            guard result == 0 else { throw SystemCallError("setxattr \(name)", path: path) }
        }
    }

    /// Sets attributes on a path without following a final symlink.
    static func write(_ attributes: [String: Data], path: String, shownAs shown: String) throws {
        for name in attributes.keys.sorted() {
            let value = attributes[name]!
            let result = value.withUnsafeBytes { lsetxattr(path, name, $0.baseAddress, $0.count, 0) }
            guard result == 0 else { throw SystemCallError("setxattr \(name)", path: shown) }
        }
    }
}
