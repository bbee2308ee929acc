import Frontend

/// What `COPY` and `ADD` have in common, as the copy step needs it.
struct CopyRequest {
    var keyword: String
    var sources: [CopySource]
    var destination: String
    var from: String?
    var chown: String?
    var chmod: String?
    var link: Bool
    var parents: Bool
    var excludes: [String]
    /// ADD: unpack local archives (the default); COPY never does.
    var unpack: Bool
    /// `ADD --unpack=true`: a downloaded archive is unpacked too.
    var unpackDownloads: Bool
    var keepGitDirectory: Bool
    var checksum: String?

    init(_ copy: CopyInstruction) {
        keyword = "COPY"
        sources = copy.sources
        destination = copy.destination
        from = copy.from
        chown = copy.chown
        chmod = copy.chmod
        link = copy.link
        parents = copy.parents
        excludes = copy.excludes
        unpack = false
        unpackDownloads = false
        keepGitDirectory = false
        checksum = nil
    }

    init(_ add: AddInstruction) {
        keyword = "ADD"
        sources = add.sources
        destination = add.destination
        from = nil
        chown = add.chown
        chmod = add.chmod
        link = add.link
        parents = false
        excludes = add.excludes
        unpack = add.unpack ?? true
        unpackDownloads = add.unpack == true
        keepGitDirectory = add.keepGitDir
        checksum = add.checksum
    }

    /// The path sources, cleaned: relative to the source root, `..` never above it.
    var pathSources: [String] {
        sources.compactMap { source in
            guard case .path(let path) = source, !RemoteSource.isURL(path), GitURL(path, for: .addSource) == nil else {
                return nil
            }
            return CopyPaths.clean(path)
        }
    }

    /// For each of `pathSources`, the part that `--parents` leaves out of the destination: what
    /// stands before a `/./` pivot (`COPY --parents ./x/./y/*.txt /d/` gives `/d/y/…`), else "".
    var parentsPivots: [String] {
        sources.compactMap { source in
            guard case .path(let path) = source, !RemoteSource.isURL(path), GitURL(path, for: .addSource) == nil else {
                return nil
            }
            let body = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
            guard let pivot = body.range(of: "/./") else { return "" }
            return CopyPaths.clean(String(body[..<pivot.lowerBound]))
        }
    }

    /// ADD's `http(s)://` sources that are not git repositories.
    var urlSources: [String] {
        sources.compactMap { source in
            guard case .path(let path) = source, RemoteSource.isURL(path), GitURL(path, for: .addSource) == nil else {
                return nil
            }
            return path
        }
    }

    /// ADD's git repositories (`https://host/repo.git#ref:dir`, `git://…`, `git@host:…`).
    var gitSources: [GitURL] {
        sources.compactMap { source in
            guard case .path(let path) = source else { return nil }
            return GitURL(path, for: .addSource)
        }
    }

    var heredocSources: [Heredoc] {
        sources.compactMap { source in
            guard case .heredoc(let heredoc) = source else { return nil }
            return heredoc
        }
    }
}

/// Path arithmetic for copies: cleaning, joining, globbing.
enum CopyPaths {
    /// `./a//b/../c/` → `a/c`; `/` and `.` → ``; never climbs above the root.
    static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(component)
            }
        }
        return parts.joined(separator: "/")
    }

    static func join(_ base: String, _ name: String) -> String {
        if base.isEmpty { return name }
        if name.isEmpty { return base }
        return base + "/" + name
    }

    static func isGlob(_ pattern: String) -> Bool {
        pattern.contains { "*?[".contains($0) }
    }

    /// Go's `filepath.Match` semantics — `*` and `?` do not cross `/` — plus `**` as a whole
    /// component, which matches any number of directories (BuildKit's `COPY --parents **/x`).
    static func matches(_ pattern: String, _ path: String) -> Bool {
        guard pattern.contains("**") else { return fnmatch(pattern, path, FNM_PATHNAME) == 0 }
        return matches(pattern.split(separator: "/", omittingEmptySubsequences: true)[...],
                       path.split(separator: "/", omittingEmptySubsequences: true)[...])
    }

    private static func matches(_ pattern: ArraySlice<Substring>, _ path: ArraySlice<Substring>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == "**" {
            // Zero or more whole components.
            for skip in 0...path.count where matches(pattern.dropFirst(), path.dropFirst(skip)) { return true }
            return false
        }
        guard let component = path.first, fnmatch(String(first), String(component), FNM_PATHNAME) == 0 else {
            return false
        }
        return matches(pattern.dropFirst(), path.dropFirst())
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Whether `path` is `ancestor` or lies below it.
    static func isWithin(_ path: String, _ ancestor: String) -> Bool {
        ancestor.isEmpty || path == ancestor || path.hasPrefix(ancestor + "/")
    }
}

#if canImport(Glibc)
import Glibc
#endif
