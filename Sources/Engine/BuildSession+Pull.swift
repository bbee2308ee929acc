import BuildJournal
import ContentStore
import Foundation
import Frontend
import OCIImage
import Registry

/// Images from registries, pulled before anything reads a base image: `FROM host/repo:tag`
/// (and `COPY --from`, `--mount from=` naming one), and `--build-context NAME=docker-image://REF`.
/// A build pulls a tag only when the journal has no image by that name, or always under
/// `--pull`; the record keeps the digest. A replay pulls by that recorded digest, never by tag,
/// and only when the journal lacks the image.
extension BuildSession {
    /// Whether a name written in a Dockerfile names a registry explicitly (`host.tld/…`,
    /// `host:port/…`, `localhost/…`), as opposed to a bare name looked up locally.
    static func namesRegistry(_ name: String) -> Bool {
        guard let slash = name.firstIndex(of: "/") else { return false }
        let first = name[..<slash]
        return first.contains(".") || first.contains(":") || first == "localhost"
    }

    func pullRegistryImages(_ plan: DockerfilePlan) async throws {
        var client: RegistryClient?
        func registry() throws -> RegistryClient {
            if let client { return client }
            let made = try RegistryClient(configuration: request.registry)
            client = made
            return made
        }
        do {
            try await pullImageContexts(registry)
            try await pullBaseImages(plan, registry)
            await client?.shutdown()
        } catch {
            await client?.shutdown()
            throw error
        }
    }

    private func pullImageContexts(_ registry: () throws -> RegistryClient) async throws {
        // A replay pins image contexts by digest instead of passing them again.
        for (name, origin) in (request.replay?.registryOrigins ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let pinned = pinnedImages[name] { _ = try await ensureImage(pinned, from: origin, registry) }
        }
        for named in request.namedContexts {
            guard case .registryImage(let text) = named.origin else { continue }
            let reference = try ImageReference(parsing: text)
            let image: ResolvedImage
            do {
                if let pinned = pinnedImages[named.name] {
                    image = try await ensureImage(pinned, from: request.replay?.registryOrigins[named.name] ?? text, registry)
                } else {
                    image = try await pullOrReuse(reference, registry)
                }
            } catch let error as RegistryError {
                throw EngineError.pullFailed(name: "--build-context \(named.name)=\(named.originText)", location: nil,
                                             reason: "\(error)")
            }
            imageContexts[named.name] = image
            try journal.registerImage(manifest: image.root.digest, config: image.configDescriptor.digest,
                                      source: "context:\(named.name)")
            recorder.update { $0.contexts.append(.init(name: named.name, origin: named.originText, image: image.root.digest)) }
        }
    }

    private func pullBaseImages(_ plan: DockerfilePlan, _ registry: () throws -> RegistryClient) async throws {
        let stageNames = Set(plan.stages.compactMap(\.name))
        for name in Self.referencedNames(in: plan).sorted() where name != Self.mainContext && !stageNames.contains(name) {
            if request.namedContexts.contains(where: { Self.name(name, refersToContext: $0.name) }) { continue }
            // Each platform a stage wants this image for (`FROM --platform=$BUILDPLATFORM`).
            let platforms = Self.platforms(wanting: name, in: plan, default: request.platform) { try? self.stagePlatform($0) }
            if let pinned = pinnedImages[name] {
                if let origin = request.replay?.registryOrigins[name] ?? (Self.namesRegistry(name) ? name : nil) {
                    for platform in platforms { _ = try await ensureImage(pinned, from: origin, registry, platform: platform) }
                }
                continue
            }
            guard Self.namesRegistry(name), let reference = try? ImageReference(parsing: name) else { continue }
            do {
                for platform in platforms { _ = try await pullOrReuse(reference, registry, platform: platform) }
            } catch let error as RegistryError {
                throw EngineError.pullFailed(name: name, location: Self.location(of: name, in: plan), reason: "\(error)")
            }
        }
    }

    /// The platforms the stages starting `FROM name` are built for, the build's first (it is
    /// also what `COPY --from` and `--mount from=` read).
    static func platforms(wanting name: String, in plan: DockerfilePlan, default platform: Platform,
                          stagePlatform: (PlannedStage) -> Platform?) -> [Platform] {
        var platforms = [platform]
        for stage in plan.stages where stage.baseName == name {
            if let wanted = stagePlatform(stage), !platforms.contains(wanted) { platforms.append(wanted) }
        }
        return platforms
    }

