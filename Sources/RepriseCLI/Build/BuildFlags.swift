import ArgumentParser
import Engine
import Foundation
import OCIImage
import Sandbox

/// The flags `reprise build` shares with `docker buildx build` (and that replay and verify
/// reuse): same names, same value syntax.
struct BuildFlags: ParsableArguments {
    @Argument(help: "The build context directory.") var context: String?

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
    @Option(help: "Network for RUN steps: none (default) or host.") var network: String = "none"
    @Option(help: "Target platform (only the host's is supported).") var platform: String?
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
        guard ["none", "host", "default"].contains(network) else {
            throw ValidationError("--network must be none or host, not '\(network)'")
        }
    }

    func request() throws -> BuildRequest {
        guard let context else { throw ValidationError("missing the build context directory (CONTEXT)") }
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
        if let platform, platform != "linux/amd64" {
            throw ValidationError("--platform \(platform): only linux/amd64 builds run here")
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
            outputs: try output.map(Self.supportedOutput), noCache: noCache,
            namedContexts: try buildContext.map { try NamedContextSource(parsing: $0) },
            secrets: try secret.map { try SecretSource(parsing: $0) },
            ssh: try ssh.map { try SSHSource(parsing: $0) },
            network: network == "default" ? "none" : network, sourceDateEpoch: epoch, metadataFile: metadataFile)
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
        let attestations = try AttestationRequest(provenance: provenance, attest: attest, sbom: sbom)
        if !attestations.isEmpty { request.attestor = ProvenanceAttestor(request: attestations) }
        return request
    }

    /// One `--output`, refused before any step runs when it asks for what no exporter here does:
    /// an option buildx knows but Reprise would otherwise silently ignore.
    static func supportedOutput(_ text: String) throws -> OutputSpec {
        let spec = try OutputSpec(parsing: text)
        if let key = spec.attributes.keys.sorted().first {
            throw ValidationError("--output \(text): \(key)= is not supported (Reprise writes gzip layers with OCI "
                + "media types; it understands type, dest, tar, name and push)")
        }
        if spec.push && spec.type != .image {
            throw ValidationError("--output \(text): push=true needs type=image (or type=registry)")
        }
        if spec.type == .tar {
            throw ValidationError("--output \(text): type=tar is not supported yet; use type=local or type=oci")
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
