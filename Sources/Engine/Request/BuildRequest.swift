import BuildJournal
import Foundation
import OCIImage
import Registry
import Sandbox

/// Everything a build is asked to do, as `docker buildx build` flags say it. The CLI fills it;
/// a replay builds one from a record.
public struct BuildRequest: Sendable {
    /// The main context directory.
    public var contextPath: String
    /// The Dockerfile; nil means `CONTEXT/Dockerfile`.
    public var dockerfilePath: String?
    public var buildArguments: [String: String]
    public var target: String?
    /// Names to give the image in the journal (`-t`).
    public var tags: [String]
    public var outputs: [OutputSpec]
    public var noCache: Bool
    public var namedContexts: [NamedContextSource]
    public var secrets: [SecretSource]
    public var ssh: [SSHSource]
    /// `record` (the default: through Reprise's recorder; the CLI's `default`), `none` or `host`:
    /// the network RUN steps get unless they say otherwise.
    public var network: String
    /// How the recording network behaves (TLS interception, allowed host addresses).
    public var networkRecording = NetworkRecordingOptions()
    public var platform: Platform
    /// One platform's build of several (``MultiPlatformBuild``): progress names each step's
    /// platform (`[linux/arm64 build 2/4]`, as buildx; a stage of another architecture than the
    /// host's is named anyway), and the tags, kept in the record, name the index made at the
    /// end rather than this platform's manifest.
    public var partOfMultiPlatform = false
    /// Clamp for file mtimes and the `created` times (`SOURCE_DATE_EPOCH`, build arg or env).
    public var sourceDateEpoch: Int64?
    public var metadataFile: String?
    /// Entitlements granted with `--allow` (buildx's names): `security.insecure` lets a
    /// `RUN --security=insecure` step run with every capability.
    public var entitlements: Set<Entitlement> = []
    /// What each RUN step may use (`--pids-limit`, `--memory`, `--ulimit`, `--shm-size`):
    /// a cgroup per step, setrlimit, the size of /dev/shm. Defaults in ``ResourceLimits``.
    public var resourceLimits = ResourceLimits()
    /// Deliberate variations of the environment (replay and verify).
    public var variations: Variations
    /// Set by a replay: what it pins and which recorded steps it reuses.
    public var replay: ReplayInputs? = nil
    /// Shows steps materialised source directories through another path (fileordering).
    public var directoryPresenter: (any SourceDirectoryPresenter)? = nil
    /// Attestations to attach to `type=oci`/`docker` outputs, buildx-style (an index with an
    /// attestation manifest beside the image); nil attaches none.
    public var attestor: (any BuildAttestor)? = nil
    /// How many stages with no dependency between them may run at the same time; nil: as many
    /// as the machine has cores, 1: one stage after another. The record and the image are the
    /// same either way.
    public var maxParallelStages: Int? = nil

    // buildx's image metadata and step options (`--label`, `--annotation`, `--add-host`,
    // `--no-cache-filter`); recorded with the build so a replay applies them too.
    /// `--label KEY=VALUE`: set on the final image's config (after the Dockerfile's LABELs).
    public var labels: [String: String] = [:]
    /// `--annotation`: on the manifest, the index or their descriptors.
    public var annotations: [ImageAnnotation] = []
    /// `--add-host NAME:IP`: extra lines of every RUN step's `/etc/hosts` (part of its key).
    public var extraHosts: [ExtraHost] = []
    /// `--no-cache-filter STAGE`: stages (by name or index) whose steps all run again.
    public var noCacheStages: Set<String> = []
    /// Where the main context came from when it was not a directory given as is (`-` for a
    /// tar on standard input, a git URL): recorded as its origin instead of the temporary path.
    public var contextOrigin: String? = nil
    /// How registries are reached: for `FROM host/repo:tag`, `docker-image://` contexts and pushes.
    public var registry = RegistryConfiguration()
    /// `--pull`: resolve registry tags again even when the journal already holds an image by that name.
    public var pull = false

    /// The network RUN steps get unless the build or the step says otherwise: as buildx's
    /// default network, a way out, but here only through Reprise's recorder (`record`), so that
    /// every fetch is in the journal and a replay needs no network. `none` and `host` (unrecorded)
    /// are asked for explicitly.
    public static let defaultNetwork = "record"

