import Foundation

/// What `reprise build --metadata-file` wrote: buildx's keys (`containerimage.descriptor` is an
/// object, as buildx writes it) and Reprise's own (`reprise.build.id`, `reprise.image.manifest`).
/// Unchecked: the values are JSON objects read once and never changed.
struct BuildMetadata: @unchecked Sendable {
    let values: [String: Any]

    static let empty = BuildMetadata(values: [:])

    init(values: [String: Any]) { self.values = values }

    init(path: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        guard let values = object as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
        }
        self.values = values
    }

    /// A key whose value is text (most are).
    subscript(key: String) -> String? { values[key] as? String }
}
