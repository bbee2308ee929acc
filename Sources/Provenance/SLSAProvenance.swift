/// The SLSA Provenance v1 predicate (https://slsa.dev/spec/v1.0/provenance), with Reprise's
/// parameters typed. Unknown fields are ignored when decoding, as the spec asks of consumers.
public struct SLSAProvenance: Codable, Sendable, Hashable {
    public static let predicateType = "https://slsa.dev/provenance/v1"
    /// What `buildDefinition.buildType` names; its meaning is documented in Docs/provenance.md.
    public static let buildType = "https://github.com/reprise-build/reprise/blob/main/Docs/provenance.md#dockerfile-v1"

    public struct BuildDefinition: Codable, Sendable, Hashable {
        public var buildType: String
        public var externalParameters: ExternalParameters
        public var internalParameters: InternalParameters
        public var resolvedDependencies: [ResourceDescriptor]

        public init(buildType: String = SLSAProvenance.buildType, externalParameters: ExternalParameters,
                    internalParameters: InternalParameters, resolvedDependencies: [ResourceDescriptor]) {
            self.buildType = buildType
            self.externalParameters = externalParameters
            self.internalParameters = internalParameters
            self.resolvedDependencies = resolvedDependencies
        }
    }

    public struct Builder: Codable, Sendable, Hashable {
        public var id: String
        public var version: [String: String]?

        public init(id: String, version: [String: String]? = nil) {
            self.id = id
            self.version = version
        }
    }

    public struct Metadata: Codable, Sendable, Hashable {
        /// The journal's build id.
        public var invocationId: String
        /// RFC 3339, UTC.
        public var startedOn: String?
        public var finishedOn: String?

        public init(invocationId: String, startedOn: String?, finishedOn: String?) {
            self.invocationId = invocationId
            self.startedOn = startedOn
            self.finishedOn = finishedOn
        }
    }

    public struct RunDetails: Codable, Sendable, Hashable {
        public var builder: Builder
        public var metadata: Metadata
        /// The journal's build record (its digest names the whole recorded build).
        public var byproducts: [ResourceDescriptor]?

        public init(builder: Builder, metadata: Metadata, byproducts: [ResourceDescriptor]?) {
            self.builder = builder
            self.metadata = metadata
            self.byproducts = byproducts
        }
    }

    public var buildDefinition: BuildDefinition
    public var runDetails: RunDetails

    public init(buildDefinition: BuildDefinition, runDetails: RunDetails) {
        self.buildDefinition = buildDefinition
        self.runDetails = runDetails
    }
}
