/// Which blocks of a gzip layer `GzipEncoder` deflates. Part of what fixes a layer's bytes, as
/// the deflate level is: a recipe records the rule it was made with, so a layer is always made
/// again under the rule that first made it (a change of rule never strands a recipe).
public enum GzipBlockRule: Int, Codable, Sendable, Hashable {
    /// Every block through zlib: every layer written before the rule below existed.
    case deflateEvery = 0
    /// The 2 KiB chunks of every block but the last that look incompressible
    /// (`IncompressibleUnits`) are stored; the runs between them are deflated.
    case storeIncompressible = 1
    /// As `storeIncompressible`, but only a block's first deflated run is primed with the 32 KiB
    /// before it; a run after stored chunks starts a fresh dictionary. What it would be primed
    /// with is mostly those incompressible bytes, which nothing matches, and priming cost more CPU
    /// than compressing the run itself: a 1 MiB block of a context of small files, text and
    /// binary, holds some forty runs, each hashing 32 KiB into zlib's tables
    /// (`deflateSetDictionary` was a twentieth of a cold build of the bench's large context).
    case storeIncompressibleFreshAfterStored = 2
    /// As `storeIncompressibleFreshAfterStored`, and a stored run grows by the 512-byte units
    /// around it that look incompressible on their own (`IncompressibleUnits`): in a tar, a
    /// file's random-looking contents start and end at such a unit, and a 2 KiB chunk boundary
    /// left some 2 KiB of every such file to zlib, which deflates random bytes at a third of
    /// its speed on text (a tenth of a cold build of the bench's large context).
    case storeIncompressibleToTheTarBlock = 3

    /// The rule every new layer is written with.
    public static let current = GzipBlockRule.storeIncompressibleToTheTarBlock

    /// Whether incompressible chunks are stored.
    var storesIncompressible: Bool { self != .deflateEvery }
}
