import BuildJournal
import ContentStore
import Foundation
import LayerArchive

/// Makes the SLSA v1 provenance of a recorded build from the journal alone: everything it says
/// comes from the build record, its step records and the snapshots they name, so a provenance
/// can be written for any recorded build, long after it ran.
public struct ProvenanceBuilder: Sendable {
    public let journal: Journal
    public var mode: ProvenanceMode

    /// `builder.id`: who ran the build. A URI of ours; a deployment that signs provenance for
    /// others names its own builder instead.
    public static let defaultBuilderID = "https://github.com/reprise-build/reprise/blob/main/Docs/provenance.md#builder"

    public var builderID: String = ProvenanceBuilder.defaultBuilderID

    public init(journal: Journal, mode: ProvenanceMode = .min) {
        self.journal = journal
        self.mode = mode
    }

    /// The statement about `record`'s image. The subject is the image manifest (the digest an
    /// OCI layout or a registry gives), named after the build's first tag as BuildKit names it.
    public func statement(for record: BuildRecord) throws -> InTotoStatement<SLSAProvenance> {
        guard let manifest = record.manifest else {
            throw ProvenanceError.noImage(build: record.id, status: record.status.rawValue)
        }
        return InTotoStatement(subject: [Self.subject(manifest: manifest, tags: record.tags, platform: record.platform)],
                               predicateType: SLSAProvenance.predicateType,
                               predicate: try provenance(for: record))
    }

    /// BuildKit's subject: `pkg:docker/NAME?platform=…` (`_` when the image has no name).
    public static func subject(manifest: Digest, tags: [String], platform: String) -> ResourceDescriptor {
        let encodedPlatform = platform.replacingOccurrences(of: "/", with: "%2F")
        let name = tags.first.map { "pkg:docker/\($0)?platform=\(encodedPlatform)" } ?? "_"
        return ResourceDescriptor(name: name, sha256: manifest)
    }

    public func provenance(for record: BuildRecord) throws -> SLSAProvenance {
        let steps = try journal.steps(of: record)
        let definition = SLSAProvenance.BuildDefinition(
            externalParameters: externalParameters(record),
            internalParameters: internalParameters(record, steps: steps),
            resolvedDependencies: try dependencies(record, steps: steps))
        let recordDigest = Digest(of: try CanonicalJSON.encode(record))
        let run = SLSAProvenance.RunDetails(
            builder: .init(id: builderID, version: ["reprise": record.host.repriseVersion]),
            metadata: .init(invocationId: record.id, startedOn: Self.timestamp(record.startedAt),
                            finishedOn: Self.finished(record, steps: steps).map(Self.timestamp)),
            byproducts: [ResourceDescriptor(name: "reprise-build-record", sha256: recordDigest,
                                            mediaType: RecordMediaType.build)])
        return SLSAProvenance(buildDefinition: definition, runDetails: run)
    }

    func externalParameters(_ record: BuildRecord) -> ExternalParameters {
        let contexts = record.contexts.map { context in
            ExternalParameters.Context(name: context.name, source: context.tree != nil ? "local" : context.origin)
        }
        let full = mode == .max
        return ExternalParameters(
            dockerfile: .init(path: Self.dockerfileName(record), digest: record.dockerfile?.description),
            target: record.target, buildArgs: full ? record.buildArguments : nil, contexts: contexts,
            secrets: full ? record.secrets.map(\.id) : nil, ssh: full ? record.ssh : nil,
            platform: record.platform, tags: record.tags.isEmpty ? nil : record.tags)
    }

    /// The Dockerfile's path relative to the main context when inside it: the absolute path of
    /// the recording machine says nothing to a verifier and leaks the builder's layout.
    static func dockerfileName(_ record: BuildRecord) -> String {
        let path = record.dockerfilePath
        if let main = record.contexts.first(where: { $0.name == "context" })?.origin {
            let prefix = main.hasSuffix("/") ? main : main + "/"
            if path.hasPrefix(prefix) { return String(path.dropFirst(prefix.count)) }
        }
        return (path as NSString).lastPathComponent
    }

    func internalParameters(_ record: BuildRecord, steps: [StepRecord]) -> InternalParameters {
        let summaries: [StepSummary]? = mode == .max ? zip(steps, record.steps).map { step, digest in
            StepSummary(index: step.index, stage: step.stage, instruction: step.instruction, text: step.text,
                        location: step.location.map { "\($0.file):\($0.startLine)" },
                        cacheKey: step.cacheKey.description, outcome: step.outcome.rawValue,
                        layer: step.layer?.digest.description, record: digest.description)
        } : nil
        return InternalParameters(
            sandbox: .init(namespaces: ["mount", "pid", "net", "uts", "ipc"], rootfs: "overlay",
                           variations: record.variations.isEmpty ? nil : record.variations),
            network: record.network, sourceDateEpoch: record.sourceDateEpoch,
            repriseVersion: record.host.repriseVersion, kernel: record.host.kernel,
            architecture: record.host.architecture, complete: mode == .max, steps: summaries)
    }

