/// An SPDX 2.3 document in its JSON form (https://spdx.github.io/spdx-spec/v2.3/), the parts an
/// image SBOM uses: the image as the described package, its OS and language packages with
/// purls, every regular file with SHA-1 and SHA-256, and the relationships between them.
public struct SPDXDocument: Codable, Sendable, Hashable {
    public static let predicateType = "https://spdx.dev/Document"

    public struct CreationInfo: Codable, Sendable, Hashable {
        public var created: String
        public var creators: [String]
    }

    public struct Checksum: Codable, Sendable, Hashable {
        public var algorithm: String
        public var checksumValue: String
    }

    public struct ExternalReference: Codable, Sendable, Hashable {
        public var referenceCategory: String
        public var referenceType: String
        public var referenceLocator: String
    }

    public struct VerificationCode: Codable, Sendable, Hashable {
        public var packageVerificationCodeValue: String
    }

    public struct Package: Codable, Sendable, Hashable {
        public var SPDXID: String
        public var name: String
        public var versionInfo: String?
        public var downloadLocation: String
        public var filesAnalyzed: Bool
        /// Required when `filesAnalyzed`: SHA-1 over the sorted SHA-1s of the package's files.
        public var packageVerificationCode: VerificationCode?
        public var licenseConcluded: String
        public var licenseDeclared: String
        public var copyrightText: String
        public var checksums: [Checksum]?
        public var externalRefs: [ExternalReference]?
        public var primaryPackagePurpose: String?
        public var sourceInfo: String?
    }

    public struct File: Codable, Sendable, Hashable {
        public var SPDXID: String
        public var fileName: String
        public var checksums: [Checksum]
        public var licenseConcluded: String
        public var copyrightText: String
    }

    public struct Relationship: Codable, Sendable, Hashable {
        public var spdxElementId: String
        public var relationshipType: String
        public var relatedSpdxElement: String
    }

    public var spdxVersion = "SPDX-2.3"
    public var dataLicense = "CC0-1.0"
    public var SPDXID = "SPDXRef-DOCUMENT"
    public var name: String
    public var documentNamespace: String
    public var creationInfo: CreationInfo
    public var documentDescribes: [String]
    public var packages: [Package]
    public var files: [File]
    public var relationships: [Relationship]
}
