#if canImport(Glibc)
import Glibc
#endif
import BuildJournal
import ContentStore
import Engine
import Foundation
import LayerArchive
import OCIImage
import Sandbox

/// Builds one probe: writes a hybrid's Dockerfile and contexts into a fresh directory under the
/// journal, and runs the engine on them with the step cache, good's images pinned, and the
/// probe's cache-mount states restored. The probe is recorded like any build (kind `replay`,
/// `replayOf` the good build), so it can itself be diffed, replayed or bisected.
struct ProbeBuilder {
    let engine: BuildEngine
    let good: RecordedBuild
    /// Steps that always run (cache-mount steps of either build).
    let uncachedSteps: Set<Int>
    /// Secrets given to every probe (`--secret`).
    var secrets: [SecretSource] = []

    func build(_ inputs: HybridInputs) async throws -> BuildOutcome {
        let journal = engine.journal
        let root = journal.root + "/tmp/bisect-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileIO.makeDirectories(root + "/dockerfile")
        let dockerfilePath = root + "/dockerfile/" + (inputs.dockerfileName.isEmpty ? "Dockerfile" : inputs.dockerfileName)
        try FileIO.writeFileAtomically(dockerfilePath, inputs.dockerfile)
        var contextPath = ""
        var named: [NamedContextSource] = []
        for (offset, (name, tree)) in inputs.trees.sorted(by: { $0.key < $1.key }).enumerated() {
            let directory = root + "/context-\(offset)"
            try tree.materialize(into: directory, store: journal.store)
            if name == "context" { contextPath = directory } else { named.append(NamedContextSource(name: name, origin: .directory(directory))) }
        }
        defer { forgetStatCaches([contextPath] + named.compactMap { if case .directory(let path) = $0.origin { path } else { nil } }) }
        guard !contextPath.isEmpty else { throw BisectError.notBisectable("the good build's record holds no main context") }

        var request = BuildRequest(
            contextPath: contextPath, dockerfilePath: dockerfilePath, buildArguments: inputs.buildArguments,
            target: inputs.target, namedContexts: named, secrets: secrets,
            ssh: good.record.ssh.map { SSHSource(id: $0, paths: []) }, network: inputs.network,
            platform: Platform(parsing: inputs.platform) ?? .linuxAMD64, sourceDateEpoch: inputs.sourceDateEpoch)
        if let limits = good.record.limits {
            request.resourceLimits = ResourceLimits(pids: limits.pids, memoryBytes: limits.memoryBytes,
                                                    ulimits: try limits.ulimits.map(Ulimit.init(parsing:)),
                                                    shmSizeBytes: limits.shmSizeBytes)
        }
        var replay = ReplayInputs(replayOf: good.record.id, pinnedImages: inputs.baseImages,
                                  imageContexts: inputs.imageContexts, cacheStates: inputs.cacheStates,
                                  recordedStart: good.record.startedAt)
        replay.uncachedSteps = uncachedSteps
        replay.recordedFetches = inputs.recordedFetches
        request.replay = replay
        return try await BuildOutcome.run(engine, request)
    }

    /// The engine keeps a stat cache per context path; these paths never come back.
    private func forgetStatCaches(_ paths: [String]) {
        for path in paths where !path.isEmpty {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            unlink(engine.journal.root + "/statcache/" + Digest(ofUTF8: absolute).short)
        }
    }
}
