import Foundation
import TestSupport
import Testing

/// `--output …,rewrite-timestamp=true` with SOURCE_DATE_EPOCH, as BuildKit: the build's own
/// layers hold no mtime after the epoch and are marked `buildkit/rewritten-timestamp`, the base
/// image's layers and history stay as they were, `created` is the epoch, and two builds made at
/// different times from differently dated files give the same image. Checked with GNU tar,
/// skopeo, umoci and oci-image-tool.
@Suite struct RewriteTimestampTests {
    static let epoch = 1_700_000_000          // 2023-11-14T22:13:20Z
    static let epochDay = "2023-11-14"

    /// `tar -tv` dates (UTC) of a layer blob of a layout.
    static func dates(_ layout: String, _ layer: [String: Any]) throws -> [String] {
        let blob = layout + "/blobs/sha256/" + String((layer["digest"] as? String ?? "").dropFirst(7))
        let listing = try Tool.run(["tar", "--full-time", "-tvzf", blob], environment: ["TZ": "UTC"])
        try #require(listing.status == 0, "\(listing.stderr)")
        return listing.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: " ").dropFirst(3).first.map(String.init)
        }
    }

    @Test func theBuildsLayersAreClampedTheBaseIsKeptAndTheImageReproduces() throws {
        let workspace = try BuildWorkspace("rewrite-timestamp")
        // A base image whose files are dated 2030, as another builder without an epoch leaves them.
        let baseLayout = workspace.sub("late-base")
        let base = try workspace.build(["-o", "type=oci,dest=\(baseLayout),tar=false",
                                        try workspace.context("FROM busybox\nRUN touch -d @1900000000 /late-base\n")])
        try #require(base.status == 0, "\(base.stderr)")
        let dockerfile = """
            FROM late
            COPY f /f
            RUN touch -d @1800000000 /late && echo hi > /a
            """
        var digests: Set<String> = []
        var layouts: [String] = []
        for run in 1...2 {
            let journal = workspace.sub("journal-\(run)")
            let imported = try RepriseProcess.run(["image", "import", "oci-layout://\(baseLayout):latest",
                                                   "--name", "late", "--journal", journal])
            try #require(imported.status == 0, "\(imported.stderr)")
            // The context file is dated later than the epoch, differently in each build.
            let context = try workspace.context(dockerfile, files: ["f": "payload\n"])
            try Tool.check(["touch", "-d", "@\(1_900_000_000 + run * 1000)", context + "/f"])
            let layout = workspace.sub("out-\(run)")
            let metadata = workspace.sub("metadata-\(run).json")
            // The epoch as a build argument once, from the environment (as buildx passes it) once.
            let epochArgument = run == 1 ? ["--build-arg", "SOURCE_DATE_EPOCH=\(Self.epoch)"] : []
            let built = try RepriseProcess.run(
                ["build", "--journal", journal, "--progress", "plain"] + epochArgument
                    + ["-o", "type=oci,dest=\(layout),tar=false,rewrite-timestamp=true", "--metadata-file", metadata, context],
                environment: run == 2 ? ["SOURCE_DATE_EPOCH": "\(Self.epoch)"] : [:])
            try #require(built.status == 0, "\(built.stderr)")
            digests.insert(try #require(try BuildxFlagTests.json(file: metadata)["containerimage.digest"] as? String))
            layouts.append(layout)
            if run == 1 { Thread.sleep(forTimeInterval: 1.1) }   // the second build starts in another second
        }
        #expect(digests.count == 1, "two builds at different times gave \(digests)")

        let layout = layouts[0]
        let manifest = try BuildxFlagTests.json(try Tool.run(["skopeo", "inspect", "--raw", "oci:\(layout):latest"]).stdout)
        let layers = manifest["layers"] as? [[String: Any]] ?? []
        let baseManifest = try BuildxFlagTests.json(try Tool.run(["skopeo", "inspect", "--raw", "oci:\(baseLayout):latest"]).stdout)
        let baseCount = (baseManifest["layers"] as? [[String: Any]] ?? []).count
        try #require(baseCount == 2 && layers.count == baseCount + 2, "\(manifest)")
        for (index, layer) in layers.enumerated() {
            let annotations = layer["annotations"] as? [String: String]
            let dates = try Self.dates(layout, layer)
            if index < baseCount {
                // The base image's layers: not rewritten, not marked (BuildKit ≥ 0.13.2).
                #expect(annotations == nil, "base layer \(index): \(layer)")
                #expect(layer["digest"] as? String == (baseManifest["layers"] as? [[String: Any]])?[index]["digest"] as? String)
                if index == 1 { #expect(dates.contains("2030-03-17"), "\(dates)") }
            } else {
                #expect(annotations == ["buildkit/rewritten-timestamp": "\(Self.epoch)"], "layer \(index): \(layer)")
                #expect(!dates.isEmpty && dates.allSatisfy { $0 <= Self.epochDay }, "layer \(index): \(dates)")
            }
        }
        // created and the new history entries are the epoch; the base's history keeps its times.
        let config = try BuildxFlagTests.json(try OCIValidators.skopeoInspectConfig(layout: layout, tag: "latest").stdout)
        let baseConfig = try BuildxFlagTests.json(try OCIValidators.skopeoInspectConfig(layout: baseLayout, tag: "latest").stdout)
        #expect(config["created"] as? String == "2023-11-14T22:13:20Z")
        let history = (config["history"] as? [[String: Any]] ?? []).compactMap { $0["created"] as? String }
        let baseHistory = (baseConfig["history"] as? [[String: Any]] ?? []).compactMap { $0["created"] as? String }
        #expect(Array(history.prefix(baseHistory.count)) == baseHistory)
        #expect(history.dropFirst(baseHistory.count).allSatisfy { $0 == "2023-11-14T22:13:20Z" }, "\(history)")
        #expect(try OCIValidators.failures(layout: layout, tag: "latest", scratch: workspace.sub("validate")).isEmpty)
        // umoci unpacks it (checking diff ids) with the clamped and the kept dates.
        let rootfs = try workspace.unpack(layout)
        let late = try FileManager.default.attributesOfItem(atPath: rootfs + "/late")[.modificationDate] as? Date
        #expect(late?.timeIntervalSince1970 == Double(Self.epoch))
        let kept = try FileManager.default.attributesOfItem(atPath: rootfs + "/late-base")[.modificationDate] as? Date
        #expect(kept?.timeIntervalSince1970 == 1_900_000_000)

        // With provenance: the index holds the rewritten image and an attestation whose subject
        // is that image (the one this output holds), not the journal's unmarked one.
        let attestedLayout = workspace.sub("attested")
        let attested = try workspace.build(["--build-arg", "SOURCE_DATE_EPOCH=\(Self.epoch)", "--provenance", "mode=min",
                                            "-o", "type=oci,dest=\(attestedLayout),tar=false,rewrite-timestamp=true",
                                            try workspace.context("FROM busybox\nRUN echo x > /x\n")])
        try #require(attested.status == 0, "\(attested.stderr)")
        func blob(_ digest: String?) throws -> [String: Any] {
            try BuildxFlagTests.json(file: attestedLayout + "/blobs/sha256/" + String((digest ?? "").dropFirst(7)))
        }
        let top = try BuildxFlagTests.json(file: attestedLayout + "/index.json")
        let index = try blob((top["manifests"] as? [[String: Any]])?.first?["digest"] as? String)
        let entries = index["manifests"] as? [[String: Any]] ?? []
        try #require(entries.count == 2, "\(index)")
        let imageDigest = entries[0]["digest"] as? String
        let image = try blob(imageDigest)
        #expect((image["layers"] as? [[String: Any]])?.last?["annotations"] as? [String: String]
                == ["buildkit/rewritten-timestamp": "\(Self.epoch)"], "\(image)")
        let attestation = try blob(entries[1]["digest"] as? String)
        let statement = try blob((attestation["layers"] as? [[String: Any]])?.first?["digest"] as? String)
        let subject = (statement["subject"] as? [[String: Any]])?.first?["digest"] as? [String: String]
        #expect(subject?["sha256"].map { "sha256:" + $0 } == imageDigest, "\(statement["subject"] ?? "")")

        // Without an epoch there is nothing to clamp to: a warning, as BuildKit, and no marks.
        let plainLayout = workspace.sub("no-epoch")
        let plain = try workspace.build(["-o", "type=oci,dest=\(plainLayout),tar=false,rewrite-timestamp=true",
                                         try workspace.context("FROM busybox\nRUN echo x > /x\n")])
        try #require(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stderr.contains("rewrite-timestamp is specified, but no SOURCE_DATE_EPOCH"), "\(plain.stderr)")
        let plainManifest = try Tool.run(["skopeo", "inspect", "--raw", "oci:\(plainLayout):latest"]).stdout
        #expect(!plainManifest.contains("rewritten-timestamp"))
    }
}
