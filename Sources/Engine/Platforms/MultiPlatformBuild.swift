import BuildJournal
import ContentStore
import Foundation
import LayerArchive
import OCIImage
import Registry

/// `--platform linux/amd64,linux/arm64`: one build per platform, each its own record in the
/// journal (so each replays on its own, under emulation where it ran under emulation), then an
/// OCI image index naming every platform's manifest, which the outputs and the tags name.
///
/// As BuildKit's exporters: image layouts, OCI tars and registries get the index; `type=local`
/// and `type=tar` get one directory per platform (`linux_amd64/`, `linux_arm64/`); `type=docker`
/// cannot hold an index and is refused before anything runs (``validate(_:platforms:)``).
public struct MultiPlatformBuild: Sendable {
    public let engine: BuildEngine

    public init(engine: BuildEngine) {
        self.engine = engine
    }

    /// What a build for several platforms produced.
    public struct Result: Sendable {
        /// The image index (its descriptor, as the outputs name it).
        public var index: Descriptor
        /// One build per platform, in the order the platforms were given.
        public var builds: [BuildEngine.Result]
    }

    /// Refuses what a several-platform build cannot produce, before any step runs.
    public static func validate(_ request: BuildRequest, platforms: [Platform]) throws {
        guard platforms.count > 1 else { return }
        var seen = Set<String>()
        for platform in platforms where !seen.insert(platform.description).inserted {
            throw EngineError.unsupported(message: "--platform lists \(platform) twice", location: nil)
        }
        for output in request.outputs {
            // buildx's (BuildKit's) own words for it.
            if output.type == .docker {
                throw EngineError.unsupported(
                    message: "docker exporter does not currently support exporting manifest lists "
                        + "(use --output type=oci for several platforms)", location: nil)
            }
            if (output.type == .local || output.type == .tar) && output.destination == nil {
                throw EngineError.unsupported(message: "type=\(output.type.rawValue) needs dest=", location: nil)
            }
            if try ExportOptions(output) != nil, request.attestor != nil {
                throw EngineError.unsupported(
                    message: "--output compression=/oci-mediatypes= with attestations is not supported yet", location: nil)
            }
        }
    }

    public func build(_ request: BuildRequest, platforms: [Platform]) async throws -> Result {
        try Self.validate(request, platforms: platforms)
        let journal = engine.journal
        let staging = journal.root + "/tmp/platforms-" + journal.makeBuildID()
        defer { try? FileManager.default.removeItem(atPath: staging) }
        var builds: [BuildEngine.Result] = []
        var manifests: [Descriptor] = []
        for platform in platforms {
            var one = request
            one.platform = platform
            // Tags name the index, once every platform built (a failed platform leaves them as
            // they were); each record keeps them, so attestations name the image.
            one.partOfMultiPlatform = true
            one.metadataFile = nil
            one.outputs = request.outputs.compactMap { Self.perPlatform($0, platform: platform, staging: staging) }
            let result = try await engine.build(one)
            builds.append(result)
            manifests += try entries(of: result, platform: platform)
        }
        let indexAnnotations = ImageAnnotation.values(request.annotations, for: .index)
        let index = ImageIndex(manifests: manifests, annotations: indexAnnotations.isEmpty ? nil : indexAnnotations)
        let data = try CanonicalJSON.encode(index)
        let stored = try journal.store.ingest(data)
        var descriptor = Descriptor(mediaType: MediaType.imageIndex, digest: stored.digest, size: stored.size)
        for tag in request.tags { try journal.tag(try ImageReference(parsing: tag).description, manifest: stored.digest) }
        let descriptorAnnotations = ImageAnnotation.values(request.annotations, for: .indexDescriptor)
        descriptor.annotations = descriptorAnnotations.isEmpty ? nil : descriptorAnnotations

        for (offset, output) in request.outputs.enumerated() {
            let begun = Date()
            let what = "exporting \(platforms.count) platforms to \(output.type.rawValue) \(output.destination ?? "-")"
            engine.events.receive(.exporting(vertex: 1000 + offset, what: what))
            try await export(stored.digest, to: output, request: request, annotations: descriptorAnnotations,
                             staging: staging)
            engine.events.receive(.exported(vertex: 1000 + offset, what: what, seconds: Date().timeIntervalSince(begun)))
        }
        try journal.synchronize()
        if let path = request.metadataFile { try writeMetadata(to: path, index: descriptor, builds: builds, request: request) }
        return Result(index: descriptor, builds: builds)
    }

