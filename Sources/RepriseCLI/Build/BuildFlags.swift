import ArgumentParser
import Engine
import Foundation
import OCIImage
import Sandbox

/// The flags `reprise build` shares with `docker buildx build` (and that replay and verify
/// reuse): same names, same value syntax.
struct BuildFlags: ParsableArguments {
    @Argument(help: ArgumentHelp("The build context: a directory, - (a tar, or a Dockerfile, on standard input) "
                                 + "or a git URL (URL#REF:SUBDIR).", valueName: "PATH | URL | -"))
    var context: String?

    @Option(name: [.short, .long], help: "Name of the Dockerfile (default: CONTEXT/Dockerfile).")
    var file: String?
    @Option(name: [.short, .long], help: "Name the image in the journal, e.g. app:1 (repeatable).")
    var tag: [String] = []
    @Option(name: .customLong("build-arg"), help: "Set a build-time variable, KEY=VALUE or KEY (from the environment).")
    var buildArg: [String] = []
    @Option(name: .customLong("build-context"), help: "Extra named context, NAME=PATH or NAME=oci-layout://PATH[:TAG|@DIGEST].")
    var buildContext: [String] = []
    @Option(help: "Secret to expose: id=ID[,src=PATH|env=VAR].") var secret: [String] = []
    @Option(help: "SSH agent socket or keys to expose: default|ID[=SOCKET].") var ssh: [String] = []
    @Option(help: "Target stage to build.") var target: String?
    @Option(name: [.short, .long], help: "Output destination: type=oci|docker|local,dest=PATH[,tar=false].")
    var output: [String] = []
    @Flag(name: .customLong("no-cache"), help: "Do not use cached steps.") var noCache = false
    @Option(help: "Progress output: auto, plain, tty, rawjson or quiet.") var progress: ProgressMode = .auto
    @Flag(name: [.short, .long], help: "Print only the image digest.") var quiet = false
    @Option(name: .customLong("metadata-file"), help: "Write build result metadata (JSON) to a file.")
    var metadataFile: String?
    @Option(help: "Write the image digest to a file.") var iidfile: String?
    @Option(help: "Network for RUN steps: default (as buildx, the default; here through Reprise's recorder: every fetch recorded, replayed offline; also `record`), none (no network), or host (unrecorded; needs --allow network.host).")
    var network: String = "default"
    @Option(name: .customLong("network-record"),
            help: "How the recording network treats HTTPS: tls (intercept with the journal's CA; default) or no-tls (tunnels pass through, logged by host; the step cannot be replayed offline).")
    var networkRecord: String = "tls"
    @Option(name: .customLong("network-allow"),
            help: "A host, address or HOST:PORT on this machine (loopback, link-local, its own addresses) that recorded steps may reach anyway (repeatable).")
    var networkAllow: [String] = []
    @Option(name: .customLong("network-trust"),
            help: "A PEM file of CA certificates the recorder trusts for HTTPS origins, besides the system's (repeatable).")
    var networkTrust: [String] = []
    @Option(help: ArgumentHelp("Target platform(s), os/arch[/variant], comma separated or repeated (default: the host's); "
                               + "others run under QEMU user emulation, several make an image index.",
                               valueName: "platform"))
    var platform: [String] = []
    @Option(help: "Grant an entitlement, as buildx: security.insecure or network.host (repeatable).")
    var allow: [String] = []
    @Option(help: "Resource limit for RUN steps, as buildx: NAME=SOFT[:HARD], e.g. nofile=1024:2048 (repeatable).")
    var ulimit: [String] = []
    @Option(name: .customLong("shm-size"), help: "Size of /dev/shm in RUN steps, e.g. 128m (default 64m).")
    var shmSize: String?
    @Option(name: [.short, .long], help: "Memory limit of each RUN step, e.g. 512m (as docker build; default: none).")
    var memory: String?
    @Option(name: .customLong("pids-limit"), parsing: .unconditional,
            help: "Most processes and threads a RUN step may have at once; -1 for no limit (default \(ResourceLimits.defaultPidsLimit)).")
    var pidsLimit: Int?
    @Option(help: "Attach SLSA provenance, as buildx: true (mode=min), false, mode=min or mode=max.")
    var provenance: String?
    @Option(help: "Attach an attestation, as buildx: type=provenance[,mode=min|max] or type=sbom (repeatable).")
    var attest: [String] = []
    @Option(help: "Attach an SBOM attestation, as buildx: true or false.")
    var sbom: String?

