import ContentStore
import Foundation

/// The policy a rebuild verification applies, as the VSA names it: the provenance must be signed
/// by the given key and structurally valid, its dependencies must be those the journal recorded
/// for its build, and a replay from the journal alone (under the listed variations) must give
/// the subject's manifest digest. The policy's digest covers its parameters, so two VSAs made
/// under different variations name different policies.
public struct RebuildPolicy: Codable, Sendable, Hashable {
    public static let uri = "https://github.com/reprise-build/reprise/blob/main/Docs/provenance.md#policy-rebuild-v1"

    /// The key id the provenance had to be signed with; nil for a build verified directly.
    public var keyID: String?
    public var variations: [String]
    public var runs: Int

    public init(keyID: String?, variations: [String], runs: Int) {
        self.keyID = keyID
        self.variations = variations.sorted()
        self.runs = runs
    }

    public var descriptor: VerificationSummary.Policy {
        VerificationSummary.Policy(uri: Self.uri, digest: ["sha256": ((try? CanonicalJSON.encode(self)).map { Digest(of: $0).hex }) ?? ""])
    }
}
