import ContentStore
import Foundation
import TestSupport
import Testing
@testable import OCIImage

@Suite struct ImageLayoutWriterTests {
    @Test func directoryLayoutPassesValidators() throws {
        let scratch = try TemporaryDirectory("writer-dir")
        let store = try BlobStore(root: scratch.sub("store"))
        let image = try TestImage.make(in: store)
        let layout = scratch.sub("layout")
        try ImageLayoutWriter(store: store).writeDirectory(
            at: layout, entries: [LayoutEntry(descriptor: image.manifest, refName: "v1")])

        let failures = try OCIValidators.failures(layout: layout, tag: "v1", scratch: scratch.path)
        #expect(failures.isEmpty, "\(failures)")
        let inspect = try OCIValidators.skopeoInspect(layout: layout, tag: "v1")
        #expect(inspect.stdout.contains(image.manifest.digest.description))
        let config = try OCIValidators.skopeoInspectConfig(layout: layout, tag: "v1")
        #expect(config.stdout.contains(Digest(of: image.layerTar).description))
        #expect(try String(contentsOfFile: layout + "/oci-layout", encoding: .utf8)
                == #"{"imageLayoutVersion":"1.0.0"}"#)
    }

    @Test func tarLayoutPassesValidatorsAndIsDeterministic() throws {
        let scratch = try TemporaryDirectory("writer-tar")
        let store = try BlobStore(root: scratch.sub("store"))
        let image = try TestImage.make(in: store)
        let writer = ImageLayoutWriter(store: store)
        let entry = LayoutEntry(descriptor: image.manifest, reference: try ImageReference(parsing: "app:v2"))
        try writer.writeTar(at: scratch.sub("a.tar"), entries: [entry])
        try writer.writeTar(at: scratch.sub("b.tar"), entries: [entry])
        let first = try Data(contentsOf: URL(fileURLWithPath: scratch.sub("a.tar")))
        #expect(first == (try Data(contentsOf: URL(fileURLWithPath: scratch.sub("b.tar")))))

        let archive = try OCIValidators.skopeoInspectArchive(scratch.sub("a.tar"), tag: "v2")
        #expect(archive.succeeded, "\(archive)")
        #expect(Digest(of: Data(archive.stdout.utf8)) == image.manifest.digest)

        // Members sorted, owned 0/0 with no names, all dated 0.
        let listing = try Tool.check(["bsdtar", "-tvf", scratch.sub("a.tar")]).stdout
        let names = try Tool.check(["bsdtar", "-tf", scratch.sub("a.tar")]).stdout
            .split(separator: "\n").map(String.init)
        #expect(names == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(names.contains("index.json") && names.contains("oci-layout"))
        for line in listing.split(separator: "\n") {
            #expect(line.contains(" 0 0 ") && line.contains("1970"), "\(line)")
        }

        try Tool.check(["mkdir", scratch.sub("extracted")])
        try Tool.check(["bsdtar", "-xf", scratch.sub("a.tar"), "-C", scratch.sub("extracted")])
        let failures = try OCIValidators.failures(layout: scratch.sub("extracted"), tag: "v2", scratch: scratch.path)
        #expect(failures.isEmpty, "\(failures)")
        let index = try ImageLayout(at: scratch.sub("a.tar")).index
        #expect(index.manifests[0].annotations?[AnnotationKey.containerdImageName] == "docker.io/library/app:v2")
    }

    @Test func addingToAnExistingLayoutKeepsOtherImagesAndReplacesTheTag() throws {
        let scratch = try TemporaryDirectory("writer-merge")
        let store = try BlobStore(root: scratch.sub("store"))
        let one = try TestImage.make(in: store, files: ["one": "1"])
        let two = try TestImage.make(in: store, files: ["two": "2"])
        let writer = ImageLayoutWriter(store: store)
        let layout = scratch.sub("layout")
        try writer.writeDirectory(at: layout, entries: [LayoutEntry(descriptor: one.manifest, refName: "a")])
        try writer.writeDirectory(at: layout, entries: [LayoutEntry(descriptor: one.manifest, refName: "b")])
        try writer.writeDirectory(at: layout, entries: [LayoutEntry(descriptor: two.manifest, refName: "a")],
                                  placement: .hardlink)
        let opened = try ImageLayout(at: layout)
        #expect(opened.tags == ["b", "a"])
        #expect(try opened.descriptor(for: .tag("a")).digest == two.manifest.digest)
        #expect(try opened.resolve(.tag("b")).configuration.rootfs.diffIDs == [Digest(of: one.layerTar)])
    }

    @Test func exporterFollowsOutputSpecs() throws {
        let scratch = try TemporaryDirectory("exporter")
        let store = try BlobStore(root: scratch.sub("store"))
        let image = try TestImage.make(in: store)
        let exporter = ImageExporter(store: store)
        try exporter.export(image.manifest.digest,
                            to: OutputSpec(parsing: "type=oci,dest=\(scratch.sub("dir")),tar=false,name=app:1"))
        #expect(try ImageLayout(at: scratch.sub("dir")).tags == ["1"])
        try exporter.export(image.manifest.digest, to: OutputSpec(parsing: "type=oci,dest=\(scratch.sub("o.tar"))"),
                            refName: "latest")
        #expect(try ImageLayout(at: scratch.sub("o.tar")).resolve(.tag("latest")).manifestDescriptor.digest
                == image.manifest.digest)
        try exporter.export(image.manifest.digest,
                            to: OutputSpec(parsing: "type=docker,dest=\(scratch.sub("d.tar")),name=app:1"))
        // The docker tar is both a layout and a docker archive: skopeo reads it as the latter…
        let docker = try Tool.run(["skopeo", "inspect", "--config", "docker-archive:\(scratch.sub("d.tar"))"])
        #expect(docker.succeeded && docker.stdout.contains(Digest(of: image.layerTar).description), "\(docker)")
        // …and so do we.
        let reimported = try ImageImporter(store: BlobStore(root: scratch.sub("store2")))
            .importDockerArchive(at: scratch.sub("d.tar"), selector: .tag("app:1"))
        #expect(reimported.manifest.config.digest == image.config.digest)
        #expect(throws: ImageError.self) {
            try exporter.export(image.manifest.digest, to: OutputSpec(parsing: "type=local,dest=x"))
        }
    }
}
