/// A source of `COPY` or `ADD`: a path (or URL, for `ADD`) or an inline heredoc.
public enum CopySource: Sendable, Hashable {
    case path(String)
    case heredoc(Heredoc)
}

/// `COPY [--from] [--chown] [--chmod] [--link] [--parents] [--exclude]... SRC... DEST`.
public struct CopyInstruction: Sendable, Hashable {
    public var sources: [CopySource]
    public var destination: String
    /// A stage name, stage index, image reference or named context.
    public var from: String?
    public var chown: String?
    public var chmod: String?
    public var link: Bool
    public var parents: Bool
    public var excludes: [String]
}

/// `ADD [--chown] [--chmod] [--checksum] [--keep-git-dir] [--link] [--exclude]... SRC... DEST`.
public struct AddInstruction: Sendable, Hashable {
    public var sources: [CopySource]
    public var destination: String
    public var chown: String?
    public var chmod: String?
    /// Expected digest of a remote source (`sha256:...`).
    public var checksum: String?
    public var keepGitDir: Bool
    public var link: Bool
    /// `--unpack`: nil leaves the default (archives from the context are unpacked).
    public var unpack: Bool?
    public var excludes: [String]
}

/// Validation of `--chmod` values shared by `COPY` and `ADD`.
enum ChmodValidator {
    /// Octal (`755`, `0644`) or symbolic (`u+x,g-w`, `a=rX`) modes, as BuildKit accepts.
    static func isValid(_ value: String) -> Bool {
        // Values holding variables are checked after expansion.
        if value.contains("$") { return true }
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty else { return false }
        if bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }) {
            return bytes.count <= 5 && (Int(value, radix: 8) ?? Int.max) <= 0o7777
        }
        for clause in value.split(separator: ",", omittingEmptySubsequences: false) {
            var index = clause.utf8.startIndex
            let utf8 = clause.utf8
            while index < utf8.endIndex, "ugoa".utf8.contains(utf8[index]) { index = utf8.index(after: index) }
            var sawOperator = false
            while index < utf8.endIndex {
                guard "+-=".utf8.contains(utf8[index]) else { return false }
                sawOperator = true
                index = utf8.index(after: index)
                while index < utf8.endIndex, "rwxXstugo".utf8.contains(utf8[index]) {
                    index = utf8.index(after: index)
                }
            }
            if !sawOperator { return false }
        }
        return true
    }
}
