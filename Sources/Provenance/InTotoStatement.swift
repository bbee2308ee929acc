import ContentStore
import Foundation

/// An in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md):
/// the subjects an attestation is about and a typed predicate.
public struct InTotoStatement<Predicate: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public static var statementType: String { "https://in-toto.io/Statement/v1" }
    /// The DSSE payload type and the OCI layer media type of a statement.
    public static var mediaType: String { "application/vnd.in-toto+json" }

    public var type: String
    public var subject: [ResourceDescriptor]
    public var predicateType: String
    public var predicate: Predicate

    public init(subject: [ResourceDescriptor], predicateType: String, predicate: Predicate) {
        self.type = Self.statementType
        self.subject = subject
        self.predicateType = predicateType
        self.predicate = predicate
    }

    enum CodingKeys: String, CodingKey {
        case type = "_type"
        case subject, predicateType, predicate
    }

    /// The bytes that are signed and attached: canonical JSON (sorted keys, no whitespace), so
    /// the same build always gives the same statement digest.
    public func canonicalData() throws -> Data { try CanonicalJSON.encode(self) }
}

/// The part of a statement every predicate shares, to learn the predicate type before decoding
/// the predicate itself.
public struct StatementHeader: Decodable, Sendable, Hashable {
    public var type: String
    public var subject: [ResourceDescriptor]
    public var predicateType: String

    enum CodingKeys: String, CodingKey {
        case type = "_type"
        case subject, predicateType
    }
}
