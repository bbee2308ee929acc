import Foundation

/// The one JSON encoding Reprise writes for manifests, configs and indexes.
///
/// A blob is named by its digest, so the same value must always give the same bytes: keys sorted,
/// no pretty printing, `/` left unescaped (media types are full of them). Blobs written by other
/// tools are never re-encoded: they are stored and exported byte for byte.
public enum CanonicalJSON {
    /// Encodes `value` canonically.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// Decodes JSON written by any tool; unknown fields are ignored.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}

/// `{}`: what Go's `map[string]struct{}` values look like in JSON (ExposedPorts, Volumes).
public struct EmptyObject: Codable, Hashable, Sendable {
    public init() {}
    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: NoKeys.self)
    }
    private enum NoKeys: CodingKey {}
}
