import ContentStore
import Foundation

extension TreeSnapshot {
    /// Recreates the tree under `directory` (created if missing) from the snapshot and the
    /// contents in `store`: files, directories, symlinks, hardlinks, fifos, device nodes (when
    /// `allowDevices`), modes, ownership, mtimes and extended attributes, including the root's.
    /// A snapshot of the result has the same tree digest.
    ///
    /// Paths are resolved as layers are (`ContainedDirectory`), so a snapshot from an untrusted
    /// journal cannot write outside `directory` either.
    public func materialize(into directory: String, store: BlobStore,
                            allowDevices: Bool = true, preserveOwnership: Bool = true) throws {
        let root = try ContainedDirectory(path: directory, policy: .refuse)
        let builder = TreeBuilder(directory: root, allowDevices: allowDevices,
                                  preserveOwnership: preserveOwnership)
        try builder.create(self.root, at: [], shownAs: ".", content: nil)
        for entry in entries {
            let components = try ContainedDirectory.components(of: entry.path, entry: entry.path)
            var content: TreeBuilder.ContentProducer?
            if entry.kind == .file {
                guard let digest = entry.digest else {
                    throw LayerArchiveError.malformed("\(entry.path): snapshot entry has no content digest")
                }
                content = { consume in try store.openReader(digest).forEachChunk(consume) }
            }
            try builder.create(entry, at: components, shownAs: entry.path, content: content)
        }
        try builder.finish()
    }
}
