import ArgumentParser
import BuildJournal
import ContentStore
import Engine
import Foundation
import Provenance
import Replay

/// `reprise verify --vsa FILE [--vsa-key KEY]`: the verdict of build-then-replay as a SLSA
/// Verification Summary, its subject the built image and its input the build's provenance.
struct VerifySummaryOptions: ParsableArguments {
    @Option(help: "Write a SLSA verification summary attestation (in-toto statement) to FILE.") var vsa: String?
    @Option(name: .customLong("vsa-key"), help: "Sign the verification summary with this private key (DSSE).")
    var vsaKey: String?

    func validate() throws {
        if vsaKey != nil && vsa == nil { throw ValidationError("--vsa-key needs --vsa FILE") }
    }

    func write(_ report: VerifyReport, variations: [String], journal: Journal) throws {
        guard let vsa else { return }
        let record = try journal.build(id: report.build)
        guard let manifest = record.manifest else { throw ProvenanceError.noImage(build: record.id, status: record.status.rawValue) }
        let provenance = try ProvenanceBuilder(journal: journal, mode: .max).statement(for: record)
        let input = ResourceDescriptor(name: "provenance", sha256: Digest(of: try provenance.canonicalData()),
                                       mediaType: "application/vnd.in-toto+json")
        var findings: [VerificationSummary.Finding] = []
        if let divergent = report.replays.first(where: { !$0.reproducible }) {
            findings = RebuildFindings.findings(replay: divergent, journal: journal)
        }
        let statement = VerificationSummaryBuilder(repriseVersion: RepriseVersion.current).statement(
            subject: ProvenanceBuilder.subject(manifest: manifest, tags: record.tags, platform: record.platform),
            passed: report.reproducible,
            policy: RebuildPolicy(keyID: nil, variations: variations, runs: report.replays.count),
            inputAttestations: [input], findings: findings)
        var document = try statement.canonicalData()
        if let vsaKey {
            document = try DSSEEnvelope.signed(payload: document, payloadType: InTotoStatement<VerificationSummary>.mediaType,
                                               with: try KeyFiles.signingKey(at: vsaKey)).canonicalData()
        }
        try FileIO.writeFileAtomically(URL(fileURLWithPath: vsa).standardizedFileURL.path, document)
    }
}
