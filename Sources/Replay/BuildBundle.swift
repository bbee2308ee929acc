import BuildJournal
import ContentStore
import Foundation
import OCIImage

/// A recorded build as one self-contained file: an OCI image layout (tar) whose index points at
/// an artifact manifest. Its config is the build record; its "layers" are every blob the build
/// reaches — step records, the Dockerfile, context trees and their files, base images, layers,
/// logs, cache-mount states — so another journal can replay the build with nothing else.
public enum BuildBundle {
    public static let artifactType = RecordMediaType.build
    public static let buildAnnotation = "org.reprise.build.id"
    static let octetStream = "application/octet-stream"

    /// Writes the bundle of `buildID` to `path`; returns how many blobs it holds.
    @discardableResult
    public static func export(_ buildID: String, from journal: Journal, to path: String) throws -> Int {
        let artifact = try artifactManifest(buildID, from: journal)
        let entry = LayoutEntry(descriptor: artifact.descriptor, refName: artifact.buildID)
        try ImageLayoutWriter(store: journal.store).writeTar(at: path, entries: [entry])
        return artifact.blobs.count + 1
    }

    /// A build as an OCI artifact manifest: what a bundle file holds, and what `journal push`
    /// sends to a registry.
    public struct Artifact: Sendable {
        public var buildID: String
        /// The manifest, in the store (so a layout writer or a push can read it).
        public var descriptor: Descriptor
        /// Its config (the build record) and layers (every blob the build reaches).
        public var blobs: [Descriptor]
    }

    /// The artifact manifest of `buildID`; with a `subject` (the image the build made) it is a
    /// referrer of that image in a registry.
    public static func artifactManifest(_ buildID: String, from journal: Journal,
                                        subject: Descriptor? = nil) throws -> Artifact {
        let record = try journal.build(id: buildID)
        // Canonical JSON: re-encoding the record gives the very blob its ref names.
        let recordDigest = try journal.putRecord(record)
        let closure = try reachableBlobs(from: recordDigest, in: journal.store)
        let layers = try closure.filter { $0 != recordDigest }.map { digest in
            Descriptor(mediaType: try mediaType(of: digest, in: journal.store), digest: digest,
                       size: try journal.store.size(of: digest))
        }
        let config = Descriptor(mediaType: RecordMediaType.build, digest: recordDigest,
                                size: try journal.store.size(of: recordDigest))
        var manifest = ImageManifest(config: config, layers: layers, artifactType: artifactType,
                                     annotations: [buildAnnotation: record.id])
        manifest.subject = subject.map { Descriptor(mediaType: $0.mediaType, digest: $0.digest, size: $0.size) }
        let data = try manifest.canonicalData()
        // In the store only so the layout writer can read it; `gc` removes it later.
        try journal.store.ingest(data)
        var descriptor = Descriptor(mediaType: MediaType.imageManifest, of: data)
        descriptor.artifactType = artifactType
        return Artifact(buildID: record.id, descriptor: descriptor, blobs: [config] + layers)
    }

    /// Every blob reachable from a record through the digests its JSON documents name (the
    /// same generous walk `gc` keeps by); digests that name no blob (diff ids) are skipped.
    static func reachableBlobs(from root: Digest, in store: BlobStore) throws -> [Digest] {
        var ordered: [Digest] = []
        var seen = Set<Digest>()
        var queue = [root]
        while !queue.isEmpty {
            let digest = queue.removeFirst()
            guard seen.insert(digest).inserted, store.contains(digest) else { continue }
            ordered.append(digest)
            if try isJSON(digest, in: store) {
                queue += CanonicalJSON.referencedDigests(in: try store.read(digest)).sorted()
            }
        }
        return ordered
    }

    private static func isJSON(_ digest: Digest, in store: BlobStore) throws -> Bool {
        if !store.isStored(digest), store.deltas.contains(digest) { return try store.read(digest).first == UInt8(ascii: "{") }
        guard let handle = FileHandle(forReadingAtPath: store.path(for: digest)) else { return false }
        defer { try? handle.close() }
        return handle.readData(ofLength: 1).first == UInt8(ascii: "{")
    }

    private static func mediaType(of digest: Digest, in store: BlobStore) throws -> String {
        guard try isJSON(digest, in: store) else { return octetStream }
        struct Probe: Decodable { var mediaType: String? }
        return (try? JSONDecoder().decode(Probe.self, from: store.read(digest)))?.mediaType ?? "application/json"
    }
}
