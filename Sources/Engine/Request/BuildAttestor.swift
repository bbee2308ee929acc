import BuildJournal
import OCIImage

/// Makes the attestations a build attaches to its image output (`--provenance`, `--attest`,
/// `--sbom`). A protocol so that the engine knows nothing of SLSA or SPDX: the CLI hands in an
/// implementation from the Provenance library.
public protocol BuildAttestor: Sendable {
    /// The statements about the image of `record` (its manifest is set, and the record as passed
    /// is the version last saved in `journal`).
    func statements(for record: BuildRecord, journal: Journal) throws -> [AttestationManifest.Statement]
}
