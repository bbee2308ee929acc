#if canImport(Glibc)
import Glibc
#endif
import BuildJournal
import ContentStore
import Foundation
import OCIImage

/// One side of a comparison.
public enum DiffInput: Sendable, CustomStringConvertible {
    /// A build recorded in a journal, by id, unique id prefix or image tag: its image is compared
    /// and its step records attribute differences to Dockerfile lines.
    case build(journal: Journal, reference: String)
    /// An OCI image layout, a directory or a tar (`oci-layout://PATH[:TAG|@DIGEST]`).
    case ociLayout(LayoutReference)
    /// A `docker save` archive.
    case dockerArchive(path: String, selector: ImageSelector?)
    /// A single layer tarball, gzip-compressed or not.
    case layer(path: String)
    /// A directory tree (a root filesystem).
    case directory(path: String)

    /// Reads what a user typed: `oci-layout://PATH[:TAG]`, `docker-archive:PATH`, `layer:PATH`,
    /// `dir:PATH`, a path (detected: a layout, a docker archive, a layer tarball or a
    /// directory), or, when `journal` is given and no such path exists, a build id or tag.
    public static func parse(_ text: String, journal: Journal? = nil) throws -> DiffInput {
        if text.hasPrefix("oci-layout:") { return .ociLayout(try LayoutReference(parsing: text)) }
        if text.hasPrefix("oci:") { return .ociLayout(try LayoutReference(parsing: String(text.dropFirst(4)))) }
        if text.hasPrefix("docker-archive:") {
            return .dockerArchive(path: String(text.dropFirst("docker-archive:".count)), selector: nil)
        }
        if text.hasPrefix("layer:") { return .layer(path: String(text.dropFirst(6))) }
        if text.hasPrefix("dir:") { return .directory(path: String(text.dropFirst(4))) }
        if text.hasPrefix("build:") {
            guard let journal else { throw DifferError.unknownInput(text, reason: "a build needs a journal") }
            return .build(journal: journal, reference: String(text.dropFirst(6)))
        }
        if FileManager.default.fileExists(atPath: text) { return try detect(path: text) }
        // `PATH:TAG` for a layout that exists.
        if let colon = text.lastIndex(of: ":"), !text[colon...].contains("/"),
           FileManager.default.fileExists(atPath: String(text[..<colon])),
           let reference = try? LayoutReference(parsing: text),
           case .ociLayout = try detect(path: reference.path) {
            return .ociLayout(reference)
        }
        if let journal { return .build(journal: journal, reference: text) }
        throw DifferError.unknownInput(text, reason: "no such file, directory or build")
    }

    /// What an existing path holds.
    static func detect(path: String) throws -> DiffInput {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if isDirectory.boolValue {
            if FileManager.default.fileExists(atPath: path + "/oci-layout") { return .ociLayout(LayoutReference(path: path)) }
            if FileManager.default.fileExists(atPath: path + "/manifest.json")
                && FileManager.default.fileExists(atPath: path + "/repositories") {
                return .dockerArchive(path: path, selector: nil)
            }
            return .directory(path: path)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DifferError.unreadable(path, reason: "cannot open")
        }
        let head = (try? handle.read(upToCount: 4)) ?? Data()
        try? handle.close()
        // Compressed files cannot be image layouts or docker archives (those are plain tars).
        if head.starts(with: [0x1f, 0x8b]) || head.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return .layer(path: path) }
        switch try? ImageImporter.detectFormat(at: path) {
        case .ociLayout?: return .ociLayout(LayoutReference(path: path))
        case .dockerArchive?: return .dockerArchive(path: path, selector: nil)
        default: return .layer(path: path)
        }
    }

    public var description: String {
        switch self {
        case .build(_, let reference): return "build \(reference)"
        case .ociLayout(let reference): return reference.description
        case .dockerArchive(let path, let selector): return "docker-archive:\(path)" + (selector.map { ":\($0)" } ?? "")
        case .layer(let path): return path
        case .directory(let path): return path
        }
    }
}
