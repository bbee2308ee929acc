import ContentStore

/// One build (or replay) as a canonical JSON blob. A new version of it is written after every
/// step, and `refs/builds/<id>` moves to the newest, so a build killed at any point still has a
/// complete record of everything up to its last finished step.
public struct BuildRecord: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable {
        case running, succeeded, failed
        /// Never finished, and the process that ran it is gone (killed, crashed).
        case interrupted
    }

    public enum Kind: String, Codable, Sendable {
        case build, replay
    }

    /// A named context or the main context, as snapshotted.
    public struct Context: Codable, Sendable, Hashable {
        public var name: String
        /// Where it came from on the recording machine (a path or an oci-layout reference).
        public var origin: String
        /// A tree snapshot, or for an image context its manifest.
        public var tree: Digest?
        public var image: Digest?

        public init(name: String, origin: String, tree: Digest? = nil, image: Digest? = nil) {
            self.name = name
            self.origin = origin
            self.tree = tree
            self.image = image
        }
    }

    /// A secret or ssh id the build was given; the digest is keyed, never the value.
    public struct SecretUse: Codable, Sendable, Hashable {
        public var id: String
        public var digest: String?
        /// Which journal key made `digest` (`Journal.secretKeyFingerprint()`): another journal,
        /// after `journal import`, cannot check a value against it and must say so.
        public var key: String?

        public init(id: String, digest: String?, key: String? = nil) {
            self.id = id
            self.digest = digest
            self.key = key
        }
    }

    public struct HostFacts: Codable, Sendable, Hashable {
        public var kernel: String
        public var architecture: String
        public var repriseVersion: String

        public init(kernel: String, architecture: String, repriseVersion: String) {
            self.kernel = kernel
            self.architecture = architecture
            self.repriseVersion = repriseVersion
        }
    }

    public var mediaType: String = RecordMediaType.build
    public var id: String
    public var kind: Kind
    /// For a replay: the build it re-executed.
    public var replayOf: String?
    public var status: Status
    /// The Dockerfile's bytes, as a blob, and the name it was given by.
    public var dockerfile: Digest?
    public var dockerfilePath: String
    public var contexts: [Context]
    public var buildArguments: [String: String]
    public var target: String?
    public var platform: String
    public var sourceDateEpoch: Int64?
    public var secrets: [SecretUse]
    public var ssh: [String]
    public var network: String
    public var tags: [String]
    /// Base images as resolved: reference as written → manifest digest.
    public var baseImages: [String: Digest]
    public var steps: [Digest]
    /// The image produced, when the build got that far.
    public var manifest: Digest?
    public var config: Digest?
    public var variations: [String: String]
    public var host: HostFacts
    public var startedAt: Double
    public var finishedAt: Double?
    /// The first error, for a failed build, as shown to the user.
    public var error: String?
    /// The pid that runs it, so another process can tell a live build from a killed one.
    public var pid: Int32?
    /// The limits its RUN steps ran under; nil in records written before they were kept.
    public var limits: LimitsRecord?
    /// `--label`s set on the image (nil when none; records written before they were kept too).
    public var labels: [String: String]?
    /// `--annotation`s, as the command line gave them (`manifest:KEY=VALUE`…).
    public var annotations: [String]?
    /// `--add-host`s, `NAME:IP`, every RUN step saw in its `/etc/hosts`.
    public var extraHosts: [String]?

    public init(id: String, kind: Kind = .build, replayOf: String? = nil, status: Status = .running,
                dockerfile: Digest? = nil, dockerfilePath: String, contexts: [Context] = [],
                buildArguments: [String: String] = [:], target: String? = nil, platform: String = "linux/amd64",
                sourceDateEpoch: Int64? = nil, secrets: [SecretUse] = [], ssh: [String] = [],
                network: String = "none", tags: [String] = [], baseImages: [String: Digest] = [:],
                steps: [Digest] = [], manifest: Digest? = nil, config: Digest? = nil,
                variations: [String: String] = [:], host: HostFacts, startedAt: Double,
                finishedAt: Double? = nil, error: String? = nil, pid: Int32? = nil) {
        self.id = id
        self.kind = kind
        self.replayOf = replayOf
        self.status = status
        self.dockerfile = dockerfile
        self.dockerfilePath = dockerfilePath
        self.contexts = contexts
        self.buildArguments = buildArguments
        self.target = target
        self.platform = platform
        self.sourceDateEpoch = sourceDateEpoch
        self.secrets = secrets
        self.ssh = ssh
        self.network = network
        self.tags = tags
        self.baseImages = baseImages
        self.steps = steps
        self.manifest = manifest
        self.config = config
        self.variations = variations
        self.host = host
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.error = error
        self.pid = pid
    }
}