    public init(contextPath: String, dockerfilePath: String? = nil, buildArguments: [String: String] = [:],
                target: String? = nil, tags: [String] = [], outputs: [OutputSpec] = [], noCache: Bool = false,
                namedContexts: [NamedContextSource] = [], secrets: [SecretSource] = [], ssh: [SSHSource] = [],
                network: String = BuildRequest.defaultNetwork, platform: Platform = .linuxAMD64, sourceDateEpoch: Int64? = nil,
                metadataFile: String? = nil, variations: Variations = Variations()) {
        self.contextPath = contextPath
        self.dockerfilePath = dockerfilePath
        self.buildArguments = buildArguments
        self.target = target
        self.tags = tags
        self.outputs = outputs
        self.noCache = noCache
        self.namedContexts = namedContexts
        self.secrets = secrets
        self.ssh = ssh
        self.network = network
        self.platform = platform
        self.sourceDateEpoch = sourceDateEpoch
        self.metadataFile = metadataFile
        self.variations = variations
    }

    /// The Dockerfile path as it will be read.
    public var resolvedDockerfilePath: String {
        dockerfilePath ?? (contextPath as NSString).appendingPathComponent("Dockerfile")
    }
}

/// Deliberate changes to the environment a step runs in, to expose nondeterminism.
public struct Variations: Sendable, Hashable, Codable {
    public var hostname: String?
    public var domainName: String?
    public var umask: UInt32?
    public var extraEnvironment: [String: String]
    public var cpuCount: Int?
    public var disableASLR: Bool
    public var timezone: String?
    public var locale: String?
    /// Variations applied outside the sandbox spec (time, file ordering, build path), recorded
    /// with the build as given.
    public var applied: [VariationKey: String] = [:]

    public init(hostname: String? = nil, domainName: String? = nil, umask: UInt32? = nil,
                extraEnvironment: [String: String] = [:], cpuCount: Int? = nil, disableASLR: Bool = false,
                timezone: String? = nil, locale: String? = nil) {
        self.hostname = hostname
        self.domainName = domainName
        self.umask = umask
        self.extraEnvironment = extraEnvironment
        self.cpuCount = cpuCount
        self.disableASLR = disableASLR
        self.timezone = timezone
        self.locale = locale
    }

    /// As recorded with a build: only what was set.
    public var recorded: [String: String] {
        var values: [VariationKey: String] = applied
        if let hostname { values[.hostname] = hostname }
        if let domainName { values[.domainName] = domainName }
        if let umask { values[.umask] = String(umask, radix: 8) }
        if let cpuCount { values[.cpus] = String(cpuCount) }
        if disableASLR { values[.aslr] = "off" }
        if let timezone { values[.timezone] = timezone }
        if let locale { values[.locale] = locale }
        var recorded = Dictionary(uniqueKeysWithValues: values.map { ($0.key.rawValue, $0.value) })
        for (key, value) in extraEnvironment { recorded[VariationKey.environmentPrefix + key] = value }
        return recorded
    }
}

/// One `--add-host NAME:IP` (docker also takes `NAME=IP`).
public struct ExtraHost: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var address: String

    public init(name: String, address: String) {
        self.name = name
        self.address = address
    }

    /// `NAME:IP` or `NAME=IP`; an IPv6 address keeps its colons (split at the first `:`).
    public init?(parsing text: String) {
        let separator = text.firstIndex(of: "=") ?? text.firstIndex(of: ":")
        guard let separator else { return nil }
        let name = String(text[..<separator])
        var address = String(text[text.index(after: separator)...])
        if address.hasPrefix("["), address.hasSuffix("]") { address = String(address.dropFirst().dropLast()) }
        let valid = name.allSatisfy { $0.isLetter || $0.isNumber || "-._".contains($0) }
        let looksLikeAddress = !address.isEmpty && address.allSatisfy { $0.isHexDigit || ".:".contains($0) }
        guard !name.isEmpty, valid, looksLikeAddress else { return nil }
        self.init(name: name, address: address)
    }

    public var description: String { "\(name):\(address)" }

    /// The `/etc/hosts` line, as docker writes it.
    public var hostsLine: String { "\(address)\t\(name)" }
}

/// What `--allow` grants, by buildx's names.
public enum Entitlement: String, Sendable, Hashable, CaseIterable {
    case networkHost = "network.host"
    case securityInsecure = "security.insecure"
}
