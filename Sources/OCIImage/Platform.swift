/// The platform an image runs on (image-spec `image-index.md`, `platform`).
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var osVersion: String?
    public var osFeatures: [String]?
    public var variant: String?
    public var features: [String]?

    public init(architecture: String, os: String, osVersion: String? = nil,
                osFeatures: [String]? = nil, variant: String? = nil, features: [String]? = nil) {
        self.architecture = architecture
        self.os = os
        self.osVersion = osVersion
        self.osFeatures = osFeatures
        self.variant = variant
        self.features = features
    }

    /// What Reprise builds for and prefers when an index offers several platforms.
    public static let linuxAMD64 = Platform(architecture: "amd64", os: "linux")

    /// Parses `os/arch[/variant]` as `--platform` and `FROM --platform` spell it, with the
    /// architecture names `uname -m` gives mapped to Go's (`x86_64` → `amd64`, `aarch64` →
    /// `arm64`), as containerd's platform parser does. Nil for text of another shape.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), !parts.contains(where: \.isEmpty) else { return nil }
        let aliases = ["x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "i686": "386", "i386": "386"]
        self.init(architecture: aliases[parts[1]] ?? parts[1], os: parts[0], variant: parts.count == 3 ? parts[2] : nil)
    }

    /// `os/arch[/variant]`, as `--platform` flags spell it.
    public var description: String {
        ([os, architecture] + [variant ?? ""]).filter { !$0.isEmpty }.joined(separator: "/")
    }

    /// Whether `self` satisfies a wanted platform; a wanted variant of nil accepts any variant.
    public func matches(_ wanted: Platform) -> Bool {
        os == wanted.os && architecture == wanted.architecture
            && (wanted.normalizedVariant == nil || normalizedVariant == wanted.normalizedVariant)
    }

    /// The variant as containerd's `platforms.Normalize` compares it: arm64's `v8` is its only
    /// one and counts as none, 32-bit arm without one is `v7`.
    var normalizedVariant: String? {
        let value = variant.nonEmpty
        switch architecture {
        case "arm64": return value == "v8" || value == "8" ? nil : value
        case "arm": return value ?? "v7"
        default: return value
        }
    }

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant, features
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try c.decodeIfPresent(String.self, forKey: .architecture) ?? ""
        os = try c.decodeIfPresent(String.self, forKey: .os) ?? ""
        osVersion = try c.decodeIfPresent(String.self, forKey: .osVersion)
        osFeatures = try c.decodeIfPresent([String].self, forKey: .osFeatures)
        variant = try c.decodeIfPresent(String.self, forKey: .variant)
        features = try c.decodeIfPresent([String].self, forKey: .features)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(architecture, forKey: .architecture)
        try c.encode(os, forKey: .os)
        try c.encodeIfPresent(osVersion.nonEmpty, forKey: .osVersion)
        try c.encodeIfPresent(osFeatures.nonEmpty, forKey: .osFeatures)
        try c.encodeIfPresent(variant.nonEmpty, forKey: .variant)
        try c.encodeIfPresent(features.nonEmpty, forKey: .features)
    }
}
