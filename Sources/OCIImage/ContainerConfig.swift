import Foundation

/// The execution parameters of an image: the `config` object of an image configuration.
///
/// Field names are Docker's capitalised ones. `ExposedPorts` and `Volumes` are JSON objects whose
/// values are always `{}` (Go's `map[string]struct{}`); here they are sets.
public struct ContainerConfig: Codable, Hashable, Sendable {
    public var user: String?
    public var exposedPorts: Set<String>?
    public var env: [String]?
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var volumes: Set<String>?
    public var workingDir: String?
    public var labels: [String: String]?
    public var stopSignal: String?
    public var healthcheck: Healthcheck?
    public var onBuild: [String]?
    public var shell: [String]?
    public var argsEscaped: Bool?

    public init(user: String? = nil, exposedPorts: Set<String>? = nil, env: [String]? = nil,
                entrypoint: [String]? = nil, cmd: [String]? = nil, volumes: Set<String>? = nil,
                workingDir: String? = nil, labels: [String: String]? = nil,
                stopSignal: String? = nil, healthcheck: Healthcheck? = nil,
                onBuild: [String]? = nil, shell: [String]? = nil, argsEscaped: Bool? = nil) {
        self.user = user
        self.exposedPorts = exposedPorts
        self.env = env
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.volumes = volumes
        self.workingDir = workingDir
        self.labels = labels
        self.stopSignal = stopSignal
        self.healthcheck = healthcheck
        self.onBuild = onBuild
        self.shell = shell
        self.argsEscaped = argsEscaped
    }

    enum CodingKeys: String, CodingKey {
        case user = "User"
        case exposedPorts = "ExposedPorts"
        case env = "Env"
        case entrypoint = "Entrypoint"
        case cmd = "Cmd"
        case volumes = "Volumes"
        case workingDir = "WorkingDir"
        case labels = "Labels"
        case stopSignal = "StopSignal"
        case healthcheck = "Healthcheck"
        case onBuild = "OnBuild"
        case shell = "Shell"
        case argsEscaped = "ArgsEscaped"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        exposedPorts = try c.decodeIfPresent([String: EmptyObject].self, forKey: .exposedPorts).map { Set($0.keys) }
        env = try c.decodeIfPresent([String].self, forKey: .env)
        entrypoint = try c.decodeIfPresent([String].self, forKey: .entrypoint)
        cmd = try c.decodeIfPresent([String].self, forKey: .cmd)
        volumes = try c.decodeIfPresent([String: EmptyObject].self, forKey: .volumes).map { Set($0.keys) }
        workingDir = try c.decodeIfPresent(String.self, forKey: .workingDir)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels)
        stopSignal = try c.decodeIfPresent(String.self, forKey: .stopSignal)
        healthcheck = try c.decodeIfPresent(Healthcheck.self, forKey: .healthcheck)
        onBuild = try c.decodeIfPresent([String].self, forKey: .onBuild)
        shell = try c.decodeIfPresent([String].self, forKey: .shell)
        argsEscaped = try c.decodeIfPresent(Bool.self, forKey: .argsEscaped)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(user.nonEmpty, forKey: .user)
        try c.encodeIfPresent(Self.object(exposedPorts), forKey: .exposedPorts)
        try c.encodeIfPresent(env.nonEmpty, forKey: .env)
        // An explicitly empty Entrypoint/Cmd differs from none (it resets the parent's), so only
        // nil is omitted; Go writes these without omitempty for the same reason.
        try c.encodeIfPresent(entrypoint, forKey: .entrypoint)
        try c.encodeIfPresent(cmd, forKey: .cmd)
        try c.encodeIfPresent(Self.object(volumes), forKey: .volumes)
        try c.encodeIfPresent(workingDir.nonEmpty, forKey: .workingDir)
        try c.encodeIfPresent(labels.nonEmpty, forKey: .labels)
        try c.encodeIfPresent(stopSignal.nonEmpty, forKey: .stopSignal)
        try c.encodeIfPresent(healthcheck, forKey: .healthcheck)
        try c.encodeIfPresent(onBuild.nonEmpty, forKey: .onBuild)
        try c.encodeIfPresent(shell.nonEmpty, forKey: .shell)
        if argsEscaped == true { try c.encode(true, forKey: .argsEscaped) }
    }

    private static func object(_ set: Set<String>?) -> [String: EmptyObject]? {
        guard let set, !set.isEmpty else { return nil }
        return Dictionary(uniqueKeysWithValues: set.map { ($0, EmptyObject()) })
    }

    /// Docker's HEALTHCHECK settings; durations are nanoseconds, as Go's `time.Duration`.
    public struct Healthcheck: Codable, Hashable, Sendable {
        /// `["NONE"]`, `["CMD", args…]` or `["CMD-SHELL", command]`.
        public var test: [String]?
        public var interval: Int64?
        public var timeout: Int64?
        public var startPeriod: Int64?
        public var startInterval: Int64?
        public var retries: Int?

        public init(test: [String]? = nil, interval: Int64? = nil, timeout: Int64? = nil,
                    startPeriod: Int64? = nil, startInterval: Int64? = nil, retries: Int? = nil) {
            self.test = test
            self.interval = interval
            self.timeout = timeout
            self.startPeriod = startPeriod
            self.startInterval = startInterval
            self.retries = retries
        }

        enum CodingKeys: String, CodingKey {
            case test = "Test"
            case interval = "Interval"
            case timeout = "Timeout"
            case startPeriod = "StartPeriod"
            case startInterval = "StartInterval"
            case retries = "Retries"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(test.nonEmpty, forKey: .test)
            try c.encodeIfPresent(interval == 0 ? nil : interval, forKey: .interval)
            try c.encodeIfPresent(timeout == 0 ? nil : timeout, forKey: .timeout)
            try c.encodeIfPresent(startPeriod == 0 ? nil : startPeriod, forKey: .startPeriod)
            try c.encodeIfPresent(startInterval == 0 ? nil : startInterval, forKey: .startInterval)
            try c.encodeIfPresent(retries == 0 ? nil : retries, forKey: .retries)
        }
    }
}
