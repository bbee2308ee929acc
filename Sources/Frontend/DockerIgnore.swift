/// A `.dockerignore` file: which context paths are left out of the build context.
///
/// Follows Docker's rules (moby/patternmatcher and the ignorefile reader): one pattern per
/// line, `#` comments, surrounding whitespace ignored, `!` re-includes, paths cleaned and a
/// leading `/` dropped; `*` and `?` stop at `/`, `**` spans any number of directories, and a
/// pattern that matches a directory excludes everything below it. Later lines win.
public struct DockerIgnore: Sendable, Hashable {
    /// One cleaned pattern.
    public struct Pattern: Sendable, Hashable {
        /// The cleaned pattern text, without the `!`.
        public var text: String
        /// `!pattern`: re-include what earlier patterns excluded.
        public var isException: Bool
        var segments: [Segment]
    }

    enum Segment: Sendable, Hashable {
        /// `**`: zero or more path segments.
        case anyDirectories
        case glob(String)
    }

    public private(set) var patterns: [Pattern]

    /// Parses the contents of a `.dockerignore` file.
    public init(contents: String) {
        var patterns: [Pattern] = []
        var first = true
        for rawLine in contents.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = String(rawLine)
            if first, line.hasPrefix("\u{FEFF}") { line.removeFirst() }
            first = false
            if line.hasPrefix("#") { continue }
            line = line.trimmingASCIIWhitespace()
            guard !line.isEmpty else { continue }
            var isException = false
            if line.hasPrefix("!") {
                isException = true
                line = String(line.dropFirst()).trimmingASCIIWhitespace()
                guard !line.isEmpty else { continue }
            }
            var cleaned = DockerIgnore.clean(line)
            if cleaned.count > 1, cleaned.hasPrefix("/") { cleaned.removeFirst() }
            patterns.append(Pattern(text: cleaned, isException: isException,
                                    segments: DockerIgnore.segments(of: cleaned)))
        }
        self.patterns = patterns
    }

    /// Parses raw bytes (invalid UTF-8 is replaced).
    public init(bytes: [UInt8]) {
        self.init(contents: String(decoding: bytes, as: UTF8.self))
    }

    /// The ignore files that apply to a Dockerfile, most specific first: `PATH.dockerignore`
    /// beside the Dockerfile, then `.dockerignore` at the context root. The first that
    /// exists is used; the caller reads it (this module does not touch the filesystem).
    public static func candidatePaths(dockerfilePath: String, contextDirectory: String) -> [String] {
        let root = contextDirectory.hasSuffix("/") ? String(contextDirectory.dropLast()) : contextDirectory
        return [dockerfilePath + ".dockerignore", (root.isEmpty ? "." : root) + "/.dockerignore"]
    }

    /// Loads the ignore file for a Dockerfile with `read` (returning nil for a missing file);
    /// an empty matcher when neither candidate exists.
    public static func load(dockerfilePath: String, contextDirectory: String,
                            read: (String) -> [UInt8]?) -> DockerIgnore {
        for path in candidatePaths(dockerfilePath: dockerfilePath, contextDirectory: contextDirectory) {
            if let bytes = read(path) { return DockerIgnore(bytes: bytes) }
        }
        return DockerIgnore(contents: "")
    }

    /// Whether `path` (relative to the context root, `/`-separated) is left out of the context.
    public func excludes(_ path: String) -> Bool {
        let segments = DockerIgnore.clean(path).split(separator: "/").map(String.init)
        guard !segments.isEmpty else { return false }
        var matched = false
        for pattern in patterns where pattern.isException == matched {
            // A pattern matching any parent directory matches the path too.
            var matches = false
            for length in 1...segments.count where DockerIgnore.match(pattern.segments[...], segments[..<length]) {
                matches = true
                break
            }
            if matches { matched = !pattern.isException }
        }
        return matched
    }

    /// Whether some path below the excluded directory `directory` could still be
    /// re-included by a `!` pattern. When false, a walker can skip the whole directory.
    public func mayReincludeDescendants(of directory: String) -> Bool {
        let segments = DockerIgnore.clean(directory).split(separator: "/").map(String.init)
        return patterns.contains { pattern in
            pattern.isException && DockerIgnore.couldMatchBelow(pattern.segments[...], segments[...])
        }
    }

    /// `filepath.Clean` on a `/`-separated path.
    static func clean(_ path: String) -> String {
        let rooted = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !rooted {
                    parts.append(part)
                }
                continue
            }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    static func segments(of pattern: String) -> [Segment] {
        pattern.split(separator: "/", omittingEmptySubsequences: true).map { part in
            if part == "**" { return .anyDirectories }
            // `**` inside a segment behaves like `*` within that segment.
            var text = String(part)
            while text.contains("**") { text = text.replacingDoubleStars() }
            return .glob(text)
        }
    }

    static func match(_ pattern: ArraySlice<Segment>, _ path: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        switch first {
        case .anyDirectories:
            let rest = pattern.dropFirst()
            if rest.isEmpty { return true }
            var tail = path
            while true {
                if match(rest, tail) { return true }
                guard !tail.isEmpty else { return false }
                tail = tail.dropFirst()
            }
        case .glob(let glob):
            guard let segment = path.first, globMatches(glob, segment) else { return false }
            return match(pattern.dropFirst(), path.dropFirst())
        }
    }

    /// Whether `pattern` could match `directory` itself, one of its parents, or something below it.
    static func couldMatchBelow(_ pattern: ArraySlice<Segment>, _ directory: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return true }
        guard let segment = directory.first else { return true }
        switch first {
        case .anyDirectories:
            return true
        case .glob(let glob):
            return globMatches(glob, segment) && couldMatchBelow(pattern.dropFirst(), directory.dropFirst())
        }
    }

    static func globMatches(_ glob: String, _ segment: String) -> Bool {
        guard let compiled = try? ShellPattern(glob) else { return false }
        let scalars = Array(segment.unicodeScalars)
        return compiled.matchLengths(in: scalars, from: 0, stopAtFirst: false).last == scalars.count
    }
}

extension String {
    fileprivate func replacingDoubleStars() -> String {
        var output = ""
        var previousWasStar = false
        for character in self {
            if character == "*" && previousWasStar { continue }
            previousWasStar = character == "*"
            output.append(character)
        }
        return output
    }
}
