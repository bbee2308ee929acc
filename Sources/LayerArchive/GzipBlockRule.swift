/// Which blocks of a gzip layer `GzipEncoder` deflates. Part of what fixes a layer's bytes, as
/// the deflate level is: a recipe records the rule it was made with, so a layer is always made
/// again under the rule that first made it (a change of rule never strands a recipe).
public enum GzipBlockRule: Int, Codable, Sendable, Hashable {
    /// Every block through zlib: every layer written before the rule below existed.
    case deflateEvery = 0
    /// The 2 KiB chunks of every block but the last that look incompressible
    /// (`GzipEncoder.storedChunks`) are stored; the runs between them are deflated.
    case storeIncompressible = 1

    /// The rule every new layer is written with.
    public static let current = GzipBlockRule.storeIncompressible
}
