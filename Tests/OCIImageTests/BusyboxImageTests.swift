import ContentStore
import Foundation
import TestSupport
import Testing
@testable import OCIImage

/// `Corpus/base/make-busybox-image` gives the same image on every run and a layout every client
/// accepts, which Reprise itself then imports.
@Suite struct BusyboxImageTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Corpus/base/make-busybox-image").path

    @Test func deterministicAndValid() throws {
        let scratch = try TemporaryDirectory("busybox")
        let first = try Tool.check([Self.script, scratch.sub("one")]).stdout
        let second = try Tool.check([Self.script, scratch.sub("two")]).stdout
        #expect(first == second)
        #expect(Digest(first.trimmingCharacters(in: .whitespacesAndNewlines)) != nil)
        try Tool.check(["diff", "-r", scratch.sub("one"), scratch.sub("two")])

        let failures = try OCIValidators.failures(layout: scratch.sub("one"), tag: "latest", scratch: scratch.path)
        #expect(failures.isEmpty, "\(failures)")

        let store = try BlobStore(root: scratch.sub("store"))
        let image = try ImageImporter(store: store).importImage(
            from: LayoutReference(parsing: "oci-layout://\(scratch.sub("one")):latest"))
        #expect(image.root.digest.description == first.trimmingCharacters(in: .whitespacesAndNewlines))
        let labels = image.configuration.config?.labels ?? [:]
        #expect(labels["io.reprise.busybox-static.version"]?.isEmpty == false)
        // Found by its full name too, as `FROM busybox` will look for it.
        #expect(try ImageLayout(at: scratch.sub("one")).descriptor(for: .tag("busybox")).digest == image.root.digest)

        let bundle = scratch.sub("bundle")
        try Tool.check(["umoci", "unpack", "--image", scratch.sub("one") + ":latest", bundle])
        let passwd = try String(contentsOfFile: bundle + "/rootfs/etc/passwd", encoding: .utf8)
        #expect(passwd.contains("app:x:1000:1000"))
        let listing = try Tool.check(["stat", "-c", "%a %u:%g %n", bundle + "/rootfs/tmp", bundle + "/rootfs/home/app"]).stdout
        #expect(listing.contains("1777 0:0") && listing.contains("755 1000:1000"), "\(listing)")
        let hello = try Tool.check([bundle + "/rootfs/bin/sh", "-c", "echo $((6 * 7)) | sha256sum | cut -c1-8"])
        #expect(hello.stdout == "084c799c\n")
    }
}
