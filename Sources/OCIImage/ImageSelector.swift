import ContentStore

/// How to pick one image in a layout: by its tag (`org.opencontainers.image.ref.name`) or by
/// the digest of its manifest or index.
public enum ImageSelector: Hashable, Sendable, CustomStringConvertible {
    case tag(String)
    case digest(Digest)

    public var description: String {
        switch self {
        case .tag(let tag): return tag
        case .digest(let digest): return digest.description
        }
    }
}

/// `oci-layout://PATH[:TAG|@DIGEST]`, the form BuildKit's named contexts take
/// (`--build-context base=oci-layout:///images/busybox:latest`).
public struct LayoutReference: Hashable, Sendable, CustomStringConvertible {
    public var path: String
    /// Nil: the layout's only image.
    public var selector: ImageSelector?

    public init(path: String, selector: ImageSelector? = nil) {
        self.path = path
        self.selector = selector
    }

    /// Parses `oci-layout://PATH[:TAG|@DIGEST]`; the scheme may be omitted. A `:` before the last
    /// `/` belongs to the path, so `/data/a:b/layout` has no tag.
    public init(parsing text: String) throws {
        var rest = Substring(text)
        for scheme in ["oci-layout://", "oci-layout:"] where rest.hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
            break
        }
        var selector: ImageSelector?
        if let at = rest.lastIndex(of: "@") {
            let digestText = String(rest[rest.index(after: at)...])
            guard let digest = Digest(digestText) else {
                throw ImageError.invalidReference(text, reason: "\"\(digestText)\" is not a sha256 digest")
            }
            selector = .digest(digest)
            rest = rest[..<at]
        } else if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let tag = String(rest[rest.index(after: colon)...])
            guard !tag.isEmpty else { throw ImageError.invalidReference(text, reason: "empty tag") }
            selector = .tag(tag)
            rest = rest[..<colon]
        }
        guard !rest.isEmpty else { throw ImageError.invalidReference(text, reason: "no layout path") }
        self.init(path: String(rest), selector: selector)
    }

    public var description: String {
        switch selector {
        case nil: return "oci-layout://\(path)"
        case .tag(let tag): return "oci-layout://\(path):\(tag)"
        case .digest(let digest): return "oci-layout://\(path)@\(digest)"
        }
    }
}
