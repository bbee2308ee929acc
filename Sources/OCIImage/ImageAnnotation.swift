/// One `--annotation` (or `annotation.*` output option), as buildx spells it:
/// `KEY=VALUE` (the image manifest), or `TYPE:KEY=VALUE` / `TYPE[PLATFORM]:KEY=VALUE` where TYPE
/// is `manifest`, `index`, `manifest-descriptor` or `index-descriptor` (comma-separated for
/// several). A pure value: the CLI parses it, the engine puts it where its type says.
public struct ImageAnnotation: Hashable, Sendable, CustomStringConvertible {
    /// Where an annotation goes.
    public enum Target: String, Sendable, Hashable, CaseIterable {
        /// The image manifest's `annotations` (changes the image digest).
        case manifest
        /// The image index's `annotations` (only when there is an index).
        case index
        /// The descriptor that points at the manifest (in `index.json`, or in the index).
        case manifestDescriptor = "manifest-descriptor"
        /// The descriptor that points at the index (in `index.json`).
        case indexDescriptor = "index-descriptor"
    }

    public var targets: [Target]
    /// `[linux/amd64]` after the type: only for that platform.
    public var platform: Platform?
    public var key: String
    public var value: String

    public init(targets: [Target] = [.manifest], platform: Platform? = nil, key: String, value: String) {
        self.targets = targets
        self.platform = platform
        self.key = key
        self.value = value
    }

    /// Parses `[TYPE[,TYPE][[PLATFORM]]:]KEY=VALUE`.
    public init(parsing text: String) throws {
        func fail(_ reason: String) -> ImageError { .invalidReference(text, reason: "--annotation: " + reason) }
        guard let equals = text.firstIndex(of: "=") else { throw fail("expected KEY=VALUE") }
        var key = String(text[..<equals])
        let value = String(text[text.index(after: equals)...])
        var targets: [Target] = [.manifest]
        var platform: Platform?
        // A key may itself hold colons (`org.example:tag`): only a prefix naming known types
        // (with an optional [platform]) is a type.
        if let colon = key.firstIndex(of: ":") {
            var prefix = String(key[..<colon])
            var platformText: String?
            if prefix.hasSuffix("]"), let open = prefix.firstIndex(of: "[") {
                platformText = String(prefix[prefix.index(after: open)..<prefix.index(before: prefix.endIndex)])
                prefix = String(prefix[..<open])
            }
            let names = prefix.split(separator: ",").map(String.init)
            let parsed = names.compactMap(Target.init(rawValue:))
            if !names.isEmpty, parsed.count == names.count {
                targets = parsed
                key = String(key[key.index(after: colon)...])
                if let platformText {
                    guard let value = Platform(parsing: platformText) else { throw fail("bad platform \"\(platformText)\"") }
                    platform = value
                }
            } else if platformText != nil {
                throw fail("unknown annotation type \"\(prefix)\" (manifest, index, manifest-descriptor, index-descriptor)")
            }
        }
        guard !key.isEmpty else { throw fail("empty key") }
        self.init(targets: targets, platform: platform, key: key, value: value)
    }

    /// The `annotation.*` options of an `--output` (`annotation.KEY`, `annotation-index.KEY`,
    /// `annotation-manifest-descriptor[linux/amd64].KEY`…), or nil for another key.
    public init?(outputKey: String, value: String) throws {
        guard outputKey.hasPrefix("annotation") else { return nil }
        guard let dot = outputKey.firstIndex(of: ".") else { return nil }
        let head = String(outputKey[..<dot])
        let key = String(outputKey[outputKey.index(after: dot)...])
        var type = head == "annotation" ? "manifest" : String(head.dropFirst("annotation-".count))
        guard head == "annotation" || head.hasPrefix("annotation-") else { return nil }
        var platform = ""
        if let open = type.firstIndex(of: "[") {
            platform = String(type[open...])
            type = String(type[..<open])
        }
        try self.init(parsing: "\(type)\(platform):\(key)=\(value)")
    }

    /// As given on the command line (recorded with the build, parsed again by a replay).
    public var description: String {
        let types = targets.map(\.rawValue).joined(separator: ",")
        return "\(types)\(platform.map { "[\($0)]" } ?? ""):\(key)=\(value)"
    }

    /// The annotations for `target` (and `platform`, when they name one) among `list`.
    public static func values(_ list: [ImageAnnotation], for target: Target, platform: Platform? = nil) -> [String: String] {
        var values: [String: String] = [:]
        for annotation in list where annotation.targets.contains(target) {
            if let wanted = annotation.platform, let platform, !platform.matches(wanted) { continue }
            values[annotation.key] = annotation.value
        }
        return values
    }
}
