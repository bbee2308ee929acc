import BuildJournal
import Foundation
import NetworkRecorder
import Sandbox

/// The recording network of a RUN step: a namespace whose only way out is Reprise's recorder,
/// which records what the step fetches, or, in a replay, serves what was recorded with no
/// route to the outside at all.
extension BuildSession {
    static let recordingNetwork = "record"

    /// Starts the recorder for the step about to run and points `spec` at it. A replayed step
    /// that fetched nothing gets no recorder and no network at all (nil), but the same files and
    /// variables, so that it runs exactly as recorded. The namespace is one made ahead
    /// (``PreparedNetworks``); with `anotherFollows` (a later RUN of the stage needs one too), the
    /// next is prepared while this step runs.
    func attachRecordingNetwork(to spec: inout SandboxSpec, step stepIndex: Int,
                                anotherFollows: Bool) async throws -> RecordingNetwork? {
        let mode: RecorderMode
        if let replay = request.replay {
            mode = .replay(replay.recordedFetches[stepIndex] ?? [])
        } else {
            mode = .record(DestinationPolicy(allowed: request.networkRecording.allowed))
        }
        // A replay always intercepts: what it serves over HTTPS was recorded intercepted.
        let intercept = request.networkRecording.interceptTLS || request.replay != nil
        let authority = intercept ? try InterceptionAuthority.loadOrCreate(in: journal.root + "/network-ca") : nil
        // The recorder's variables win over any a build argument set: there is no other way out.
        spec.environment.removeAll { entry in
            RecordingNetwork.variableNames.contains(String(entry.split(separator: "=", maxSplits: 1).first ?? ""))
        }
        spec.environment += RecordingNetwork.environment(intercepting: authority != nil)
        for file in RecordingNetwork.files(authority: authority).reversed() {
            spec.mounts.insert(.secret(Array(file.contents.utf8), at: file.path, mode: 0o644), at: 0)
        }
        if let authority {
            spec.fileAppendices.append(FileAppendix(candidates: RecordingNetwork.trustBundlePaths,
                                                    bytes: Array(("\n" + authority.certificatePEM
                                                        + (authority.certificatePEM.hasSuffix("\n") ? "" : "\n")).utf8)))
        }
        spec.network = .none
        if case .replay(let recorded) = mode, recorded.isEmpty { return nil }
        let namespace = try await preparedNetworks.take()
        if anotherFollows { preparedNetworks.anticipate() }
        let network: RecordingNetwork
        do {
            network = try RecordingNetwork(mode: mode, store: journal.store, authority: authority,
                                           extraTrustRoots: request.networkRecording.trustedCertificates,
                                           namespace: namespace)
        } catch {
            namespace.remove()
            throw error
        }
        spec.networkNamespacePath = network.namespacePath
        return network
    }

    /// At a stage's first step that runs (it missed the cache): when a RUN of the stage from here
    /// on will run on the recorder, its namespace starts being made now, in the background. A
    /// fully cached stage never gets here, so never pays for it.
    func anticipateRecordingNetwork(_ context: inout StageContext, running: Bool) {
        guard running, !context.recordingNetworkAnticipated else { return }
        context.recordingNetworkAnticipated = true
        if recordingRunAhead(context, includingCurrent: true) { preparedNetworks.anticipate() }
    }

    /// Whether a RUN of the stage after the step being driven (or from it, `includingCurrent`)
    /// runs on the recorder: on the recording network and, in a replay, with fetches recorded
    /// (a replayed step that fetched nothing gets no network at all).
    func recordingRunAhead(_ context: StageContext, includingCurrent: Bool) -> Bool {
        // The instruction being driven; -1 while the base's ONBUILD triggers run.
        let current = context.position - 2
        let first = includingCurrent ? max(current, 0) : current + 1
        let instructions = context.stage.instructions
        guard first < instructions.count else { return false }
        for index in first..<instructions.count {
            guard case .run(let run) = instructions[index].expanded, runNetwork(run) == Self.recordingNetwork else { continue }
            // In a trigger the later steps' indices are not at hand: assume the RUN records.
            guard let replay = request.replay, current >= 0 else { return true }
            if !(replay.recordedFetches[context.stepIndex + index - current] ?? []).isEmpty { return true }
        }
        return false
    }

    /// Ends the recorder and puts what it saw into the step's record; a request a replay could not
    /// serve fails the step, naming it, even when the step itself did not notice.
    func detachRecordingNetwork(_ network: RecordingNetwork?, into details: inout StepDetails) -> String? {
        guard let network else {
            details.fetches = []
            details.networkReplayable = true
            return nil
        }
        let transcript = network.finish()
        details.fetches = transcript.fetches
        details.networkReplayable = transcript.replayable
        for refusal in transcript.refusals where !transcript.misses.contains("\(refusal.method) \(refusal.url)") {
            emit(.warning("the network recorder refused \(refusal.method) \(refusal.url): \(refusal.note ?? "")"))
        }
        guard !transcript.misses.isEmpty else { return nil }
        return "network request\(transcript.misses.count == 1 ? "" : "s") not in the record: "
            + transcript.misses.joined(separator: ", ")
    }
}

extension BuildSession {
    /// `ADD <url>` on the recording network: fetched by the recorder and recorded with the
    /// step, or, in a replay, served from the step's record without the network.
    func fetchRecorded(_ url: String, checksum: String?, mtime: Int64, step stepIndex: Int) async throws -> (RemoteSource.Fetched, FetchRecord) {
        let mode: RecorderMode
        if let replay = request.replay {
            mode = .replay(replay.recordedFetches[stepIndex] ?? [])
        } else {
            mode = .record(DestinationPolicy(allowed: request.networkRecording.allowed))
        }
        let fetcher = URLFetcher(mode: mode, store: journal.store, extraTrustRoots: request.networkRecording.trustedCertificates)
        let record = try await fetcher.get(url)
        guard record.kind != .refused, let body = record.body, let status = record.status else {
            throw RemoteSource.Failure.transport(url, record.note ?? "not fetched")
        }
        guard (200..<300).contains(status) else { throw RemoteSource.Failure.http(url, status) }
        if let checksum, checksum != body.description {
            throw RemoteSource.Failure.checksum(url, expected: checksum, actual: body.description)
        }
        let lastModified = record.responseHeaders.first { $0.name.lowercased() == "last-modified" }?.value
        return (RemoteSource(store: journal.store).fetched(url: url, body: body, size: record.size ?? 0,
                                                          lastModified: lastModified, mtime: mtime), record)
    }
}
