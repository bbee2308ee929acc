import ContentStore
import Foundation
import LayerArchive
import OCIImage

/// One path of an image's file system, as the layers leave it: what `--file PATH` compares.
struct ImageFile: Sendable, Hashable {
    var kind: String
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var linkName: String
    var content: Digest?

    /// The state of `path` in the image `manifest`, or nil when the image has no such path.
    /// Layers are read in order; a later entry replaces an earlier one and a whiteout (the
    /// path's own, or an opaque marker in a parent) removes it.
    static func read(_ path: String, manifest: Digest, store: BlobStore) throws -> ImageFile? {
        let wanted = normalized(path)
        let parent = (wanted as NSString).deletingLastPathComponent
        let name = (wanted as NSString).lastPathComponent
        let resolved = try store.resolveImage(store.imageDescriptor(for: manifest))
        var state: ImageFile?
        for layer in resolved.manifest.layers {
            let reader = try LayerReader(blob: layer.digest, in: store)
            while let entry = try reader.next() {
                let entryPath = normalized(entry.path)
                if entryPath == wanted {
                    state = ImageFile(kind: "\(entry.kind)", mode: entry.mode & 0o7777, uid: entry.uid, gid: entry.gid,
                                      linkName: entry.linkName,
                                      content: entry.kind == .regular ? Digest(of: try reader.readContent()) : nil)
                } else if entryPath == (parent.isEmpty ? "" : parent + "/") + ".wh." + name {
                    state = nil
                } else if entryPath.hasSuffix("/.wh..wh..opq") || entryPath == ".wh..wh..opq",
                          wanted.hasPrefix(String(entryPath.dropLast(".wh..wh..opq".count))) {
                    state = nil
                } else if wanted.hasPrefix(entryPath + "/"), entry.kind != .directory {
                    // A parent replaced by something that is not a directory.
                    state = nil
                }
            }
        }
        return state
    }

    static func normalized(_ path: String) -> String {
        var text = Substring(path)
        while text.hasPrefix("./") { text = text.dropFirst(2) }
        while text.hasPrefix("/") { text = text.dropFirst() }
        while text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }
}
