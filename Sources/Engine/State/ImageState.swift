import ContentStore
import OCIImage

/// The image a stage has built so far: its configuration and its layers. Each step turns one
/// state into the next; a stage's last state is what `COPY --from` and `FROM stage` see.
public struct ImageState: Sendable, Hashable {
    /// One layer of the image: as it is stored (compressed blob) and as overlayfs needs it.
    public struct Layer: Sendable, Hashable {
        public var descriptor: Descriptor
        public var diffID: Digest
    }

    public var configuration: ImageConfiguration
    public var layers: [Layer]
    /// BuildKit keeps the stage's `SHELL` outside `config.Shell` until it is set; the default is
    /// `/bin/sh -c` for Linux images.
    public var shell: [String] {
        configuration.config?.shell ?? ["/bin/sh", "-c"]
    }

    public init(configuration: ImageConfiguration, layers: [Layer]) {
        self.configuration = configuration
        self.layers = layers
    }

    /// An empty image, as `FROM scratch` starts.
    public static func scratch(platform: Platform) -> ImageState {
        ImageState(configuration: ImageConfiguration(architecture: platform.architecture, os: platform.os,
                                                     variant: platform.variant,
                                                     config: ContainerConfig(env: [Self.defaultPath])),
                   layers: [])
    }

    /// BuildKit gives every Linux image this PATH when its base sets none.
    public static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    var containerConfig: ContainerConfig {
        get { configuration.config ?? ContainerConfig() }
        set { configuration.config = newValue }
    }

    /// `KEY=value` strings in order, as the image config holds them.
    public var environment: [String] { containerConfig.env ?? [] }

    /// The environment as a dictionary (the last definition of a key wins).
    public var environmentValues: [String: String] {
        var values: [String: String] = [:]
        for entry in environment {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return values
    }

    /// Sets or replaces one variable, keeping the position of an existing one as Docker does.
    public mutating func setEnvironment(_ key: String, _ value: String) {
        var env = environment
        if let index = env.firstIndex(where: { $0 == key || $0.hasPrefix(key + "=") }) {
            env[index] = "\(key)=\(value)"
        } else {
            env.append("\(key)=\(value)")
        }
        containerConfig.env = env
    }

    public var workingDirectory: String {
        let directory = containerConfig.workingDir ?? ""
        return directory.isEmpty ? "/" : directory
    }

    public var user: String { containerConfig.user ?? "" }

    /// diff ids bottom to top, as `rootfs.diff_ids` lists them.
    public var diffIDs: [Digest] { layers.map(\.diffID) }

    /// Adds a layer and its history entry.
    mutating func append(_ layer: Layer, createdBy: String, created: String?, comment: String? = nil) {
        layers.append(layer)
        configuration.rootfs.diffIDs = diffIDs
        appendHistory(createdBy: createdBy, created: created, emptyLayer: false, comment: comment)
    }

    /// Adds a history entry for an instruction that changed only the configuration.
    mutating func appendHistory(createdBy: String, created: String?, emptyLayer: Bool, comment: String? = nil) {
        var history = configuration.history ?? []
        history.append(ImageConfiguration.History(created: created, createdBy: createdBy, comment: comment,
                                                  emptyLayer: emptyLayer ? true : nil))
        configuration.history = history
    }
}
