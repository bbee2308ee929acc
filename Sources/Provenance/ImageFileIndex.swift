import ContentStore
import Crypto
import Foundation
import LayerArchive
import OCIImage

/// The regular files of an image's flattened root filesystem, each with its SHA-256 and SHA-1
/// (SPDX 2.3 requires SHA-1 for files), and the bytes of the few files package catalogs are read
/// from. Layers are applied in order as an OCI runtime would: `.wh.NAME` removes NAME and what
/// is below it, `.wh..wh..opq` hides what lower layers put in its directory.
public struct ImageFileIndex: Sendable {
    public struct File: Sendable, Hashable {
        public var path: String
        public var size: Int64
        public var sha256: String
        public var sha1: String
    }

    /// Path (no leading `./` or `/`) → file.
    public private(set) var files: [String: File] = [:]
    /// Contents kept for `wanted` paths.
    public private(set) var contents: [String: Data] = [:]

    /// Whether a path's contents are kept: package databases and Python distribution metadata.
    public static func isCatalog(_ path: String) -> Bool {
        path == "var/lib/dpkg/status" || path == "lib/apk/db/installed"
            || (path.hasSuffix(".dist-info/METADATA") && path.contains("-packages/"))
    }

    public init(manifest: ContentStore.Digest, store: BlobStore) throws {
        let image = try store.resolveImage(try store.imageDescriptor(for: manifest))
        for layer in image.manifest.layers {
            try apply(layer: layer.digest, store: store)
        }
    }

    private mutating func apply(layer: ContentStore.Digest, store: BlobStore) throws {
        let reader = try LayerReader(blob: layer, in: store)
        var added: [String: File] = [:]
        var addedContents: [String: Data] = [:]
        var hardlinks: [(path: String, target: String)] = []
        while let entry = try reader.next() {
            let path = Self.clean(entry.path)
            let name = (path as NSString).lastPathComponent
            let parent = (path as NSString).deletingLastPathComponent
            if name == ".wh..wh..opq" {
                remove(under: parent, keepingSelf: true)
                continue
            }
            if name.hasPrefix(".wh.") {
                let target = (parent.isEmpty ? "" : parent + "/") + String(name.dropFirst(4))
                remove(under: target, keepingSelf: false)
                continue
            }
            switch entry.kind {
            case .regular:
                var sha256 = SHA256()
                var sha1 = Insecure.SHA1()
                let keep = Self.isCatalog(path)
                var kept = Data()
                try reader.forEachContentChunk { chunk in
                    sha256.update(bufferPointer: chunk)
                    sha1.update(bufferPointer: chunk)
                    if keep { kept.append(contentsOf: chunk) }
                }
                added[path] = File(path: path, size: entry.size, sha256: Self.hex(sha256.finalize()),
                                   sha1: Self.hex(sha1.finalize()))
                if keep { addedContents[path] = kept }
            case .hardlink:
                hardlinks.append((path, Self.clean(entry.linkName)))
            default:
                // A directory, link or device replaces a file of the same path.
                files.removeValue(forKey: path)
                added.removeValue(forKey: path)
            }
        }
        files.merge(added) { _, new in new }
        contents.merge(addedContents) { _, new in new }
        for (path, target) in hardlinks {
            guard var file = files[target] else { continue }
            file.path = path
            files[path] = file
            if let data = contents[target], Self.isCatalog(path) { contents[path] = data }
        }
    }

    private mutating func remove(under path: String, keepingSelf: Bool) {
        let prefix = path.isEmpty ? "" : path + "/"
        for key in files.keys where (!keepingSelf && key == path) || key.hasPrefix(prefix) {
            files.removeValue(forKey: key)
            contents.removeValue(forKey: key)
        }
    }

    static func clean(_ path: String) -> String {
        var path = path
        while path.hasPrefix("./") { path.removeFirst(2) }
        while path.hasPrefix("/") { path.removeFirst() }
        while path.hasSuffix("/") { path.removeLast() }
        return path
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
