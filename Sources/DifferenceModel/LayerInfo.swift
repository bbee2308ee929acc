/// One row of the layer table: a pair of layers (or a layer present on one side only).
public struct LayerInfo: Codable, Sendable, Hashable {
    /// Position in A's layer list, or B's when A has none here.
    public var index: Int
    public var digestA: String?
    public var digestB: String?
    /// Uncompressed-content digests (config `diff_ids`), when known.
    public var diffIDA: String?
    public var diffIDB: String?
    public var sizeA: Int64?
    public var sizeB: Int64?
    public var mediaTypeA: String?
    public var mediaTypeB: String?
    /// How the two were paired: by position, or by the build step that made them.
    public var pairing: Pairing
    /// Entries (files) that differ within the layer, after ignores.
    public var differingEntries: Int

    public enum Pairing: String, Codable, Sendable, Hashable {
        case position
        case step
    }

    public init(index: Int, digestA: String? = nil, digestB: String? = nil, diffIDA: String? = nil,
                diffIDB: String? = nil, sizeA: Int64? = nil, sizeB: Int64? = nil,
                mediaTypeA: String? = nil, mediaTypeB: String? = nil, pairing: Pairing = .position,
                differingEntries: Int = 0) {
        self.index = index
        self.digestA = digestA
        self.digestB = digestB
        self.diffIDA = diffIDA
        self.diffIDB = diffIDB
        self.sizeA = sizeA
        self.sizeB = sizeB
        self.mediaTypeA = mediaTypeA
        self.mediaTypeB = mediaTypeB
        self.pairing = pairing
        self.differingEntries = differingEntries
    }
}
