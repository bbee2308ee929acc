import BuildJournal
import ContentStore
import Foundation
import OCIImage
import Sandbox

/// Runs a command inside an image from the journal's store, as `docker run --rm` does: the
/// image's layers as a read-only overlay with a throw-away upper directory, its environment,
/// working directory and user, no network unless asked. Nothing it writes is kept.
public struct ImageRunner: Sendable {
    public let journal: Journal
    public let runner: any StepRunner

    public init(journal: Journal, runner: any StepRunner) {
        self.journal = journal
        self.runner = runner
    }

    /// Runs `arguments` (nil: the image's entrypoint and cmd) in the image `manifest` (an
    /// index: its manifest for `platform`); another architecture's image runs under QEMU user
    /// emulation (``UserEmulation``).
    public func run(manifest: Digest, arguments: [String]?, environment: [String] = [],
                    network: SandboxNetwork = .none, platform: Platform = .linuxAMD64,
                    output: (@Sendable (StepOutputChunk) -> Void)? = nil) async throws -> StepResult {
        let store = journal.store
        let resolved = try store.resolveImage(store.imageDescriptor(for: manifest), platform: platform)
        if UserEmulation.qemuName(for: resolved.configuration.architecture) != nil {
            do {
                try UserEmulation.prepare(architecture: resolved.configuration.architecture)
            } catch let error as EmulationError {
                throw EngineError.unsupported(message: "the image runs \(resolved.configuration.architecture) programs: \(error)",
                                              location: nil)
            }
        }
        let diffIDs = resolved.configuration.rootfs.diffIDs
        guard diffIDs.count == resolved.manifest.layers.count else {
            throw EngineError.unsupported(message: "image \(manifest) has \(resolved.manifest.layers.count) layers but \(diffIDs.count) diff ids", location: nil)
        }
        let layers = zip(resolved.manifest.layers, diffIDs).map { ImageState.Layer(descriptor: $0, diffID: $1) }
        let config = resolved.configuration.config
        let argv = arguments ?? ((config?.entrypoint ?? []) + (config?.cmd ?? []))
        guard !argv.isEmpty else { throw EngineError.unsupported(message: "the image has no entrypoint or cmd; give a command", location: nil) }
        let scratch = journal.root + "/tmp/run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileIO.makeDirectories(scratch + "/upper")
        try FileIO.makeDirectories(scratch + "/work")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let cache = try LayerCache(directory: journal.root + "/layers", store: store, transientDirectory: scratch + "/lowers")
        let spec = SandboxSpec(
            lowerDirectories: try cache.lowerDirectories(for: layers), upperDirectory: scratch + "/upper",
            workDirectory: scratch + "/work", arguments: argv,
            environment: (config?.env ?? ["PATH=\(SandboxSpec.defaultSearchPath)"]) + environment,
            workingDirectory: (config?.workingDir).flatMap { $0.isEmpty ? nil : $0 } ?? "/",
            user: SandboxUser(config?.user ?? ""), network: network)
        return try await runner.run(spec, output: output)
    }
}
