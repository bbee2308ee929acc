import Engine
import OCIImage

/// Which `--output` keys each exporter honours (beyond `type`, `dest`, `tar`, `name`, `push`,
/// which ``OutputSpec`` parses): every other key is refused before any step runs, never ignored.
enum OutputOptions {
    /// Keys of the image exporters (`oci`, `docker`).
    static let imageKeys = ExportOptions.keys + ["annotation.*", "annotation-manifest.*", "annotation-manifest-descriptor.*",
                            "annotation-index.*", "annotation-index-descriptor.*"]
    /// Keys of the filesystem exporters (`local`, `tar`).
    /// Their files always carry SOURCE_DATE_EPOCH when one is given (as BuildKit's local and tar
    /// exporters), so `rewrite-timestamp` asks for what they already do.
    static let filesystemKeys = ["rewrite-timestamp"]

    static func honoured(for type: OutputSpec.Kind) -> [String] {
        switch type {
        case .oci, .docker: return ["type", "dest", "tar", "name"] + imageKeys
        case .local, .tar: return ["type", "dest"] + filesystemKeys
        case .image: return ["type", "name", "push", "rewrite-timestamp"]
        }
    }

    static func isHonoured(_ key: String, for type: OutputSpec.Kind) -> Bool {
        honoured(for: type).contains { pattern in
            pattern.hasSuffix(".*") ? Self.matchesAnnotation(key, prefix: String(pattern.dropLast(2))) : pattern == key
        }
    }

    /// `annotation.KEY`, `annotation-index[linux/amd64].KEY`…
    private static func matchesAnnotation(_ key: String, prefix: String) -> Bool {
        guard key.hasPrefix(prefix) else { return false }
        let rest = key.dropFirst(prefix.count)
        if rest.hasPrefix(".") { return rest.count > 1 }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            let after = rest[rest.index(after: close)...]
            return after.hasPrefix(".") && after.count > 1
        }
        return false
    }
}
