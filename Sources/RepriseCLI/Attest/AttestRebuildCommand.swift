import ArgumentParser
import BuildJournal
import ContentStore
import Engine
import Foundation
import Provenance
import Replay

/// `reprise attest rebuild ENVELOPE --key KEY.pub [--vsa FILE [--vsa-key KEY]]`: verification by
/// rebuild. The provenance must verify, name a build the journal holds (import its bundle into
/// an empty journal first) and match that build's recorded dependencies; the build is then
/// replayed from the journal alone, and it passes when the replay gives the subject's digest.
/// Writes a SLSA Verification Summary; exit 0 passed, 1 failed, 2 could not run.
struct AttestRebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Verify a signed provenance by rebuilding from the journal; write a SLSA VSA.",
        discussion: CommandHelp.discussion(
            "attest rebuild",
            exitStatus: "Exit status: 0 when the rebuild reproduced the subject, 1 when it did not or a check failed, 2 on error."))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "The signed provenance (a DSSE envelope from `reprise attest --key`).") var envelope: String
    @Option(help: "The public key the provenance must be signed with.") var key: String
    @Option(help: "Secret to expose again: id=ID[,src=PATH|env=VAR].") var secret: [String] = []
    @OptionGroup var variationOptions: VariationOptions
    @Option(help: "Write the verification summary attestation (in-toto statement) to FILE.") var vsa: String?
    @Option(name: .customLong("vsa-key"), help: "Sign the verification summary with this private key (DSSE).")
    var vsaKey: String?
    @Option(help: "Progress output: auto, plain, tty, rawjson or quiet.") var progress: ProgressMode = .auto

    func run() async throws {
        let status = ReplayRunner.errorStatus
        let (data, verificationKey, variations, secrets) = try await CommandFailure.reporting(status: status) {
            guard let data = FileManager.default.contents(atPath: envelope) else {
                throw ValidationError("\(envelope) cannot be read")
            }
            return (data, try KeyFiles.verificationKey(at: key), try variationOptions.variations,
                    try secret.map { try SecretSource(parsing: $0) })
        }
        let report = AttestationVerifier(key: verificationKey).verify(envelope: data)
        let decoded = try? JSONDecoder().decode(DSSEEnvelope.self, from: data)
        let payload = decoded?.payloadData ?? Data()
        let statement = try? JSONDecoder().decode(InTotoStatement<SLSAProvenance>.self, from: payload)
        let policy = RebuildPolicy(keyID: verificationKey.keyID, variations: variations.names, runs: 1)
        let input = ResourceDescriptor(name: "provenance", sha256: Digest(of: payload),
                                       mediaType: "application/vnd.in-toto+json")
        guard report.isValid, let statement, let subject = statement.subject.first, let subjectDigest = subject.sha256 else {
            let findings = report.problems.map {
                VerificationSummary.Finding(step: nil, instruction: nil, location: nil, path: nil, cause: nil, detail: $0)
            }
            try await finish(subject: report.subjects.first ?? ResourceDescriptor(name: "_", sha256: Digest(of: payload)),
                             passed: false, policy: policy, input: input, findings: findings)
            return
        }

        let mode = progress.resolved(stderrIsTTY: Terminal.stderrIsTTY)
        let buildID = statement.predicate.runDetails.metadata.invocationId
        let (checks, journal) = try await CommandFailure.reporting(status: status) { () throws -> ([VerificationSummary.Finding], Journal) in
            let journal = try journalOptions.open(create: false)
            let record: BuildRecord
            do {
                record = try journal.build(id: buildID)
            } catch JournalError.noSuchBuild {
                throw ValidationError("the journal holds no build \(buildID): import its bundle first (reprise journal import)")
            }
            var problems = try DependencyCheck(journal: journal).differences(statement.predicate, record: record)
            if record.manifest != subjectDigest {
                problems.append("build \(buildID) recorded the image \(record.manifest?.description ?? "none"), not the subject \(subjectDigest)")
            }
            return (problems.map { .init(step: nil, instruction: nil, location: nil, path: nil, cause: nil, detail: $0) }, journal)
        }
        guard checks.isEmpty else {
            try await finish(subject: subject, passed: false, policy: policy, input: input, findings: checks)
            return
        }
        let replay = try await ReplayRunner(journalOptions: journalOptions, progress: mode).run { engine in
            try await Replayer(engine: engine).replay(ReplayOptions(build: buildID, secrets: secrets, variations: variations))
        }
        let reproduced = replay.reproducible && replay.replayedManifest == subjectDigest.description
        var findings = reproduced ? [] : RebuildFindings.findings(replay: replay, journal: journal)
        if !reproduced, replay.replayedManifest != subjectDigest.description {
            findings.insert(.init(step: nil, instruction: nil, location: nil, path: nil, cause: nil,
                                  detail: "the rebuild gave \(replay.replayedManifest ?? "no image"), not the subject \(subjectDigest)"),
                            at: 0)
        }
        try await finish(subject: subject, passed: reproduced, policy: policy, input: input, findings: findings)
    }

    /// Writes the VSA (signed when asked), says the verdict, and exits 1 on failure.
    private func finish(subject: ResourceDescriptor, passed: Bool, policy: RebuildPolicy, input: ResourceDescriptor,
                        findings: [VerificationSummary.Finding]) async throws {
        try await CommandFailure.reporting(status: ReplayRunner.errorStatus) {
            let statement = VerificationSummaryBuilder(repriseVersion: RepriseVersion.current)
                .statement(subject: subject, passed: passed, policy: policy, inputAttestations: [input], findings: findings)
            var document = try statement.canonicalData()
            if let vsaKey {
                document = try DSSEEnvelope.signed(payload: document, payloadType: InTotoStatement<VerificationSummary>.mediaType,
                                                   with: try KeyFiles.signingKey(at: vsaKey)).canonicalData()
            }
            if let vsa {
                try FileIO.writeFileAtomically(URL(fileURLWithPath: vsa).standardizedFileURL.path, document)
            }
            Terminal.progress("verification: \(passed ? "PASSED" : "FAILED") for \(subject.sha256?.description ?? "?")")
            for finding in findings {
                let place = [finding.location, finding.path].compactMap { $0 }.joined(separator: " ")
                Terminal.progress("  - \(place.isEmpty ? "" : place + ": ")\(finding.detail)")
            }
        }
        if !passed { throw ExitCode(1) }
    }
}