    // Image metadata, hosts, cache control (buildx's names; see BuildFlags+Buildx.swift).
    @Option(help: "Set a label on the image, KEY=VALUE (repeatable).") var label: [String] = []
    @Option(help: ArgumentHelp("Add an annotation to the image: [TYPE[PLATFORM]:]KEY=VALUE, TYPE one of manifest "
                               + "(default), index, manifest-descriptor, index-descriptor (repeatable).",
                               valueName: "annotation"))
    var annotation: [String] = []
    @Option(name: .customLong("add-host"), help: "Add a line to RUN steps' /etc/hosts: NAME:IP (repeatable).")
    var addHost: [String] = []
    @Option(name: .customLong("no-cache-filter"), help: "Do not use cached steps for these stages (names or indexes; repeatable).")
    var noCacheFilter: [String] = []
    @Option(name: .customLong("cache-from"), help: "Import a step cache: type=local,src=DIR or type=registry,ref=HOST/REPO:TAG (or just the reference), as --cache-to wrote it; repeatable.")
    var cacheFrom: [String] = []
    @Option(name: .customLong("cache-to"), help: "Export the build's step cache: type=local,dest=DIR or type=registry,ref=HOST/REPO:TAG (the build's bundle, as journal push makes it).")
    var cacheTo: [String] = []
    @Flag(help: "Accepted as buildx's --load: the image is always kept in the journal (see `reprise image ls`).")
    var load = false
    @Option(help: "Accepted as buildx's --builder for the one builder there is here: default.") var builder: String?
    @Option(name: .customLong("cgroup-parent"), help: "buildx's --cgroup-parent: refused with the reason (RUN steps run in Reprise's own cgroups).")
    var cgroupParent: String?

    @Flag(help: "Push the image to the registry under each -t name (--output type=registry).") var push = false
    @Flag(help: "Resolve registry tags of base images again, even when the journal already holds them.")
    var pull = false
    @OptionGroup var registryOptions: RegistryOptions

    /// The context directory (`.` when none was given, for `--check`).
    var contextPath: String { context ?? "." }

    var dockerfilePath: String {
        file ?? (contextPath as NSString).appendingPathComponent("Dockerfile")
    }

    var progressMode: ProgressMode {
        quiet ? .quiet : progress.resolved(stderrIsTTY: Terminal.stderrIsTTY)
    }

    func buildArgumentValues() throws -> [String: String] {
        var values: [String: String] = [:]
        for argument in buildArg {
            let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let key = parts.first, !key.isEmpty else {
                throw ValidationError("invalid --build-arg '\(argument)': expected KEY=VALUE or KEY")
            }
            if parts.count == 2 {
                values[key] = parts[1]
            } else if let value = ProcessInfo.processInfo.environment[key] {
                values[key] = value
            }
        }
        return values
    }

    func validate() throws {
        try validateBuilderFlags()
        guard ["none", "host", "default", "record"].contains(network) else {
            throw ValidationError("--network must be none, default (record) or host, not '\(network)'")
        }
        guard ["tls", "no-tls"].contains(networkRecord) else {
            throw ValidationError("--network-record must be tls or no-tls, not '\(networkRecord)'")
        }
    }

