import ContentStore

/// What one `RUN --mount` showed the step. Secrets appear only as an id and a keyed digest.
public struct MountRecord: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable {
        case bind, cache, tmpfs, secret, ssh
    }

    public var kind: Kind
    public var target: String
    /// bind/cache `from`: a stage, named context or image, as resolved.
    public var from: String?
    public var source: String?
    public var readOnly: Bool
    /// bind: the tree the step saw. cache: the cache state before the step.
    public var treeBefore: Digest?
    /// cache only: the state after the step, stored so replay can continue from it.
    public var treeAfter: Digest?
    /// cache: the cache id; secret/ssh: the id.
    public var id: String?
    /// cache: shared, private or locked.
    public var sharing: String?
    /// secret: `hmac-sha256:<hex>` of the value under the journal's key, never the value.
    public var secretDigest: String?
    /// secret: the environment variable it was exposed as, when `env=` was used.
    public var environmentVariable: String?
    /// tmpfs: size in bytes, when limited.
    public var sizeLimit: Int64?
    /// Other options as written (mode, uid, gid, required…), for people and for replay.
    public var options: [String: String]

    public init(kind: Kind, target: String, from: String? = nil, source: String? = nil,
                readOnly: Bool = false, treeBefore: Digest? = nil, treeAfter: Digest? = nil,
                id: String? = nil, sharing: String? = nil, secretDigest: String? = nil,
                environmentVariable: String? = nil, sizeLimit: Int64? = nil,
                options: [String: String] = [:]) {
        self.kind = kind
        self.target = target
        self.from = from
        self.source = source
        self.readOnly = readOnly
        self.treeBefore = treeBefore
        self.treeAfter = treeAfter
        self.id = id
        self.sharing = sharing
        self.secretDigest = secretDigest
        self.environmentVariable = environmentVariable
        self.sizeLimit = sizeLimit
        self.options = options
    }
}