    /// Where the Dockerfile first names `name`: a FROM, else a COPY --from or RUN --mount from=.
    static func location(of name: String, in plan: DockerfilePlan) -> Frontend.SourceLocation? {
        for stage in plan.stages where stage.baseName == name { return stage.from.location }
        for stage in plan.stages {
            for instruction in stage.instructions {
                switch instruction.expanded {
                case .copy(let copy) where copy.from == name: return instruction.source.location
                case .run(let run) where run.mounts.contains(where: { $0.from == name }): return instruction.source.location
                default: continue
                }
            }
        }
        return nil
    }

    /// The image a tag names: the journal's copy, unless there is none or `--pull` asks to
    /// resolve the tag again.
    private func pullOrReuse(_ reference: ImageReference, _ registry: () throws -> RegistryClient,
                             platform: Platform? = nil) async throws -> ResolvedImage {
        let platform = platform ?? request.platform
        // A digest names one image forever: the journal's copy is as good as the registry's.
        if let digest = reference.digest, let image = completeImage(digest, platform: platform) { return image }
        if !request.pull, reference.digest == nil, let local = try? journal.resolveImage(reference.description),
           let image = completeImage(local, platform: platform) {
            return image
        }
        let begun = Date()
        let pulled = try await registry().pull(reference, platform: platform, into: journal.store,
                                               verifyLayers: true)
        emit(.pulled(reference: pulled.reference.description, seconds: Date().timeIntervalSince(begun)))
        try journal.registerImage(manifest: pulled.root.digest, config: pulled.image.configDescriptor.digest,
                                  source: "pull:\(pulled.reference)")
        // Named by the reference as written, so the next build without --pull reuses it.
        if reference.digest == nil { try journal.tag(reference.description, manifest: pulled.root.digest) }
        return pulled.image
    }

    /// A recorded digest's image, pulled by digest from `origin`'s repository when the journal
    /// lacks any of it (a moved tag cannot change what is fetched).
    private func ensureImage(_ digest: Digest, from origin: String, _ registry: () throws -> RegistryClient,
                             platform: Platform? = nil) async throws -> ResolvedImage {
        let platform = platform ?? request.platform
        if let image = completeImage(digest, platform: platform) { return image }
        var reference = try ImageReference(parsing: origin)
        reference.tag = nil
        reference.digest = digest
        let begun = Date()
        let pulled = try await registry().pull(reference, platform: platform, into: journal.store,
                                               verifyLayers: true)
        emit(.pulled(reference: reference.description, seconds: Date().timeIntervalSince(begun)))
        try journal.registerImage(manifest: pulled.root.digest, config: pulled.image.configDescriptor.digest,
                                  source: "pull:\(reference)")
        return pulled.image
    }

    /// The image if the store holds its manifest, config and every layer.
    private func completeImage(_ digest: Digest, platform: Platform) -> ResolvedImage? {
        guard let descriptor = try? journal.store.imageDescriptor(for: digest),
              let image = try? journal.store.resolveImage(descriptor, platform: platform),
              image.manifest.layers.allSatisfy({ !($0.urls ?? []).isEmpty || journal.store.contains($0.digest) })
        else { return nil }
        return image
    }

    /// Repositories on registries this build pulled from, for cross-repository mounts on push.
    var pulledRepositories: [String] {
        var names = Set<String>()
        for name in record.baseImages.keys where Self.namesRegistry(name) {
            if let reference = try? ImageReference(parsing: name) { names.insert(reference.name) }
        }
        for named in request.namedContexts {
            if case .registryImage(let text) = named.origin, let reference = try? ImageReference(parsing: text) {
                names.insert(reference.name)
            }
        }
        return names.sorted()
    }

    /// Pushes the built image (or the index holding it and its attestations) to each name.
    func push(_ manifest: Digest, to names: [String]) async throws -> [String] {
        guard !names.isEmpty else {
            throw EngineError.unsupported(message: "a push needs a name: -t REF or --output type=registry,name=REF",
                                          location: nil)
        }
        let root = try journal.store.imageDescriptor(for: manifest)
        return try await RegistryClient.using(request.registry) { client in
            var pushed: [String] = []
            for name in names {
                let reference = try ImageReference(parsing: name)
                PulledBlobLocations.remember(in: client, journal: journal, host: reference.domain)
                let descriptor = try await client.push(root, from: journal.store, to: reference,
                                                       mountFrom: pulledRepositories)
                pushed.append("\(reference.name)@\(descriptor.digest)")
            }
            return pushed
        }
    }
}
