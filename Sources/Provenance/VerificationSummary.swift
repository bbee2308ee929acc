/// The SLSA Verification Summary Attestation v1 predicate
/// (https://slsa.dev/spec/v1.0/verification_summary): who verified what, under which policy,
/// with which result. Ours adds the differ's explanation when a rebuild does not reproduce.
public struct VerificationSummary: Codable, Sendable, Hashable {
    public static let predicateType = "https://slsa.dev/verification_summary/v1"

    public enum Result: String, Codable, Sendable {
        case passed = "PASSED"
        case failed = "FAILED"
    }

    public struct Verifier: Codable, Sendable, Hashable {
        public var id: String
        public var version: [String: String]?

        public init(id: String, version: [String: String]?) {
            self.id = id
            self.version = version
        }
    }

    public struct Policy: Codable, Sendable, Hashable {
        public var uri: String
        public var digest: [String: String]?

        public init(uri: String, digest: [String: String]? = nil) {
            self.uri = uri
            self.digest = digest
        }
    }

    /// One difference a failed rebuild found: the step, its Dockerfile line, the file and why.
    public struct Finding: Codable, Sendable, Hashable {
        public var step: Int?
        public var instruction: String?
        public var location: String?
        public var path: String?
        public var cause: String?
        public var detail: String

        public init(step: Int?, instruction: String?, location: String?, path: String?, cause: String?, detail: String) {
            self.step = step
            self.instruction = instruction
            self.location = location
            self.path = path
            self.cause = cause
            self.detail = detail
        }
    }

    public var verifier: Verifier
    /// RFC 3339.
    public var timeVerified: String
    /// The artifact verified (`pkg:docker/…` or the manifest digest).
    public var resourceUri: String
    public var policy: Policy
    /// The provenance (or build record) the verdict rests on.
    public var inputAttestations: [ResourceDescriptor]?
    public var verificationResult: Result
    /// `SLSA_BUILD_LEVEL_…`; a rebuild that reproduced says nothing of the builder's level, so
    /// this names only what the check showed.
    public var verifiedLevels: [String]
    public var dependencyLevels: [String: Int]?
    public var slsaVersion: String?
    /// Extension: the differ's explanation of a failed rebuild.
    public var findings: [Finding]?

    public init(verifier: Verifier, timeVerified: String, resourceUri: String, policy: Policy,
                inputAttestations: [ResourceDescriptor]?, verificationResult: Result, verifiedLevels: [String],
                slsaVersion: String? = "1.0", findings: [Finding]? = nil) {
        self.verifier = verifier
        self.timeVerified = timeVerified
        self.resourceUri = resourceUri
        self.policy = policy
        self.inputAttestations = inputAttestations
        self.verificationResult = verificationResult
        self.verifiedLevels = verifiedLevels
        self.slsaVersion = slsaVersion
        self.findings = findings
    }
}
