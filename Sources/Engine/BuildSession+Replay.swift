#if canImport(Glibc)
import Glibc
#endif
import BuildJournal
import ContentStore
import Foundation
import LayerArchive
import OCIImage

/// The engine's side of a replay (`BuildRequest.replay`): each hook is a no-op for a build.
extension BuildSession {
    /// Marks the record as a replay of the build it re-executes, and lists image contexts, which
    /// a replay pins by digest rather than importing them again from their layouts.
    func beginReplayRecord() {
        guard let replay = request.replay else { return }
        recorder.update { record in
            record.kind = .replay
            record.replayOf = replay.replayOf
            for (name, digest) in replay.imageContexts.sorted(by: { $0.key < $1.key }) {
                record.contexts.append(.init(name: name, origin: "pinned:\(digest)", image: digest))
            }
        }
    }

    /// The images a replay resolves by recorded digest, so a moved tag cannot change it.
    var pinnedImages: [String: Digest] {
        guard let replay = request.replay else { return [:] }
        return replay.pinnedImages.merging(replay.imageContexts) { pinned, _ in pinned }
    }

    /// A step a replay takes from the record instead of running it (`--step`, `--from-step`):
    /// only when its inputs are provably those of the record, i.e. its key is the recorded key.
    /// Otherwise (an input the replay could not restore, a variation that changes what the step
    /// sees) the step runs again.
    func reusedRecordedStep(_ index: Int, matching key: CacheKey) -> (StepRecord, LayerRecord)? {
        guard let step = request.replay?.reusedSteps[index], step.cacheKey == key.digest,
              let layer = step.layer, journal.store.contains(layer.digest) else { return nil }
        return (step, layer)
    }

    /// The path steps see for a materialised source directory (shuffled for fileordering).
    func presented(_ directory: String) throws -> String {
        guard let presenter = request.directoryPresenter else { return directory }
        return try presenter.present(directory)
    }
}
