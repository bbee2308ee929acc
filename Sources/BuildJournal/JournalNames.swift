/// The names a journal stores and later uses as file names or shows to people: build ids (ref
/// file names), image names (ref file names, escaped), and the other names records carry.
///
/// Names from elsewhere (a bundle made by anyone) are checked before anything is written: a
/// build id becomes `refs/builds/<id>` and `tmp/build-<id>`, so `../../x` must never pass, and
/// a name holding terminal control characters would drive the terminal of whoever lists it.
public enum JournalNames {
    /// What is wrong with a name, or nil when it is acceptable.
    public static func problemWithBuildID(_ id: String) -> String? {
        guard !id.isEmpty, id.utf8.count <= 128 else { return "a build id must be 1 to 128 characters" }
        let allowed = id.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "-" || scalar == "_" || scalar == "."
        }
        guard allowed, id.first != ".", id.first != "-" else {
            return "a build id may hold only letters, digits, '.', '_' and '-', and not start with '.' or '-'"
        }
        return nil
    }

    /// Image names, context names, stage names, secret ids: free text, but no control
    /// characters (including bidirectional overrides), no NUL, bounded length, and never a
    /// path component that climbs (`..`) or an absolute path where a name is expected.
    public static func problemWithName(_ name: String, maximumLength: Int = 1024) -> String? {
        guard !name.isEmpty, name.utf8.count <= maximumLength else {
            return "a name must be 1 to \(maximumLength) bytes"
        }
        if let scalar = name.unicodeScalars.first(where: isControl) {
            return "it holds the control character U+\(String(scalar.value, radix: 16, uppercase: true))"
        }
        if name.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." }) {
            return "it holds a '..' component"
        }
        return nil
    }

    /// A path recorded from another machine (a Dockerfile path, a context's origin): it is only
    /// shown and its last component reused, so it may be absolute, but holds no control
    /// character and does not end in a component that names no file.
    public static func problemWithRecordedPath(_ path: String) -> String? {
        guard path.utf8.count <= 4096 else { return "a path must be at most 4096 bytes" }
        if let scalar = path.unicodeScalars.first(where: isControl) {
            return "it holds the control character U+\(String(scalar.value, radix: 16, uppercase: true))"
        }
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        if last == "." || last == ".." { return "its last component is '\(last)'" }
        return nil
    }

    /// A path inside a tree snapshot: relative, no empty, `.` or `..` components, no NUL (the
    /// empty path is the tree's root).
    public static func problemWithTreePath(_ path: String) -> String? {
        if path.isEmpty { return nil }
        if path.hasPrefix("/") { return "it is absolute" }
        if path.unicodeScalars.contains("\u{0}") { return "it holds NUL" }
        for component in path.split(separator: "/", omittingEmptySubsequences: false)
        where component.isEmpty || component == "." || component == ".." {
            return "it holds an empty, '.' or '..' component"
        }
        return nil
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029:
            return true
        default:
            return false
        }
    }
}
