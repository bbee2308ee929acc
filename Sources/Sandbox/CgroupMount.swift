import Foundation

/// A cgroup filesystem mount from /proc/self/mountinfo.
struct CgroupMount: Hashable {
    var mountPoint: String
    /// The hierarchy path the mount shows at its mount point (not "/" inside a cgroup namespace).
    var root: String
    var isUnified: Bool
    /// v1: the controllers bound to this hierarchy (from the super options).
    var controllers: Set<String>

    /// The directory of hierarchy path `path` under this mount, if the mount shows it.
    func directory(for path: String) -> String? {
        let relative: Substring
        if root == "/" { relative = Substring(path) }
        else if path == root { relative = "" }
        else if path.hasPrefix(root + "/") { relative = path.dropFirst(root.count) }
        else { return nil }
        let trimmed = relative.hasSuffix("/") ? relative.dropLast() : relative
        return mountPoint + trimmed
    }

    static func parse(_ mountinfo: String) -> [CgroupMount] {
        mountinfo.split(separator: "\n").compactMap { line in
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { return nil }
            let fields = halves[0].split(separator: " ")
            let tail = halves[1].split(separator: " ")
            guard fields.count >= 5, tail.count >= 3, tail[0] == "cgroup" || tail[0] == "cgroup2" else { return nil }
            return CgroupMount(mountPoint: unescape(fields[4]), root: unescape(fields[3]),
                               isUnified: tail[0] == "cgroup2",
                               controllers: Set(tail[2].split(separator: ",").map(String.init)))
        }
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    private static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        var index = field.utf8.startIndex
        let utf8 = field.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "\\"), utf8.distance(from: index, to: utf8.endIndex) >= 4,
               let value = UInt8(String(decoding: utf8[utf8.index(after: index)..<utf8.index(index, offsetBy: 4)],
                                        as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index = utf8.index(index, offsetBy: 4)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