    /// The index entries one platform's build adds: its manifest with the platform, or the
    /// manifests of the index attestations put around it (the image and its attestation).
    private func entries(of result: BuildEngine.Result, platform: Platform) throws -> [Descriptor] {
        let store = engine.journal.store
        guard let manifest = result.manifest else {
            throw EngineError.unsupported(message: "the \(platform) build made no image", location: nil)
        }
        // The platform as the image's config declares it (so the index and the config agree,
        // variant included); the requested one when the config says nothing or another
        // architecture (a final stage `FROM --platform=$BUILDPLATFORM`): the entry is what
        // the build was for, as in BuildKit.
        var declared = platform
        if let config = result.config,
           let configuration = try? CanonicalJSON.decode(ImageConfiguration.self, from: store.read(config)),
           !configuration.architecture.isEmpty, configuration.architecture == platform.architecture,
           configuration.os == platform.os {
            declared = Platform(architecture: configuration.architecture, os: configuration.os,
                                variant: configuration.variant)
        }
        if let image = result.image, MediaType.isIndex(image.mediaType) {
            return try CanonicalJSON.decode(ImageIndex.self, from: store.read(image.digest)).manifests.map { entry in
                guard entry.digest == manifest else { return entry }
                var stamped = entry
                stamped.platform = declared
                return stamped
            }
        }
        var descriptor = try store.imageDescriptor(for: manifest)
        descriptor.annotations = result.image?.annotations
        descriptor.platform = declared
        return [descriptor]
    }

    /// What one platform's build writes itself: `type=local`/`type=tar` go to a directory
    /// per platform (the tar is made at the end, from all of them); the rest is written once,
    /// from the index.
    static func perPlatform(_ output: OutputSpec, platform: Platform, staging: String) -> OutputSpec? {
        let directory = platform.description.replacingOccurrences(of: "/", with: "_")
        switch output.type {
        case .local:
            var spec = output
            spec.destination = (output.destination ?? ".") + "/" + directory
            return spec
        case .tar:
            return OutputSpec(type: .local, destination: staging + "/tar/" + directory)
        case .oci, .docker, .image:
            return nil
        }
    }

    private func export(_ index: Digest, to output: OutputSpec, request: BuildRequest,
                        annotations: [String: String], staging: String) async throws {
        let journal = engine.journal
        switch output.type {
        case .local:
            return
        case .tar:
            guard let destination = output.destination else { return }
            try FileExport.write(to: destination) { write in
                _ = try LayerWriter(compression: .none, sourceDateEpoch: request.sourceDateEpoch)
                    .write(directory: staging + "/tar", to: write)
            }
        case .oci, .docker:
            var spec = output
            if spec.names.isEmpty { spec.names = request.tags }
            var image = index
            if let options = try ExportOptions(output) { image = try convert(index, with: options) }
            try ImageExporter(store: journal.store, archiveTimestamp: request.sourceDateEpoch ?? 0)
                .export(image, to: spec, refName: spec.names.isEmpty ? "latest" : nil,
                        descriptorAnnotations: annotations)
        case .image:
            let names = output.names.isEmpty ? request.tags : output.names
            for name in names { try journal.tag(try ImageReference(parsing: name).description, manifest: index) }
            guard output.push else { return }
            let root = try journal.store.imageDescriptor(for: index)
            try await RegistryClient.using(request.registry) { client in
                for name in names {
                    _ = try await client.push(root, from: journal.store, to: try ImageReference(parsing: name))
                }
            }
        }
    }

    /// `compression=`/`oci-mediatypes=`: each platform's manifest re-encoded (``ExportOptions``),
    /// in a new index of the same platforms (a Docker manifest list under `oci-mediatypes=false`).
    private func convert(_ index: Digest, with options: ExportOptions) throws -> Digest {
        let store = engine.journal.store
        let original = try CanonicalJSON.decode(ImageIndex.self, from: store.read(index))
        var manifests: [Descriptor] = []
        for entry in original.manifests {
            var converted = try options.convert(entry.digest, in: store)
            converted.platform = entry.platform
            converted.annotations = entry.annotations
            manifests.append(converted)
        }
        let docker = options.ociMediaTypes == false
        var result = ImageIndex(mediaType: docker ? MediaType.dockerManifestList : MediaType.imageIndex,
                                manifests: manifests, annotations: original.annotations)
        if docker { result.annotations = nil }
        return try store.ingest(try CanonicalJSON.encode(result)).digest
    }

    /// buildx's metadata for a multi-platform build: the index is `containerimage.digest`;
    /// there is no single config. Ours: each platform's build id and manifest.
    private func writeMetadata(to path: String, index: Descriptor, builds: [BuildEngine.Result],
                               request: BuildRequest) throws {
        let metadata: [String: Any] = [
            "containerimage.digest": index.digest.description,
            "containerimage.descriptor": try JSONSerialization.jsonObject(with: try CanonicalJSON.encode(index)),
            "buildx.build.ref": "reprise/local/\(builds.map(\.buildID).joined(separator: ","))",
            "reprise.build.ids": Dictionary(uniqueKeysWithValues: builds.map { ($0.record.platform, $0.buildID) }),
            "reprise.image.manifests": Dictionary(uniqueKeysWithValues: builds.map {
                ($0.record.platform, $0.manifest?.description ?? "")
            }),
        ]
        try BuildRequest.writeMetadataFile(metadata, naming: request, to: path)
    }
}
