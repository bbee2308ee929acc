import Foundation

extension BuildRequest {
    /// Writes buildx's `--metadata-file` document: `metadata` plus `image.name`, the names the
    /// request gives the image (tags, then output names, each once), as pretty sorted JSON.
    static func writeMetadataFile(_ metadata: [String: Any], naming request: BuildRequest, to path: String) throws {
        var metadata = metadata
        var names: [String] = []
        for name in request.tags + request.outputs.flatMap(\.names) where !names.contains(name) { names.append(name) }
        if !names.isEmpty { metadata["image.name"] = names.joined(separator: ",") }
        let data = try JSONSerialization.data(withJSONObject: metadata,
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try (data + Data("\n".utf8)).write(to: URL(fileURLWithPath: path))
    }
}
