#if canImport(Glibc)
import Glibc
#endif
import CSandbox
import Foundation

/// A read-only view of the root filesystem an overlay mount would show, computed from its layer
/// directories on the host without mounting anything.
///
/// The sandbox needs it before the clone: to resolve `USER` through `/etc/passwd` and
/// `/etc/group`, and to find which mount points are missing (see ``MountPointScaffold``). It follows
/// overlayfs's lookup rules: the top-most layer holding a name wins; a whiteout (character device
/// 0/0) hides the name below it; a non-directory hides everything below it; directories merge
/// unless one is marked opaque (`trusted.overlay.opaque` or `user.overlay.opaque` = `y`).
/// Symbolic links are followed inside the view, never on the host. A metadata-only file of a
/// redirecting lower (see ``LowerData``) shows the bytes of the file it redirects to, as the
/// sandbox's overlay shows them.
public struct LayeredRootView: Sendable {
    /// Layer directories, top-most first (for a run: the upper, then the lowers).
    public let layers: [String]
    /// The data-only layer and the lowers whose redirects are followed; nil: none is.
    public let lowerData: LowerData?

    /// What a path names in the merged view.
    public enum Kind: Sendable, Equatable {
        case directory
        case regularFile
        case symbolicLink
        case other
    }

    /// A name found in the view.
    public struct Entry: Sendable {
        /// Path components inside the root, free of symlinks, `.` and `..`.
        public var components: [String]
        public var kind: Kind
        /// Host path of the entry in the top-most layer that shows it (whose attributes the
        /// merged view reports).
        public var hostPath: String
        /// Host paths of every layer directory merged into this entry, top-most first (only
        /// directories merge; other kinds have one).
        var mergedHostPaths: [String]
    }

    /// The outcome of resolving a path.
    public enum Resolution: Sendable {
        case found(Entry)
        /// `existing` is the deepest directory that exists; `missing` are the components below it
        /// that do not, in order (already free of symlinks since none of them exist).
        case missing(existing: Entry, missing: [String])
    }

    /// Errors while resolving inside the view.
    public enum ResolutionError: Error, Equatable, CustomStringConvertible {
        case notADirectory(String)
        case tooManySymbolicLinks(String)

        public var description: String {
            switch self {
            case .notADirectory(let path): "a component of \(path) is not a directory"
            case .tooManySymbolicLinks(let path): "too many symbolic links resolving \(path)"
            }
        }
    }

    public init(layers: [String], lowerData: LowerData? = nil) {
        self.layers = layers
        self.lowerData = lowerData
    }

    var root: Entry {
        Entry(components: [], kind: .directory, hostPath: layers.first ?? "/",
              mergedHostPaths: layers)
    }

    /// Resolves `path` (absolute inside the root, or relative to it), following symbolic links,
    /// including a final one when `followFinalLink` is set.
    public func resolve(_ path: String, followFinalLink: Bool = true) throws -> Resolution {
        var pending = Self.components(of: path)
        var current = root
        var stack: [Entry] = []
        var linksFollowed = 0
        while !pending.isEmpty {
            let name = pending.removeFirst()
            if name == "." { continue }
            if name == ".." {
                current = stack.popLast() ?? root
                continue
            }
            guard let child = lookup(name, in: current) else {
                let rest = [name] + pending.filter { $0 != "." }
                return .missing(existing: current, missing: rest)
            }
            if child.kind == .symbolicLink && (!pending.isEmpty || followFinalLink) {
                linksFollowed += 1
                if linksFollowed > 40 { throw ResolutionError.tooManySymbolicLinks(path) }
                let target = Self.readLink(child.hostPath)
                if target.hasPrefix("/") {
                    stack = []
                    current = root
                }
                pending = Self.components(of: target) + pending
                continue
            }
            if !pending.isEmpty && child.kind != .directory {
                throw ResolutionError.notADirectory(path)
            }
            stack.append(current)
            current = child
        }
        return .found(current)
    }

