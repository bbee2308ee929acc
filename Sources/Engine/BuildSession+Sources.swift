#if canImport(Glibc)
import Glibc
#endif
import BuildJournal
import ContentStore
import Foundation
import Frontend
import LayerArchive
import OCIImage

/// Where `COPY --from`, `RUN --mount from=` and the main context read files: contexts
/// materialised from their snapshots, stages and images flattened from their layers. Each is
/// made once per build, in the build's scratch directory.
extension BuildSession {
    /// A host directory holding the whole tree `name` refers to (nil: the main context).
    func sourceRoot(named name: String?, location: Frontend.SourceLocation) throws -> String {
        let key = name ?? Self.mainContext
        let directory = scratch + "/sources/" + Digest(ofUTF8: key).short
        if FileIO.isDirectory(directory) { return try presented(directory) }
        if let loaded = contexts[key] {
            try materialize(loaded.snapshot, into: directory)
            return try presented(directory)
        }
        // A stage or image is flattened once per chain of layers, whatever it is called:
        // `COPY --from=builder` and `COPY --from=0` name one stage, and flattening a base image
        // (gunzip and extract every layer) costs more than the rest of a cached build.
        let state = try sourceState(named: key, location: location)
        let chain = Digest(ofUTF8: state.layers.map(\.descriptor.digest.description).joined(separator: "\n"))
        let flattened = scratch + "/sources/layers-" + chain.short
        if !FileIO.isDirectory(flattened) { try flatten(state, into: flattened) }
        return try presented(flattened)
    }

    /// The image state a non-context source names: a stage (by name or index), an image context,
    /// or an image from the journal.
    func sourceState(named name: String, location: Frontend.SourceLocation) throws -> ImageState {
        if let plan {
            let lowered = name.lowercased()
            if let stage = plan.stages.first(where: { $0.name == lowered }) ?? Int(name).flatMap({ index in
                plan.stages.indices.contains(index) ? plan.stages[index] : nil
            }) {
                guard let result = stageResult(stage.index) else {
                    throw EngineError.unsupported(message: "stage '\(name)' is used before it was built",
                                                  location: location)
                }
                return result.state
            }
        }
        return try baseState(named: name, location: location).0
    }

    private func materialize(_ snapshot: TreeSnapshot, into directory: String) throws {
        let temporary = Self.partial(directory)
        try FileIO.makeDirectories(temporary)
        try snapshot.materialize(into: temporary, store: journal.store)
        try Self.publish(temporary, as: directory)
    }

    /// A private place to build `directory` in: stages running at the same time may both need it.
    private static func partial(_ directory: String) -> String {
        directory + ".partial-\(UInt64.random(in: 0...UInt64.max))"
    }

    /// Renames a finished tree into place; when a concurrent stage got there first, its tree
    /// (the same files) is kept and ours goes.
    private static func publish(_ temporary: String, as directory: String) throws {
        guard rename(temporary, directory) != 0 else { return }
        let failure = errno
        try? FileManager.default.removeItem(atPath: temporary)
        guard failure == EEXIST || failure == ENOTEMPTY else {
            errno = failure
            throw SystemCallError("rename", path: directory)
        }
    }

    /// Applies every layer of `state`, bottom to top, into one plain directory.
    private func flatten(_ state: ImageState, into directory: String) throws {
        let temporary = Self.partial(directory)
        try FileIO.makeDirectories(temporary)
        for layer in state.layers {
            _ = try LayerApplier(mode: .merge, allowDevices: true, symlinks: .clampToRoot)
                .apply(blob: layer.descriptor.digest, in: journal.store, to: temporary)
        }
        // The root is a directory made now, and extracting into it touched it: give it fixed
        // metadata, so that what a mount of the stage shows (and its key) is the same each build.
        chmod(temporary, 0o755)
        var epoch = [timespec(tv_sec: 0, tv_nsec: 0), timespec(tv_sec: 0, tv_nsec: 0)]
        guard utimensat(AT_FDCWD, temporary, &epoch, 0) == 0 else { throw SystemCallError("utimensat", path: temporary) }
        try Self.publish(temporary, as: directory)
    }
}
