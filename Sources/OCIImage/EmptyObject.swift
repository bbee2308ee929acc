import Foundation

/// `{}`: what Go's `map[string]struct{}` values look like in JSON (ExposedPorts, Volumes).
public struct EmptyObject: Codable, Hashable, Sendable {
    public init() {}
    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: NoKeys.self)
    }
    private enum NoKeys: CodingKey {}
}
