#if canImport(Glibc)
import Glibc
#endif
import ContentStore
import Foundation

/// An image configuration (image-spec `config.md`, the same JSON as Docker's image config).
///
/// Decoding ignores fields it does not know, so a config written by another tool loses them if
/// re-encoded: importers keep such configs byte for byte and only ever read this value.
public struct ImageConfiguration: Codable, Hashable, Sendable {
    /// RFC 3339, as written (kept as text so a foreign timestamp's precision survives).
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var osVersion: String?
    public var osFeatures: [String]?
    public var variant: String?
    public var config: ContainerConfig?
    public var rootfs: RootFS
    public var history: [History]?

    public init(created: String? = nil, author: String? = nil, architecture: String = "amd64",
                os: String = "linux", variant: String? = nil, config: ContainerConfig? = nil,
                rootfs: RootFS = RootFS(diffIDs: []), history: [History]? = nil) {
        self.created = created
        self.author = author
        self.architecture = architecture
        self.os = os
        self.variant = variant
        self.config = config
        self.rootfs = rootfs
        self.history = history
    }

    /// The platform this configuration declares.
    public var platform: Platform {
        Platform(architecture: architecture, os: os, osVersion: osVersion, osFeatures: osFeatures,
                 variant: variant)
    }

    /// RFC 3339 in UTC with second precision, the form `SOURCE_DATE_EPOCH` timestamps take.
    public static func timestamp(secondsSinceEpoch seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        // Not `String(format:)`: its locale machinery costs a cached build more than this.
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(parts.tm_year + 1900, 4) + "-" + padded(parts.tm_mon + 1, 2) + "-" + padded(parts.tm_mday, 2)
            + "T" + padded(parts.tm_hour, 2) + ":" + padded(parts.tm_min, 2) + ":" + padded(parts.tm_sec, 2) + "Z"
    }

    enum CodingKeys: String, CodingKey {
        case created, author, architecture, os, variant, config, rootfs, history
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        created = try c.decodeIfPresent(String.self, forKey: .created)
        author = try c.decodeIfPresent(String.self, forKey: .author)
        architecture = try c.decodeIfPresent(String.self, forKey: .architecture) ?? ""
        os = try c.decodeIfPresent(String.self, forKey: .os) ?? ""
        osVersion = try c.decodeIfPresent(String.self, forKey: .osVersion)
        osFeatures = try c.decodeIfPresent([String].self, forKey: .osFeatures)
        variant = try c.decodeIfPresent(String.self, forKey: .variant)
        config = try c.decodeIfPresent(ContainerConfig.self, forKey: .config)
        rootfs = try c.decodeIfPresent(RootFS.self, forKey: .rootfs) ?? RootFS(diffIDs: [])
        history = try c.decodeIfPresent([History].self, forKey: .history)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(created.nonEmpty, forKey: .created)
        try c.encodeIfPresent(author.nonEmpty, forKey: .author)
        try c.encode(architecture, forKey: .architecture)
        try c.encode(os, forKey: .os)
        try c.encodeIfPresent(osVersion.nonEmpty, forKey: .osVersion)
        try c.encodeIfPresent(osFeatures.nonEmpty, forKey: .osFeatures)
        try c.encodeIfPresent(variant.nonEmpty, forKey: .variant)
        try c.encodeIfPresent(config, forKey: .config)
        try c.encode(rootfs, forKey: .rootfs)
        try c.encodeIfPresent(history.nonEmpty, forKey: .history)
    }

    /// The canonical bytes of this configuration.
    public func canonicalData() throws -> Data { try CanonicalJSON.encode(self) }

    /// The layer list of the image: `type` is always `layers`; `diff_ids` are the digests of the
    /// uncompressed layer tars, base first.
    public struct RootFS: Codable, Hashable, Sendable {
        public var type: String
        public var diffIDs: [Digest]

        public init(type: String = "layers", diffIDs: [Digest]) {
            self.type = type
            self.diffIDs = diffIDs
        }

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = try c.decodeIfPresent(String.self, forKey: .type) ?? "layers"
            diffIDs = try c.decodeIfPresent([Digest].self, forKey: .diffIDs) ?? []
        }
    }

    /// One build step's record; `emptyLayer` steps made no layer.
    public struct History: Codable, Hashable, Sendable {
        public var created: String?
        public var createdBy: String?
        public var author: String?
        public var comment: String?
        public var emptyLayer: Bool?

        public init(created: String? = nil, createdBy: String? = nil, author: String? = nil,
                    comment: String? = nil, emptyLayer: Bool? = nil) {
            self.created = created
            self.createdBy = createdBy
            self.author = author
            self.comment = comment
            self.emptyLayer = emptyLayer
        }

        enum CodingKeys: String, CodingKey {
            case created, author, comment
            case createdBy = "created_by"
            case emptyLayer = "empty_layer"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(created.nonEmpty, forKey: .created)
            try c.encodeIfPresent(createdBy.nonEmpty, forKey: .createdBy)
            try c.encodeIfPresent(author.nonEmpty, forKey: .author)
            try c.encodeIfPresent(comment.nonEmpty, forKey: .comment)
            // Go omits false, so only `true` is ever written.
            if emptyLayer == true { try c.encode(true, forKey: .emptyLayer) }
        }
    }
}
