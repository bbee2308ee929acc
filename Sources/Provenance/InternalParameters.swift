/// What the builder decided on its own (SLSA `internalParameters`): how RUN steps were
/// isolated, their network, the clamp for timestamps, and the builder's version and host.
public struct InternalParameters: Codable, Sendable, Hashable {
    public struct Sandbox: Codable, Sendable, Hashable {
        /// The namespaces every RUN step gets fresh.
        public var namespaces: [String]
        /// The root filesystem of a step: overlay of the image's layers.
        public var rootfs: String
        /// Variations applied on purpose (replays); empty for an ordinary build.
        public var variations: [String: String]?

        public init(namespaces: [String], rootfs: String, variations: [String: String]?) {
            self.namespaces = namespaces
            self.rootfs = rootfs
            self.variations = variations
        }
    }

    public var sandbox: Sandbox
    /// `none` or `host`: the default network of RUN steps.
    public var network: String
    public var sourceDateEpoch: Int64?
    public var repriseVersion: String
    public var kernel: String
    public var architecture: String
    /// Which parameters the statement leaves out (`mode=min`), as BuildKit's completeness says.
    public var complete: Bool
    /// `mode=max`: each recorded step.
    public var steps: [StepSummary]?

    public init(sandbox: Sandbox, network: String, sourceDateEpoch: Int64?, repriseVersion: String,
                kernel: String, architecture: String, complete: Bool, steps: [StepSummary]?) {
        self.sandbox = sandbox
        self.network = network
        self.sourceDateEpoch = sourceDateEpoch
        self.repriseVersion = repriseVersion
        self.kernel = kernel
        self.architecture = architecture
        self.complete = complete
        self.steps = steps
    }
}
