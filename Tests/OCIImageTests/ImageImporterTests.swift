import ContentStore
import Foundation
import TestSupport
import Testing
@testable import OCIImage

@Suite struct ImageImporterTests {
    /// A layout made by umoci (init, new, unpack, add a file, repack) imports and exports again
    /// with the same manifest digest, and skopeo sees the same image in both.
    @Test func umociLayoutRoundTripsWithTheSameDigest() throws {
        let scratch = try TemporaryDirectory("umoci")
        let layout = scratch.sub("umoci")
        try Tool.check(["umoci", "init", "--layout", layout])
        try Tool.check(["umoci", "new", "--image", "\(layout):base"])
        try Tool.check(["umoci", "unpack", "--image", "\(layout):base", scratch.sub("bundle")])
        try "made by umoci\n".write(toFile: scratch.sub("bundle/rootfs/greeting"), atomically: false, encoding: .utf8)
        try Tool.check(["umoci", "repack", "--image", "\(layout):tag", scratch.sub("bundle")])

        let store = try BlobStore(root: scratch.sub("store"))
        let imported = try ImageImporter(store: store).importImage(from: LayoutReference(parsing: "oci-layout://\(layout):tag"))
        #expect(imported.manifest.layers.count == 1)
        let exported = scratch.sub("exported")
        try ImageLayoutWriter(store: store).writeDirectory(
            at: exported, entries: [LayoutEntry(descriptor: imported.root, refName: "tag")])
        let original = try ImageLayout(at: layout).descriptor(for: .tag("tag"))
        #expect(try ImageLayout(at: exported).descriptor(for: .tag("tag")).digest == original.digest)
        let before = try OCIValidators.skopeoInspect(layout: layout, tag: "tag")
        let after = try OCIValidators.skopeoInspect(layout: exported, tag: "tag")
        #expect(before.succeeded && before.stdout == after.stdout, "\(before)\n\(after)")
        #expect(try OCIValidators.failures(layout: exported, tag: "tag", scratch: scratch.path).isEmpty)
    }

    /// skopeo copy between layouts, then through an oci-archive tar: import both, same digest.
    @Test func skopeoLayoutsRoundTrip() throws {
        let scratch = try TemporaryDirectory("skopeo")
        let base = scratch.sub("base")
        try Tool.check(["umoci", "init", "--layout", base])
        try Tool.check(["umoci", "new", "--image", "\(base):x"])
        try Tool.check(["skopeo", "copy", "oci:\(base):x", "oci:\(scratch.sub("copy")):y"])
        try Tool.check(["skopeo", "copy", "oci:\(base):x", "oci-archive:\(scratch.sub("copy.tar")):z"])
        let original = try ImageLayout(at: scratch.sub("copy")).descriptor(for: .tag("y"))

        let store = try BlobStore(root: scratch.sub("store"))
        let importer = ImageImporter(store: store)
        let fromDirectory = try importer.importImage(at: scratch.sub("copy"), selector: .tag("y"))
        let fromArchive = try importer.importImage(at: scratch.sub("copy.tar"))
        #expect(fromDirectory.root.digest == original.digest)
        #expect(fromArchive.root.digest == original.digest)

        try ImageExporter(store: store).export(original.digest,
            to: OutputSpec(parsing: "type=oci,dest=\(scratch.sub("out.tar"))"), refName: "y")
        let inspect = try OCIValidators.skopeoInspectArchive(scratch.sub("out.tar"), tag: "y")
        #expect(Digest(of: Data(inspect.stdout.utf8)) == original.digest)
    }

    @Test func dockerArchiveImportKeepsConfigBytesAndChecksDiffIDs() throws {
        let scratch = try TemporaryDirectory("docker-archive")
        let tar = try TestImage.layerTar(["etc/motd": "hi\n"])
        let diffID = Digest(of: tar)
        // Docker's own spelling: indented, unsorted keys; must survive byte for byte.
        let config = Data("""
        {
          "os": "linux", "architecture": "amd64",
          "config": {"Cmd": ["sh"], "Env": ["A=1"]},
          "rootfs": {"type": "layers", "diff_ids": ["\(diffID)"]},
          "docker_version": "24.0.7"
        }
        """.utf8)
        let configName = Digest(of: config).hex + ".json"
        let root = scratch.sub("save")
        try FileManager.default.createDirectory(atPath: root + "/abc123", withIntermediateDirectories: true)
        try config.write(to: URL(fileURLWithPath: root + "/" + configName))
        try tar.write(to: URL(fileURLWithPath: root + "/abc123/layer.tar"))
        let manifest = #"[{"Config":"\#(configName)","RepoTags":["example/app:1"],"Layers":["abc123/layer.tar"]}]"#
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: root + "/manifest.json"))
        try Tool.check(["bsdtar", "-cf", scratch.sub("save.tar"), "-C", root, "."])

        let store = try BlobStore(root: scratch.sub("store"))
        let importer = ImageImporter(store: store)
        #expect(try ImageImporter.detectFormat(at: scratch.sub("save.tar")) == .dockerArchive)
        let image = try importer.importImage(at: scratch.sub("save.tar"), selector: .tag("docker.io/example/app:1"))
        #expect(try store.read(image.manifest.config.digest) == config)
        #expect(image.manifest.layers.map(\.digest) == image.configuration.rootfs.diffIDs)
        #expect(image.manifest.layers[0].mediaType == MediaType.layer)
        #expect(image.configuration.config?.cmd == ["sh"])

        let layout = scratch.sub("layout")
        try ImageLayoutWriter(store: store).writeDirectory(
            at: layout, entries: [LayoutEntry(descriptor: image.manifestDescriptor, refName: "1")])
        #expect(try OCIValidators.failures(layout: layout, tag: "1", scratch: scratch.path).isEmpty)

        // The same archive with a layer that does not match its diff_id is refused, naming it.
        try Data(try TestImage.layerTar(["other": "x"])).write(to: URL(fileURLWithPath: root + "/abc123/layer.tar"))
        let error = #expect(throws: ImageError.self) {
            try ImageImporter(store: BlobStore(root: scratch.sub("store2"))).importDockerArchive(at: root)
        }
        #expect(error?.description.contains("abc123/layer.tar") == true)
    }

    @Test func rootfsTarBecomesAOneLayerImage() throws {
        let scratch = try TemporaryDirectory("rootfs")
        let tar = try TestImage.layerTar(["bin/x": "x"])
        try tar.write(to: URL(fileURLWithPath: scratch.sub("rootfs.tar")))
        try TestImage.gzip(tar).write(to: URL(fileURLWithPath: scratch.sub("rootfs.tar.gz")))
        let store = try BlobStore(root: scratch.sub("store"))
        let importer = ImageImporter(store: store)
        let image = try importer.importImage(at: scratch.sub("rootfs.tar"))
        #expect(image.configuration.rootfs.diffIDs == [Digest(of: tar)])
        #expect(try importer.importRootfsTar(at: scratch.sub("rootfs.tar")).root == image.root)
        let layout = scratch.sub("layout")
        try ImageLayoutWriter(store: store).writeDirectory(
            at: layout, entries: [LayoutEntry(descriptor: image.root, refName: "r")])
        #expect(try OCIValidators.failures(layout: layout, tag: "r", scratch: scratch.path).isEmpty)
        let error = #expect(throws: ImageError.self) { try importer.importImage(at: scratch.sub("rootfs.tar.gz")) }
        #expect(error?.description.contains("rootfs.tar.gz") == true)
    }
}