    /// The bytes of a regular file in the view, or nil if the path does not name one.
    public func contents(of path: String) -> [UInt8]? {
        guard case .found(let entry)? = try? resolve(path), entry.kind == .regularFile,
              let data = FileManager.default.contents(atPath: dataPath(of: entry))
        else { return nil }
        return [UInt8](data)
    }

    /// The host file holding a regular file's bytes: its own, or for a metadata-only file of a
    /// redirecting lower the one it names in the data directory. The engine writes the name as
    /// `/HEX` (one component); anything else is not followed, and neither is a redirect in any
    /// other layer (the overlay would not follow it either).
    public func dataPath(of entry: Entry) -> String {
        guard let lowerData, entry.kind == .regularFile,
              lowerData.redirectingLowers.contains(where: { entry.hostPath.hasPrefix($0 + "/") }),
              Self.attribute(Self.metacopyAttribute, of: entry.hostPath) != nil,
              let redirect = Self.attribute(Self.redirectAttribute, of: entry.hostPath),
              redirect.first == UInt8(ascii: "/"), redirect.count > 1,
              !redirect.dropFirst().contains(UInt8(ascii: "/")),
              redirect != Array("/..".utf8), redirect != Array("/.".utf8)
        else { return entry.hostPath }
        return lowerData.directory + String(decoding: redirect, as: UTF8.self)
    }

    /// overlayfs's attributes of a metadata-only file (LayerArchive's `OverlayXattr` writes them).
    static let metacopyAttribute = "trusted.overlay.metacopy"
    static let redirectAttribute = "trusted.overlay.redirect"

    /// An extended attribute's value (at most 4 KiB), nil when absent.
    static func attribute(_ name: String, of hostPath: String) -> [UInt8]? {
        var value = [UInt8](repeating: 0, count: 4096)
        let length = csb_lgetxattr(hostPath, name, &value, value.count)
        return length >= 0 ? Array(value[..<Int(length)]) : nil
    }

    /// Looks `name` up in the merged directory `directory`, with overlayfs's precedence rules.
    func lookup(_ name: String, in directory: Entry) -> Entry? {
        var merged: [String] = []
        var topKind: Kind?
        for layerDirectory in directory.mergedHostPaths {
            let hostPath = layerDirectory + "/" + name
            var info = stat()
            guard lstat(hostPath, &info) == 0 else { continue }
            let kind = Self.kind(of: info)
            if kind == .other && (info.st_mode & S_IFMT) == S_IFCHR && info.st_rdev == 0 {
                break  // a whiteout hides this name in every layer below
            }
            if topKind == nil {
                topKind = kind
                merged.append(hostPath)
                if kind != .directory || Self.isOpaque(hostPath) { break }
            } else {
                // Below a directory only directories merge; anything else ends the merge.
                guard kind == .directory else { break }
                merged.append(hostPath)
                if Self.isOpaque(hostPath) { break }
            }
        }
        guard let kind = topKind, let top = merged.first else { return nil }
        return Entry(components: directory.components + [name], kind: kind, hostPath: top,
                     mergedHostPaths: merged)
    }

    static func components(of path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func kind(of info: stat) -> Kind {
        switch info.st_mode & S_IFMT {
        case S_IFDIR: .directory
        case S_IFREG: .regularFile
        case S_IFLNK: .symbolicLink
        default: .other
        }
    }

    static func isOpaque(_ hostPath: String) -> Bool {
        for attribute in ["trusted.overlay.opaque", "user.overlay.opaque"] {
            var value: UInt8 = 0
            if csb_lgetxattr(hostPath, attribute, &value, 1) == 1 && value == UInt8(ascii: "y") {
                return true
            }
        }
        return false
    }

    static func readLink(_ hostPath: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(hostPath, &buffer, buffer.count - 1)
        guard length >= 0 else { return "" }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
