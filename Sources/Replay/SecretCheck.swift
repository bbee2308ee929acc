import BuildJournal
import Engine
import Foundation

/// Secrets given to a replay, checked against the record before any step runs: a value whose
/// keyed digest is not the recorded one is refused (the replay would not be the same build), and
/// a secret a step required must be given again. Values are read once and never written.
struct SecretCheck {
    let journal: Journal

    func check(_ secrets: [SecretSource], against build: BuildRecord, steps: [StepRecord]) throws {
        var recorded: [String: String] = [:]
        for use in build.secrets { if let digest = use.digest { recorded[use.id] = digest } }
        for step in steps {
            for mount in step.mounts where mount.kind == .secret {
                if let id = mount.id, let digest = mount.secretDigest { recorded[id] = recorded[id] ?? digest }
            }
        }
        // Digests made under another journal's key (a build brought in by `journal import`)
        // cannot be checked here; the key never travels with a bundle, so a stolen bundle is no
        // oracle for guessing secrets. The values are still required.
        let ours = try journal.secretKeyFingerprint()
        let checkable = build.secrets.allSatisfy { $0.key == nil || $0.key == ours }
        var given = Set<String>()
        for secret in secrets {
            given.insert(secret.id)
            let value = try secret.read()
            if checkable, let expected = recorded[secret.id], try journal.keyedDigest(ofSecret: value) != expected {
                throw ReplayError.secretMismatch(id: secret.id)
            }
        }
        for step in steps {
            for mount in step.mounts where mount.kind == .secret {
                // A mount is recorded only when the build had the value, so the step saw it:
                // without it the replay would run another build.
                guard let id = mount.id, !given.contains(id) else { continue }
                let line = step.location.map { "\($0.file):\($0.startLine)" } ?? step.text
                throw ReplayError.missingSecret(id: id, step: step.index, line: line)
            }
        }
    }
}
