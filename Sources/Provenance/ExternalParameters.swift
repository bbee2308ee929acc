/// What the person who asked for the build controlled (SLSA `externalParameters`): the
/// Dockerfile, target, build arguments, contexts by name and source, secret and ssh ids (never
/// values), platform. `mode=min` leaves out build-arg values and the secret and ssh ids, as
/// BuildKit does.
public struct ExternalParameters: Codable, Sendable, Hashable {
    public struct Dockerfile: Codable, Sendable, Hashable {
        /// The path the Dockerfile was given by, relative to the main context when it lies inside it.
        public var path: String
        /// `sha256:…` of its bytes.
        public var digest: String?

        public init(path: String, digest: String?) {
            self.path = path
            self.digest = digest
        }
    }

    public struct Context: Codable, Sendable, Hashable {
        /// `context` for the main one, else the `--build-context` name.
        public var name: String
        /// `local` (a directory, by tree digest in the dependencies) or the reference given
        /// (`oci-layout://…`, an image name).
        public var source: String

        public init(name: String, source: String) {
            self.name = name
            self.source = source
        }
    }

    public var dockerfile: Dockerfile
    public var target: String?
    /// `mode=max` only.
    public var buildArgs: [String: String]?
    public var contexts: [Context]
    /// `mode=max` only: ids, never values or digests of values.
    public var secrets: [String]?
    public var ssh: [String]?
    public var platform: String
    public var tags: [String]?

    public init(dockerfile: Dockerfile, target: String?, buildArgs: [String: String]?, contexts: [Context],
                secrets: [String]?, ssh: [String]?, platform: String, tags: [String]?) {
        self.dockerfile = dockerfile
        self.target = target
        self.buildArgs = buildArgs
        self.contexts = contexts
        self.secrets = secrets
        self.ssh = ssh
        self.platform = platform
        self.tags = tags
    }
}
