import BuildJournal
import ContentStore
import Foundation
import OCIImage
import Registry

/// Recorded builds in a registry, so that rebuilders anywhere share them: a build's bundle is an
/// OCI artifact (`BuildBundle.artifactType`) whose `subject` is the image it made, its blobs
/// shared with that image; rebuilders publish their verdicts as referrers of the same image.
public struct BundleRegistry: Sendable {
    /// A rebuilder's verdict: a `VerifyReport` as JSON, attached to the image it verified.
    public static let verdictArtifactType = "application/vnd.reprise.verdict.v1+json"
    public static let verdictReportType = "application/vnd.reprise.verify-report.v1+json"
    public static let verdictAnnotation = "org.reprise.verdict"
    public static let rebuilderAnnotation = "org.reprise.rebuilder"
    public static let variationsAnnotation = "org.reprise.variations"

    public let journal: Journal
    public let client: RegistryClient

    public init(journal: Journal, client: RegistryClient) {
        self.journal = journal
        self.client = client
    }

    public struct Pushed: Sendable {
        public var bundle: Descriptor
        public var image: Descriptor
    }

    /// Pushes the image `buildID` made (by digest) and its bundle (tagged `reference`'s tag, and
    /// listed as a referrer of the image) to `reference`'s repository.
    public func push(_ buildID: String, to reference: ImageReference) async throws -> Pushed {
        let record = try journal.build(id: buildID)
        guard let manifest = record.manifest else {
            throw ReplayError.notReplayable(id: record.id, reason: "it made no image (status \(record.status.rawValue))")
        }
        let image = try journal.store.imageDescriptor(for: manifest)
        var byDigest = reference
        byDigest.tag = nil
        byDigest.digest = manifest
        try await client.push(image, from: journal.store, to: byDigest)
        let artifact = try BuildBundle.artifactManifest(record.id, from: journal, subject: image)
        try await client.pushBlobs(artifact.blobs, from: journal.store, to: reference)
        let bundle = try await client.pushReferrer(try journal.store.read(artifact.descriptor.digest), subject: manifest,
                                                   to: reference, tag: reference.digest == nil ? reference.tag : nil)
        return Pushed(bundle: bundle, image: image)
    }

    /// Pulls a bundle into the journal, ready to replay; returns the build id. `reference` names
    /// the bundle itself, or an image whose newest bundle referrer is taken.
    public func pull(_ reference: ImageReference) async throws -> String {
        var fetched = try await client.fetchManifest(reference)
        if !Self.isBundle(fetched.data) {
            let bundles = try await client.referrers(of: fetched.descriptor.digest, in: reference,
                                                     artifactType: BuildBundle.artifactType)
            guard let newest = bundles.last else {
                throw ReplayError.badBundle(path: reference.description,
                                            reason: "it is neither a build bundle nor an image with a bundle referrer")
            }
            var byDigest = reference
            byDigest.tag = nil
            byDigest.digest = newest.digest
            fetched = try await client.fetchManifest(byDigest)
        }
        let manifest = try JSONDecoder().decode(ImageManifest.self, from: fetched.data)
        try await client.fetchBlobs([manifest.config] + manifest.layers, from: reference, into: journal.store)
        try journal.store.ingest(fetched.data, expected: fetched.descriptor.digest)
        return try BundleImporter(journal: journal).adoptPulledBundle(
            manifest: fetched.data, source: "\(reference.name)@\(fetched.descriptor.digest)")
    }

    static func isBundle(_ data: Data) -> Bool {
        (try? JSONDecoder().decode(ImageManifest.self, from: data))?.artifactType == BuildBundle.artifactType
    }

    /// Attaches a verify report to the image it verified, as a referrer in `repository`.
    @discardableResult
    public func publishVerdict(_ report: VerifyReport, rebuilder: String, image: Digest,
                               to repository: ImageReference) async throws -> Descriptor {
        let subject = try journal.store.imageDescriptor(for: image)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(report)
        let annotations = [Self.verdictAnnotation: report.reproducible ? "reproducible" : "differs",
                           Self.rebuilderAnnotation: rebuilder,
                           Self.variationsAnnotation: report.variations.joined(separator: ",")]
        let descriptor = try ReferrerManifest(store: journal.store).store(
            blob: data, mediaType: Self.verdictReportType, artifactType: Self.verdictArtifactType,
            annotations: annotations, subject: subject)
        let manifest = try JSONDecoder().decode(ImageManifest.self, from: journal.store.read(descriptor.digest))
        try await client.pushBlobs([manifest.config] + manifest.layers, from: journal.store, to: repository)
        return try await client.pushReferrer(try journal.store.read(descriptor.digest), subject: image, to: repository)
    }

    /// The verdicts published for `image` in `repository`.
    public func verdicts(of image: Digest, in repository: ImageReference) async throws -> [Descriptor] {
        try await client.referrers(of: image, in: repository, artifactType: Self.verdictArtifactType)
    }
}
