import BuildJournal
import Foundation
import NetworkRecorder
import Sandbox

/// The recording network of a RUN step: a namespace whose only way out is Reprise's recorder,
/// which records what the step fetches, or, in a replay, serves what was recorded with no
/// route to the outside at all.
extension BuildSession {
    static let recordingNetwork = "record"

    /// Starts the recorder for the step about to run and points `spec` at it.
    func attachRecordingNetwork(to spec: inout SandboxSpec) throws -> RecordingNetwork {
        let mode: RecorderMode
        if let replay = request.replay {
            mode = .replay(replay.recordedFetches[nextStepIndex] ?? [])
        } else {
            mode = .record(DestinationPolicy(allowed: request.networkRecording.allowed))
        }
        let network = try RecordingNetwork(mode: mode, store: journal.store,
                                           extraTrustRoots: request.networkRecording.trustedCertificates)
        spec.network = .none
        spec.networkNamespacePath = network.namespacePath
        // The recorder's variables win over any a build argument set: there is no other way out.
        spec.environment.removeAll { entry in
            RecordingNetwork.variableNames.contains(String(entry.split(separator: "=", maxSplits: 1).first ?? ""))
        }
        spec.environment += network.environment
        spec.mounts.insert(.secret(Array(RecordingNetwork.resolvConf.utf8), at: "/etc/resolv.conf", mode: 0o644), at: 0)
        return network
    }

    /// Ends the recorder and puts what it saw into the step's record; a request a replay could not
    /// serve fails the step, naming it, even when the step itself did not notice.
    func detachRecordingNetwork(_ network: RecordingNetwork, into details: inout StepDetails) -> String? {
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
