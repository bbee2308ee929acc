#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport

/// One random change to a directory tree, of the kinds that can make a cache stale: content
/// edited in place with the same size and time, modes, owners, symlink targets, xattrs, files
/// added, removed, renamed or hard-linked, and a touch that changes nothing but the time.
struct ContextMutation: CustomStringConvertible {
    enum Kind: String, CaseIterable {
        case editSameSizeSameTime, append, chmod, chown, retargetSymlink, setXattr, addFile, addDirectory
        case removeFile, rename, hardlink, touch
    }

    let kind: Kind
    /// The path changed, relative to the mutated root.
    let path: String
    let detail: String

    var description: String { "\(kind.rawValue) \(path)\(detail.isEmpty ? "" : " (\(detail))")" }

    /// Applies one mutation of a random kind to the tree at `root`.
    static func apply(to root: String, using random: inout SeededRandom) throws -> ContextMutation {
        let files = regularFiles(under: root)
        var kinds = Kind.allCases
        if files.isEmpty { kinds = [.addFile, .addDirectory] }
        let kind = kinds.randomElement(using: &random)!
        let file = files.randomElement(using: &random) ?? ""
        let absolute = root + "/" + file
        switch kind {
        case .editSameSizeSameTime:
            var info = stat()
            guard lstat(absolute, &info) == 0 else { throw failure("lstat", absolute) }
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: absolute)))
            if bytes.isEmpty { bytes = [UInt8(ascii: "x")] } else {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] = bytes[index] == UInt8(ascii: "z") ? UInt8(ascii: "y") : UInt8(ascii: "z")
            }
            // Rewritten in place (same inode), then given back its exact old times, as an editor
            // that preserves timestamps or a same-second rewrite would leave it.
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: absolute))
            try handle.write(contentsOf: Data(bytes))
            try handle.truncate(atOffset: UInt64(bytes.count))
            try handle.close()
            var times = [info.st_atim, info.st_mtim]
            guard utimensat(AT_FDCWD, absolute, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw failure("utimensat", absolute) }
            return ContextMutation(kind: kind, path: file, detail: "")
        case .append:
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: absolute))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("more \(random.next() % 1000)\n".utf8))
            try handle.close()
            return ContextMutation(kind: kind, path: file, detail: "")
        case .chmod:
            let mode = [0o600, 0o640, 0o644, 0o700, 0o755, 0o4755].randomElement(using: &random)!
            guard chmod(absolute, mode_t(mode)) == 0 else { throw failure("chmod", absolute) }
            return ContextMutation(kind: kind, path: file, detail: String(mode, radix: 8))
        case .chown:
            let uid = [0, 1000, 1234].randomElement(using: &random)!
            let gid = [0, 1000, 4321].randomElement(using: &random)!
            guard lchown(absolute, uid_t(uid), gid_t(gid)) == 0 else { throw failure("lchown", absolute) }
            return ContextMutation(kind: kind, path: file, detail: "\(uid):\(gid)")
        case .retargetSymlink:
            let link = root + "/" + (file.contains("/") ? parent(of: file) + "/" : "") + "link"
            let target = "target-\(random.next() % 7)"
            unlink(link)
            guard symlink(target, link) == 0 else { throw failure("symlink", link) }
            return ContextMutation(kind: kind, path: String(link.dropFirst(root.count + 1)), detail: "→ \(target)")
        case .setXattr:
            // Swift's Glibc module lacks setxattr(2); Python's os module has it.
            let value = "v\(random.next() % 97)"
            try Tool.check(["python3", "-c", "import os, sys; os.setxattr(sys.argv[1], 'user.reprise.test', sys.argv[2].encode())",
                            absolute, value])
            return ContextMutation(kind: kind, path: file, detail: value)
        case .addFile, .addDirectory:
            let directories = directoriesUnder(root)
            let parent = directories.randomElement(using: &random) ?? ""
            // A name nothing in the context has yet (an earlier mutation may have drawn the same).
            var name = "new-\(random.next() % 100_000)"
            while FileManager.default.fileExists(atPath: root + "/" + (parent.isEmpty ? name : parent + "/" + name)) {
                name = "new-\(random.next() % 100_000)"
            }
            let path = parent.isEmpty ? name : parent + "/" + name
            if kind == .addDirectory {
                try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
                try "inside \(name)\n".write(toFile: root + "/" + path + "/file", atomically: false, encoding: .utf8)
            } else {
                try "added \(name)\n".write(toFile: root + "/" + path, atomically: false, encoding: .utf8)
            }
            return ContextMutation(kind: kind, path: path, detail: "")
        case .removeFile:
            try FileManager.default.removeItem(atPath: absolute)
            return ContextMutation(kind: kind, path: file, detail: "")
        case .rename:
            let renamed = parent(of: file)
            let name = "renamed-\(random.next() % 100_000)"
            let target = renamed.isEmpty ? name : renamed + "/" + name
            guard Glibc.rename(absolute, root + "/" + target) == 0 else { throw failure("rename", absolute) }
            return ContextMutation(kind: kind, path: file, detail: "→ \(target)")
        case .hardlink:
            var name = file + "-hard\(random.next() % 1000)"
            while FileManager.default.fileExists(atPath: root + "/" + name) { name = file + "-hard\(random.next() % 1000)" }
            guard link(absolute, root + "/" + name) == 0 else { throw failure("link", absolute) }
            return ContextMutation(kind: kind, path: name, detail: "→ \(file)")
        case .touch:
            guard utimensat(AT_FDCWD, absolute, nil, 0) == 0 else { throw failure("utimensat", absolute) }
            return ContextMutation(kind: kind, path: file, detail: "")
        }
    }

    /// The directory part of a relative path ("" at the top). Foundation's NSString path
    /// helpers crashed on some generated names, so this stays plain.
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// Regular files below `root`, relative, sorted (so a seed picks the same one every run).
    static func regularFiles(under root: String) -> [String] {
        entries(under: root).filter { $0.isFile }.map(\.path)
    }

    static func directoriesUnder(_ root: String) -> [String] {
        [""] + entries(under: root).filter { $0.isDirectory }.map(\.path)
    }

    private static func entries(under root: String) -> [(path: String, isFile: Bool, isDirectory: Bool)] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var found: [(String, Bool, Bool)] = []
        while let path = walker.nextObject() as? String {
            var info = stat()
            guard lstat(root + "/" + path, &info) == 0 else { continue }
            let type = info.st_mode & S_IFMT
            found.append((path, type == S_IFREG, type == S_IFDIR))
        }
        return found.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
    }

    private static func failure(_ call: String, _ path: String) -> NSError {
        NSError(domain: "ContextMutation", code: Int(errno),
                userInfo: [NSLocalizedDescriptionKey: "\(call) \(path): \(String(cString: strerror(errno)))"])
    }
}
