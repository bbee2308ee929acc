import BuildJournal
import ContentStore
import Engine
import Foundation
import Replay

/// Judges a probe's outcome under the predicate, against the good reference where the
/// predicate compares (`--differs`, `--file`).
struct ProbeJudge {
    let engine: BuildEngine
    let predicate: BisectPredicate
    /// The good reference: its manifest, and for `--file` the file's state in it.
    var referenceManifest: String?
    var referenceFile: ImageFile??

    init(engine: BuildEngine, predicate: BisectPredicate) {
        self.engine = engine
        self.predicate = predicate
    }

    /// Takes the good reference from an outcome (the good probe, or the good revision's build).
    mutating func adoptReference(_ outcome: BuildOutcome) throws {
        referenceManifest = outcome.manifest
        if case .file(let path) = predicate, let manifest = outcome.manifest.flatMap({ Digest($0) }) {
            referenceFile = .some(try ImageFile.read(path, manifest: manifest, store: engine.journal.store))
        }
    }

    func verdict(_ outcome: BuildOutcome) async throws -> ProbeVerdict {
        switch predicate {
        case .fails(let step):
            guard !outcome.succeeded else { return .good }
            if let step, outcome.failedStep != step { return .skip }
            return .bad
        case .differs:
            guard outcome.succeeded else { return .skip }
            return outcome.manifest == referenceManifest ? .good : .bad
        case .file(let path):
            guard outcome.succeeded, let manifest = outcome.manifest.flatMap({ Digest($0) }),
                  case .some(let reference) = referenceFile else { return .skip }
            let state = try ImageFile.read(path, manifest: manifest, store: engine.journal.store)
            return state == reference ? .good : .bad
        case .run(let command):
            guard outcome.succeeded, let manifest = outcome.manifest.flatMap({ Digest($0) }) else { return .skip }
            let result = try await ImageRunner(journal: engine.journal, runner: engine.runner)
                .run(manifest: manifest, arguments: ["/bin/sh", "-c", command])
            let status: Int32 = switch result.status {
            case .exited(let code): code
            case .signaled: 128
            }
            // As `git bisect run`: 125 means "cannot test this one".
            return status == 0 ? .good : status == 125 ? .skip : .bad
        case .unreproducible:
            guard outcome.succeeded, let id = outcome.buildID else { return .skip }
            let replay = try await Replayer(engine: engine).replay(ReplayOptions(build: id))
            return replay.reproducible ? .good : .bad
        }
    }
}
