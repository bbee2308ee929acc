import ContentStore

/// An image name as Docker reads it, normalised: `alpine` is `docker.io/library/alpine:latest`.
///
/// The engine matches `FROM` names and named contexts by the normalised form, so `alpine`,
/// `library/alpine` and `docker.io/library/alpine:latest` are one image. The grammar is that of
/// the distribution project's `reference` package (the one Docker and BuildKit use).
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    /// The registry host, with port if any: `docker.io`, `localhost:5000`, `ghcr.io`.
    public var domain: String
    /// The repository path: `library/alpine`, `x/y`.
    public var path: String
    /// The tag; `latest` when neither a tag nor a digest was given.
    public var tag: String?
    public var digest: Digest?

    public static let defaultDomain = "docker.io"

    /// Parses and normalises a reference (`alpine`, `alpine:3.19`, `repo@sha256:…`,
    /// `localhost:5000/x/y:tag`).
    public init(parsing text: String) throws {
        func fail(_ reason: String) -> ImageError { .invalidReference(text, reason: reason) }
        guard !text.isEmpty else { throw fail("empty") }
        if text.utf8.count == 64, Digest(hex: text) != nil {
            throw fail("cannot use a 64-character hexadecimal string as a repository name")
        }
        var rest = Substring(text)
        if let at = rest.firstIndex(of: "@") {
            let digestText = String(rest[rest.index(after: at)...])
            guard let digest = Digest(digestText) else {
                throw fail("\"\(digestText)\" is not a sha256 digest")
            }
            self.digest = digest
            rest = rest[..<at]
        }
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let tag = String(rest[rest.index(after: colon)...])
            guard Self.isValidTag(tag) else { throw fail("invalid tag \"\(tag)\"") }
            self.tag = tag
            rest = rest[..<colon]
        }
        var domain = Self.defaultDomain
        var path = rest
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                domain = String(first)
                path = rest[rest.index(after: slash)...]
            }
        }
        if domain == "index.docker.io" { domain = Self.defaultDomain }
        if domain == Self.defaultDomain && !path.contains("/") { path = "library/" + path }
        guard Self.isValidDomain(domain) else { throw fail("invalid registry \"\(domain)\"") }
        guard path.lowercased() == path else { throw fail("repository name must be lowercase") }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard components.allSatisfy(Self.isValidPathComponent) else {
            throw fail("invalid repository name \"\(path)\"")
        }
        guard domain.utf8.count + 1 + path.utf8.count <= 255 else {
            throw fail("repository name is longer than 255 characters")
        }
        self.domain = domain
        self.path = String(path)
        if tag == nil && digest == nil { tag = "latest" }
    }

    /// `domain/path`, without tag or digest.
    public var name: String { domain + "/" + path }

    /// The fully normalised form: `docker.io/library/alpine:latest`, `x.io/y@sha256:…`.
    public var description: String {
        var text = name
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }

    /// The short form `docker` prints: `alpine:latest` for Docker Hub's official images.
    public var familiarDescription: String {
        var familiar = name
        if domain == Self.defaultDomain {
            familiar = path.hasPrefix("library/") && path.split(separator: "/").count == 2
                ? String(path.dropFirst("library/".count)) : path
        }
        if let tag { familiar += ":" + tag }
        if let digest { familiar += "@" + digest.description }
        return familiar
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
    static func isValidTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, bytes.count <= 128, isWord(first) else { return false }
        return bytes.dropFirst().allSatisfy { isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
    static func isValidPathComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        guard let first = bytes.first, let last = bytes.last, isLowerAlnum(first), isLowerAlnum(last) else {
            return false
        }
        var index = 0
        while index < bytes.count {
            if isLowerAlnum(bytes[index]) { index += 1; continue }
            var end = index
            while end < bytes.count && !isLowerAlnum(bytes[end]) { end += 1 }
            let separator = String(decoding: bytes[index..<end], as: UTF8.self)
            guard separator == "." || separator == "_" || separator == "__"
                    || separator.allSatisfy({ $0 == "-" }) else { return false }
            index = end
        }
        return true
    }

    /// Host names made of `[A-Za-z0-9-]` labels (not starting or ending with `-`), or an IPv6
    /// address in brackets; then an optional `:port`.
    static func isValidDomain(_ domain: String) -> Bool {
        var host = Substring(domain)
        if let colon = host.lastIndex(of: ":"), !host[colon...].contains("]") {
            let port = host[host.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber) else { return false }
            host = host[..<colon]
        }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return false }
            return host.dropFirst().dropLast().allSatisfy { $0.isHexDigit || $0 == ":" }
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty && labels.allSatisfy { label in
            let bytes = Array(label.utf8)
            guard let first = bytes.first, let last = bytes.last,
                  isAlnum(first), isAlnum(last) else { return false }
            return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte)
    }

    private static func isAlnum(_ byte: UInt8) -> Bool {
        isLowerAlnum(byte) || (0x41...0x5a).contains(byte)
    }

    private static func isWord(_ byte: UInt8) -> Bool {
        isAlnum(byte) || byte == UInt8(ascii: "_")
    }
}
