import ArgumentParser
import Engine
import Foundation
import Replay

/// `--vary`, shared by replay, verify and build.
struct VariationOptions: ParsableArguments {
    @Option(name: .customLong("vary"), help: ArgumentHelp(
        "Vary the environment: comma-separated time, hostname, environment, umask, fileordering, buildpath, timezone, locale, cpus, aslr; or all, none (repeatable).",
        valueName: "variations"),
        completion: .list(Variation.allCases.map(\.rawValue) + ["all", "none"]))
    var vary: [String] = []

    var variations: VariationSet {
        get throws { try VariationSet(parsing: vary) }
    }

    func validate() throws {
        do {
            _ = try VariationSet(parsing: vary)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

extension VariationOptions {
    /// A build under variations (`reprise build --vary …`): the engine's share goes into the
    /// request; fileordering shows bind-mounted sources through disorderfs (the caller unmounts).
    /// time and buildpath mean nothing for a first build and are only recorded.
    func applied(to request: BuildRequest) throws -> (BuildRequest, FileOrderShuffler?) {
        let chosen = try variations
        guard !chosen.isEmpty else { return (request, nil) }
        var request = request
        request.variations = chosen.engineVariations
        let mounts = NSTemporaryDirectory() + "reprise-fileordering-\(getpid())"
        let shuffler = chosen.contains(.fileordering) ? try FileOrderShuffler(mountingUnder: mounts) : nil
        request.directoryPresenter = shuffler
        return (request, shuffler)
    }
}
