import ContentStore
import Foundation
import OCIImage

/// Referrers: artifacts whose `subject` is an image. Registries with the referrers API list
/// them at `/v2/NAME/referrers/DIGEST`; for the others (distribution 2.8 among them) the OCI
/// distribution spec's fallback is an index under the tag `sha256-<hex>` that the pusher keeps.
extension RegistryClient {
    /// The tag of the referrers tag schema for `subject`.
    public static func referrersTag(for subject: Digest) -> String { "sha256-" + subject.hex }

    /// Every referrer of `subject` (optionally of one artifact type): from the referrers API when
    /// the registry has it, else from the fallback tag.
    public func referrers(of subject: Digest, in repository: ImageReference,
                          artifactType: String? = nil) async throws -> [Descriptor] {
        var path = "/v2/\(repository.path)/referrers/\(subject)"
        if let artifactType { path += "?artifactType=" + (artifactType.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? artifactType) }
        let (head, body, url) = try await send("GET", path, in: repository, actions: "pull")
        var found: [Descriptor]
        if head.status == 200, (head.header("Content-Type") ?? "").contains(MediaType.imageIndex) {
            let data = try await body.collect(limit: Self.manifestLimit)
            guard let index = try? JSONDecoder().decode(ImageIndex.self, from: data) else {
                throw RegistryError.invalidResponse(url: url, reason: "the referrers list is not an image index")
            }
            found = index.manifests
        } else {
            guard head.status == 404 || head.status == 200 || head.status == 405 else {
                throw await Self.failure(head, body, method: "GET", url: url)
            }
            await body.discard()
            found = try await fallbackReferrers(of: subject, in: repository)?.manifests ?? []
        }
        if let artifactType { found = found.filter { $0.artifactType == artifactType } }
        return found
    }

    /// The index under the fallback tag, or nil when there is none.
    func fallbackReferrers(of subject: Digest, in repository: ImageReference) async throws -> ImageIndex? {
        var tagged = repository
        tagged.digest = nil
        tagged.tag = Self.referrersTag(for: subject)
        do {
            let fetched = try await fetchManifest(tagged)
            return try JSONDecoder().decode(ImageIndex.self, from: fetched.data)
        } catch RegistryError.notFound {
            return nil
        }
    }

    /// Pushes an artifact manifest that has a `subject` (already in the registry with its blobs)
    /// and makes it discoverable: the registry's referrers API does so itself; otherwise the
    /// fallback tag's index gets the artifact's descriptor. Several rebuilders may publish at
    /// once and the fallback has no compare-and-swap, so each writer re-reads after a short
    /// random pause and adds itself again when another writer's index replaced its own.
    @discardableResult
    public func pushReferrer(_ data: Data, subject: Digest, to repository: ImageReference,
                             tag: String? = nil) async throws -> Descriptor {
        let manifest = try JSONDecoder().decode(ImageManifest.self, from: data)
        let (pushed, processed) = try await pushManifest(data, mediaType: MediaType.imageManifest, to: repository,
                                                         tag: tag)
        var descriptor = pushed
        descriptor.artifactType = manifest.artifactType ?? manifest.config.mediaType
        descriptor.annotations = manifest.annotations
        if processed { return descriptor }
        var tagged = repository
        tagged.digest = nil
        tagged.tag = Self.referrersTag(for: subject)
        for _ in 0..<12 {
            var index = try await fallbackReferrers(of: subject, in: repository) ?? ImageIndex(manifests: [])
            if !index.manifests.contains(where: { $0.digest == descriptor.digest }) {
                index.manifests.append(descriptor)
                try await pushManifest(try index.canonicalData(), mediaType: MediaType.imageIndex, to: tagged,
                                       tag: tagged.tag)
            }
            // Seen twice, a pause apart: a writer that read before us and wrote after our first
            // look would have to be slower than both pauses together to drop us unseen.
            var settled = true
            for _ in 0..<2 where settled {
                try await Task.sleep(nanoseconds: UInt64.random(in: 150_000_000...400_000_000))
                let index = try await fallbackReferrers(of: subject, in: repository)
                settled = index?.manifests.contains(where: { $0.digest == descriptor.digest }) == true
            }
            if settled { return descriptor }
        }
        throw RegistryError.invalidResponse(url: "\(repository.name):\(tagged.tag ?? "")",
                                            reason: "could not add the referrer to the fallback tag (too many concurrent writers)")
    }
}
