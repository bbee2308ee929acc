import BuildJournal
import Engine
import OCIImage
import Provenance

/// The engine's attestation hook, filled from the Provenance library: what `--provenance`,
/// `--attest` and `--sbom` asked for, made from the record the build has just saved.
struct ProvenanceAttestor: BuildAttestor {
    var request: AttestationRequest

    func statements(for record: BuildRecord, journal: Journal) throws -> [AttestationManifest.Statement] {
        var statements: [AttestationManifest.Statement] = []
        if let mode = request.provenance {
            let statement = try ProvenanceBuilder(journal: journal, mode: mode).statement(for: record)
            statements.append(.init(data: try statement.canonicalData(), predicateType: SLSAProvenance.predicateType))
        }
        if request.sbom {
            let statement = try SBOMBuilder(journal: journal).statement(for: record)
            statements.append(.init(data: try statement.canonicalData(), predicateType: SPDXDocument.predicateType))
        }
        return statements
    }
}