    /// The request; `inputs` stands for the context and Dockerfile when they came from
    /// standard input or git (``StagedInputs``).
    func request(inputs: StagedInputs? = nil) throws -> BuildRequest {
        guard let context = inputs?.contextPath ?? self.context else {
            throw ValidationError("missing the build context (CONTEXT)")
        }
        let file = inputs?.dockerfilePath ?? self.file
        if inputs == nil, StagedInputs.needsStaging(context: context, file: file) {
            throw ValidationError("a context or Dockerfile from standard input or git is only for `reprise build`")
        }
        let dockerfilePath = file ?? (context as NSString).appendingPathComponent("Dockerfile")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: context, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RequestError.missingContext(context)
        }
        guard FileManager.default.fileExists(atPath: dockerfilePath) else {
            throw RequestError.missingDockerfile(dockerfilePath)
        }
        let arguments = try buildArgumentValues()
        let epochText = arguments["SOURCE_DATE_EPOCH"] ?? ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"]
        var epoch: Int64?
        if let epochText, !epochText.isEmpty {
            guard let value = Int64(epochText), value >= 0 else {
                throw ValidationError("SOURCE_DATE_EPOCH must be a number of seconds, not '\(epochText)'")
            }
            epoch = value
        }
        let entitlements = try allow.flatMap { $0.split(separator: ",").map(String.init) }.map { name in
            guard let entitlement = Entitlement(rawValue: name) else {
                throw ValidationError("--allow \(name): expected one of "
                    + Entitlement.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return entitlement
        }
        var request = BuildRequest(
            contextPath: context, dockerfilePath: file, buildArguments: arguments, target: target, tags: tag,
            outputs: try outputSpecs(), noCache: noCache,
            namedContexts: try buildContext.map { try NamedContextSource(parsing: $0) },
            secrets: try secret.map { try SecretSource(parsing: $0) },
            ssh: try ssh.map { try SSHSource(parsing: $0) },
            network: network == "default" ? "record" : network, sourceDateEpoch: epoch, metadataFile: metadataFile)
        request.platform = try platforms().first ?? Self.hostPlatform
        request.networkRecording = NetworkRecordingOptions(interceptTLS: networkRecord == "tls", allowed: networkAllow,
                                                           trustedCertificates: networkTrust)
        request.registry = registryOptions.configuration
        request.pull = pull
        if push {
            guard !tag.isEmpty else { throw ValidationError("--push needs at least one -t NAME to push to") }
            request.outputs.append(OutputSpec(type: .image, names: tag, push: true))
        }
        for spec in request.outputs where spec.type == .image && spec.push && spec.names.isEmpty && tag.isEmpty {
            throw ValidationError("--output type=\(spec.type.rawValue),push=true needs name=REF (or -t NAME)")
        }
        request.entitlements = Set(entitlements)
        request.resourceLimits = try resourceLimits()
        request.maxParallelStages = try Self.maxParallelStages(ProcessInfo.processInfo.environment)
        let attestations = try AttestationRequest(provenance: provenance, attest: attest, sbom: sbom)
        if !attestations.isEmpty { request.attestor = ProvenanceAttestor(request: attestations) }
        try applyBuildxOptions(to: &request, inputs: inputs)
        return request
    }

    /// `--platform`, each checked: linux only, an architecture QEMU can emulate.
    func platforms() throws -> [Platform] {
        try platform.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
            .map { text in
                if text == "local" { return Self.hostPlatform }
                guard let parsed = Platform(parsing: text), parsed.os == "linux" else {
                    throw ValidationError("--platform \(text): expected linux/ARCH[/VARIANT], e.g. linux/arm64")
                }
                guard UserEmulation.runsNatively(parsed.architecture) || UserEmulation.qemuName(for: parsed.architecture) != nil else {
                    throw ValidationError("--platform \(text): no emulator is known for \(parsed.architecture)")
                }
                return parsed
            }
    }

    /// The machine's own platform: what builds are for when `--platform` is not given.
    static var hostPlatform: Platform { Platform(architecture: UserEmulation.hostArchitecture, os: "linux") }

    /// `REPRISE_MAX_PARALLEL_STAGES=N`: at most N independent stages at once (1: sequential),
    /// like buildkitd's `max-parallelism`; unset, as many as there are cores.
    static func maxParallelStages(_ environment: [String: String]) throws -> Int? {
        guard let text = environment["REPRISE_MAX_PARALLEL_STAGES"], !text.isEmpty else { return nil }
        guard let value = Int(text), value >= 1 else {
            throw ValidationError("REPRISE_MAX_PARALLEL_STAGES=\(text): expected a whole number of stages, 1 or more")
        }
        return value
    }

    /// One `--output`, refused before any step runs when it asks for what no exporter here does:
    /// an option Reprise would otherwise silently ignore.
    static func supportedOutput(_ text: String) throws -> OutputSpec {
        let spec = try OutputSpec(parsing: text)
        if let key = spec.attributes.keys.sorted().first(where: { !OutputOptions.isHonoured($0, for: spec.type) }) {
            throw ValidationError("--output \(text): \(key)= is not supported for type=\(spec.type.rawValue) "
                + "(understood: \(OutputOptions.honoured(for: spec.type).joined(separator: ", ")))")
        }
        if spec.type == .local || spec.type == .tar {
            // Parsed by OutputSpec for every type, but only the image exporters use them.
            let used = (spec.names.isEmpty ? [] : ["name"]) + (spec.tar ? [] : ["tar"])
            if let key = used.first {
                throw ValidationError("--output \(text): \(key)= is not supported for type=\(spec.type.rawValue) "
                    + "(understood: \(OutputOptions.honoured(for: spec.type).joined(separator: ", ")))")
            }
        }
        do { _ = try ExportOptions(spec) } catch { throw ValidationError("\(error)") }
        if spec.push && spec.type != .image {
            throw ValidationError("--output \(text): push=true needs type=image (or type=registry)")
        }
        return spec
    }

    /// `--pids-limit`, `--memory`, `--ulimit` and `--shm-size` as the sandbox takes them.
    func resourceLimits() throws -> ResourceLimits {
        var limits = ResourceLimits()
        if let pidsLimit {
            // As docker: 0 and -1 mean no limit.
            guard pidsLimit >= -1 else { throw ValidationError("--pids-limit must be -1 (no limit) or more, not \(pidsLimit)") }
            limits.pids = pidsLimit > 0 ? pidsLimit : nil
        }
        if let memory {
            let bytes: UInt64
            do { bytes = try ByteSize.parse(memory) } catch { throw ValidationError("--memory: \(error)") }
            guard bytes >= ResourceLimits.minimumMemoryBytes else {
                throw ValidationError("--memory \(memory): the minimum memory limit is 6m")
            }
            limits.memoryBytes = bytes
        }
        if let shmSize {
            let bytes: UInt64
            do { bytes = try ByteSize.parse(shmSize) } catch { throw ValidationError("--shm-size: \(error)") }
            guard bytes > 0 else { throw ValidationError("--shm-size must be more than 0") }
            limits.shmSizeBytes = bytes
        }
        do { limits.ulimits = try ulimit.map(Ulimit.init(parsing:)) } catch { throw ValidationError("--ulimit: \(error)") }
        return limits
    }
}