    /// Every input by digest: the Dockerfile, base and image contexts by manifest, local contexts
    /// by tree digest, files fetched by ADD by URL; `mode=max` adds each context's files and
    /// every cache mount's state before the step that used it.
    func dependencies(_ record: BuildRecord, steps: [StepRecord]) throws -> [ResourceDescriptor] {
        var result: [ResourceDescriptor] = []
        if let dockerfile = record.dockerfile {
            result.append(ResourceDescriptor(name: "dockerfile", sha256: dockerfile))
        }
        for (reference, digest) in record.baseImages.sorted(by: { $0.key < $1.key }) {
            let encodedPlatform = record.platform.replacingOccurrences(of: "/", with: "%2F")
            result.append(ResourceDescriptor(name: "base:\(reference)", sha256: digest,
                                             uri: "pkg:docker/\(reference)?platform=\(encodedPlatform)"))
        }
        for context in record.contexts {
            if let image = context.image {
                result.append(ResourceDescriptor(name: "context:\(context.name)", sha256: image,
                                                 annotations: ["reprise.dev/context-source": context.origin]))
            }
            if let tree = context.tree {
                result.append(ResourceDescriptor(name: "context:\(context.name)", sha256: tree,
                                                 mediaType: TreeSnapshot.mediaType))
                if mode == .max {
                    let snapshot = try TreeSnapshot.load(tree, from: journal.store)
                    for entry in snapshot.entries where entry.hasContent {
                        guard let digest = entry.digest else { continue }
                        result.append(ResourceDescriptor(name: "context:\(context.name)/\(entry.path)", sha256: digest))
                    }
                }
            }
        }
        var fetched: Set<String> = []
        for step in steps {
            if let sources = step.sources {
                let snapshot = try TreeSnapshot.load(sources, from: journal.store)
                for entry in snapshot.entries where Self.isURL(entry.path) {
                    guard let digest = entry.digest, fetched.insert(entry.path + digest.hex).inserted else { continue }
                    result.append(ResourceDescriptor(name: "add:\(entry.path)", sha256: digest, uri: entry.path,
                                                     downloadLocation: entry.path))
                }
            }
            // What RUN steps (and ADD on the recording network) fetched through the recorder:
            // each response body is a resolved dependency, named by its URL.
            for fetch in step.fetches ?? [] where fetch.kind == .http || fetch.kind == .https {
                guard let body = fetch.body, fetched.insert(fetch.url + body.hex).inserted else { continue }
                var annotations = ["reprise.dev/fetch-step": String(step.index), "reprise.dev/fetch-method": fetch.method]
                if let status = fetch.status { annotations["reprise.dev/fetch-status"] = String(status) }
                var descriptor = ResourceDescriptor(name: "fetch:\(fetch.url)", sha256: body, uri: fetch.url,
                                                    annotations: annotations)
                descriptor.downloadLocation = fetch.url
                result.append(descriptor)
            }
            guard mode == .max else { continue }
            for mount in step.mounts where mount.kind == .cache {
                guard let before = mount.treeBefore else { continue }
                result.append(ResourceDescriptor(name: "cache:\(mount.id ?? mount.target)@step\(step.index)",
                                                 sha256: before, mediaType: TreeSnapshot.mediaType))
            }
        }
        return result
    }

    /// When the build finished; a build attesting its own output is still exporting, so its
    /// last step's end is the time its image was complete.
    static func finished(_ record: BuildRecord, steps: [StepRecord]) -> Double? {
        record.finishedAt ?? steps.map { $0.startedAt + $0.durationSeconds }.max()
    }

    static func isURL(_ path: String) -> Bool { path.hasPrefix("http://") || path.hasPrefix("https://") }

    /// RFC 3339 in UTC with whole seconds, as SLSA examples and BuildKit write times.
    static func timestamp(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: seconds.rounded(.down)))
    }
}

extension ResourceDescriptor {
    fileprivate init(name: String, sha256 digest: Digest, uri: String, downloadLocation: String) {
        self.init(uri: uri, digest: ["sha256": digest.hex], name: name, downloadLocation: downloadLocation)
    }
}
