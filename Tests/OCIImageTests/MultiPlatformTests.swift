import ContentStore
import Foundation
import TestSupport
import Testing
@testable import OCIImage

/// Indexes (nested, with attestations, partially copied) resolve to the platform's manifest and
/// round-trip with the index's own digest.
@Suite struct MultiPlatformTests {
    struct Fixture {
        var store: BlobStore
        var amd64: TestImage
        var arm64Manifest: Descriptor
        var outer: Descriptor
    }

    /// outer index → [inner index → [amd64, arm64], attestation manifest]
    func makeFixture(_ scratch: TemporaryDirectory) throws -> Fixture {
        let store = try BlobStore(root: scratch.sub("store"))
        let amd64 = try TestImage.make(in: store, files: ["arch": "amd64"])
        let armTar = try TestImage.layerTar(["arch": "arm64"])
        let armLayer = try store.ingest(armTar)
        let armConfig = try ImageConfiguration(architecture: "arm64", variant: "v8",
                                               rootfs: .init(diffIDs: [Digest(of: armTar)])).canonicalData()
        try store.ingest(armConfig)
        let armManifest = ImageManifest(config: Descriptor(mediaType: MediaType.imageConfig, of: armConfig),
            layers: [Descriptor(mediaType: MediaType.layer, digest: armLayer.digest, size: armLayer.size)])
        try store.ingest(armManifest.canonicalData())

        var amdEntry = amd64.manifest
        amdEntry.platform = .linuxAMD64
        let armEntry = try armManifest.descriptor(platform: Platform(architecture: "arm64", os: "linux", variant: "v8"))
        let inner = try ImageIndex(manifests: [armEntry, amdEntry]).canonicalData()
        try store.ingest(inner)
        var attestation = amd64.manifest
        attestation.platform = Platform(architecture: "unknown", os: "unknown")
        attestation.annotations = ["vnd.docker.reference.type": "attestation-manifest"]
        let outer = try ImageIndex(manifests: [Descriptor(mediaType: MediaType.imageIndex, of: inner), attestation])
            .canonicalData()
        try store.ingest(outer)
        return Fixture(store: store, amd64: amd64, arm64Manifest: armEntry,
                       outer: Descriptor(mediaType: MediaType.imageIndex, of: outer))
    }

    @Test func nestedIndexResolvesPerPlatformAndKeepsItsDigest() throws {
        let scratch = try TemporaryDirectory("multi")
        let fixture = try makeFixture(scratch)
        let layout = scratch.sub("layout")
        try ImageLayoutWriter(store: fixture.store).writeDirectory(
            at: layout, entries: [LayoutEntry(descriptor: fixture.outer, refName: "multi")])

        let store = try BlobStore(root: scratch.sub("imported"))
        let amd = try ImageImporter(store: store).importLayout(at: layout, selector: .tag("multi"))
        #expect(amd.root.digest == fixture.outer.digest)
        #expect(amd.manifestDescriptor.digest == fixture.amd64.manifest.digest)
        #expect(amd.chain.count == 3)
        let arm = try ImageImporter(store: store, platform: Platform(architecture: "arm64", os: "linux"))
            .importLayout(at: layout, selector: .tag("multi"))
        #expect(arm.manifestDescriptor.digest == fixture.arm64Manifest.digest)
        #expect(arm.configuration.variant == "v8")
        let byDigest = try ImageLayout(at: layout).resolve(.digest(fixture.arm64Manifest.digest))
        #expect(byDigest.root.digest == fixture.arm64Manifest.digest)
        #expect(throws: ImageError.self) {
            try ImageLayout(at: layout).resolve(.tag("multi"), platform: Platform(architecture: "riscv64", os: "linux"))
        }

        try ImageExporter(store: store).export(fixture.outer.digest,
            to: OutputSpec(parsing: "type=oci,dest=\(scratch.sub("again.tar"))"), refName: "multi")
        #expect(try ImageLayout(at: scratch.sub("again.tar")).descriptor(for: .tag("multi")).digest == fixture.outer.digest)
        let inspect = try Tool.run(["skopeo", "inspect", "--raw", "oci-archive:\(scratch.sub("again.tar")):multi"])
        #expect(Digest(of: Data(inspect.stdout.utf8)) == fixture.outer.digest)
    }

    /// As containerd exports it: the index and every manifest, but one platform's layers only.
    @Test func partialCopiesImportTheWantedPlatform() throws {
        let scratch = try TemporaryDirectory("partial")
        let fixture = try makeFixture(scratch)
        let layout = scratch.sub("layout")
        try ImageLayoutWriter(store: fixture.store).writeDirectory(
            at: layout, entries: [LayoutEntry(descriptor: fixture.outer, refName: "multi")])
        let armManifest = try CanonicalJSON.decode(ImageManifest.self,
                                                   from: fixture.store.read(fixture.arm64Manifest.digest))
        try FileManager.default.removeItem(atPath: layout + "/blobs/sha256/" + armManifest.layers[0].digest.hex)

        let store = try BlobStore(root: scratch.sub("imported"))
        let amd = try ImageImporter(store: store).importLayout(at: layout, selector: .tag("multi"))
        #expect(amd.manifestDescriptor.digest == fixture.amd64.manifest.digest)
        #expect(!store.contains(armManifest.layers[0].digest))
        let error = #expect(throws: ImageError.self) {
            try ImageImporter(store: store, platform: Platform(architecture: "arm64", os: "linux"))
                .importLayout(at: layout, selector: .tag("multi"))
        }
        #expect(error?.description.contains(armManifest.layers[0].digest.hex) == true)
    }
}
