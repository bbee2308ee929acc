import ContentStore
import Foundation
import OCIImage

/// Manifests and indexes: fetched by tag or digest and checked, pushed under a tag or digest.
extension RegistryClient {
    static let acceptedManifestTypes = [MediaType.imageIndex, MediaType.imageManifest,
                                        MediaType.dockerManifestList, MediaType.dockerManifest]
    /// Manifests larger than this are refused (the distribution registry's own limit is 4 MiB).
    static let manifestLimit = 4 << 20

    /// A manifest as the registry holds it: its exact bytes and a descriptor of them.
    public struct FetchedManifest: Sendable {
        public var data: Data
        public var descriptor: Descriptor
    }

    static func manifestPath(_ repository: ImageReference, _ reference: String) -> String {
        "/v2/\(repository.path)/manifests/\(reference)"
    }

    /// The manifest `reference` names (its digest if it has one, else its tag). The bytes are
    /// checked against the digest asked for, or against the registry's `Docker-Content-Digest`.
    public func fetchManifest(_ reference: ImageReference) async throws -> FetchedManifest {
        let selector = reference.digest?.description ?? reference.tag ?? "latest"
        for attempt in 1...configuration.attempts {
            let (head, body, url) = try await send(
                "GET", Self.manifestPath(reference, selector), in: reference, actions: "pull",
                headers: [("Accept", Self.acceptedManifestTypes.joined(separator: ", "))])
            if head.status == 404 {
                await body.discard()
                throw RegistryError.notFound(reference: reference.description)
            }
            guard head.status == 200 else { throw await Self.failure(head, body, method: "GET", url: url) }
            let data: Data
            do {
                data = try await body.collect(limit: Self.manifestLimit)
            } catch {
                let wrapped = HTTPTransport.transportError(error, url: url)
                if attempt < configuration.attempts, (wrapped as? RegistryError)?.isRetryable == true {
                    try await backoff(attempt: attempt, retryAfter: nil)
                    continue
                }
                throw wrapped
            }
            let actual = Digest(of: data)
            let expected = reference.digest ?? head.header("Docker-Content-Digest").flatMap({ Digest($0) })
            if let expected, expected != actual {
                if attempt < configuration.attempts {
                    try await backoff(attempt: attempt, retryAfter: nil)
                    continue
                }
                throw RegistryError.contentMismatch(url: url, expected: expected, actual: actual, size: Int64(data.count))
            }
            var mediaType = head.header("Content-Type").map { String($0.split(separator: ";")[0]).trimmingSpaces } ?? ""
            if !MediaType.isIndex(mediaType) && !MediaType.isManifest(mediaType) {
                struct Declared: Decodable { var mediaType: String? }
                mediaType = (try? JSONDecoder().decode(Declared.self, from: data))?.mediaType ?? mediaType
            }
            return FetchedManifest(data: data, descriptor: Descriptor(mediaType: mediaType, digest: actual,
                                                                      size: Int64(data.count)))
        }
        throw RegistryError.notFound(reference: reference.description)
    }

    /// The descriptor of what a tag or digest names now, without the content (HEAD).
    public func resolve(_ reference: ImageReference) async throws -> Descriptor {
        try await fetchManifest(reference).descriptor
    }

    /// Puts a manifest under `tagOrDigest` (its own digest when nil). Returns its descriptor and
    /// whether the registry processed its `subject` (the `OCI-Subject` header of the referrers
    /// API); when it did not, the caller keeps the referrers tag schema up to date.
    @discardableResult
    public func pushManifest(_ data: Data, mediaType: String, to repository: ImageReference,
                             tag: String? = nil) async throws -> (descriptor: Descriptor, subjectProcessed: Bool) {
        let digest = Digest(of: data)
        let selector = tag ?? digest.description
        let (head, body, url) = try await send(
            "PUT", Self.manifestPath(repository, selector), in: repository, actions: "pull,push",
            headers: [("Content-Type", mediaType)], body: .data(data))
        guard head.status == 201 || head.status == 200 else {
            throw await Self.failure(head, body, method: "PUT", url: url)
        }
        await body.discard()
        if let answered = head.header("Docker-Content-Digest").flatMap({ Digest($0) }), answered != digest {
            throw RegistryError.contentMismatch(url: url, expected: digest, actual: answered, size: Int64(data.count))
        }
        count { $0.manifestsPushed += 1 }
        return (Descriptor(mediaType: mediaType, digest: digest, size: Int64(data.count)),
                head.header("OCI-Subject") != nil)
    }

    /// The tags of a repository (`/v2/NAME/tags/list`).
    public func tags(of repository: ImageReference) async throws -> [String] {
        let (head, body, url) = try await send("GET", "/v2/\(repository.path)/tags/list", in: repository, actions: "pull")
        if head.status == 404 { await body.discard(); return [] }
        guard head.status == 200 else { throw await Self.failure(head, body, method: "GET", url: url) }
        struct List: Decodable { var tags: [String]? }
        let data = try await body.collect(limit: 16 << 20)
        return (try? JSONDecoder().decode(List.self, from: data))?.tags ?? []
    }
}
