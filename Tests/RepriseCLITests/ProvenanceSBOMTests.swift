import Foundation
import TestSupport
import Testing

/// `--sbom=true` / `--attest type=sbom`: an SPDX 2.3 document in an in-toto statement beside the
/// image, checked by the SPDX project's own validator (PyPI `spdx-tools`) and against the files
/// umoci unpacks, hashed by coreutils.
@Suite(.serialized) struct ProvenanceSBOMTests {
    static let dockerfile = """
        FROM busybox
        COPY status /var/lib/dpkg/status
        COPY installed /lib/apk/db/installed
        COPY METADATA /usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA
        RUN echo gone > /gone.txt && mkdir -p /srv && echo kept > /srv/kept.txt
        RUN rm /gone.txt
        """
    static let files = [
        "status": "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u4\n"
            + "Description: GNU C Library\n continued\n\nPackage: old\nStatus: deinstall ok config-files\nVersion: 1\n\n"
            + "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1\n",
        "installed": "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\n",
        "METADATA": "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n\nA description.\n",
    ]

    @Test(arguments: ["--sbom=true", "--attest=type=sbom"])
    func sbomListsPackagesAndEveryFileAsTheImageHasThem(flag: String) throws {
        let workspace = try BuildWorkspace("provenance-sbom")
        let context = try workspace.context(Self.dockerfile, files: Self.files)
        func build(_ layout: String, _ extra: [String]) throws -> String {
            let metadata = layout + ".metadata.json"
            let result = try workspace.build(["-q", "--build-arg", "SOURCE_DATE_EPOCH=1700000000", "--metadata-file", metadata,
                                              "--output", "type=oci,dest=\(layout),tar=false"] + extra + [context])
            try #require(result.status == 0, "\(result.stderr)")
            return try builtManifestDigest(metadata: metadata)
        }
        let plain = try build(workspace.sub("plain"), [])
        let layout = workspace.sub("sbom")
        #expect(try build(layout, [flag, "--provenance=mode=max"]) == plain)

        let statements = try Self.statements(in: layout)
        #expect(Set(statements.keys) == ["https://spdx.dev/Document", "https://slsa.dev/provenance/v1"])
        let statement = try #require(statements["https://spdx.dev/Document"])
        let subject = (statement["subject"] as? [[String: Any]])?.first?["digest"] as? [String: String]
        #expect(subject?["sha256"] == String(plain.dropFirst(7)))
        let spdx = try #require(statement["predicate"] as? [String: Any])
        #expect(spdx["spdxVersion"] as? String == "SPDX-2.3")

        // The SPDX project's validator, which nobody here wrote.
        let document = workspace.sub("sbom.spdx.json")
        try JSONSerialization.data(withJSONObject: spdx).write(to: URL(fileURLWithPath: document))
        let validated = try Tool.run(["pyspdxtools", "-i", document])
        #expect(validated.succeeded && !validated.stderr.contains("invalid"), "\(validated)")

        let purls = Set((spdx["packages"] as? [[String: Any]] ?? []).compactMap {
            ($0["externalRefs"] as? [[String: String]])?.first?["referenceLocator"]
        })
        #expect(purls == ["pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64",
                          "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64",
                          "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64", "pkg:apk/alpine/busybox@1.36.1-r5?arch=x86_64",
                          "pkg:pypi/requests@2.31.0"])

        // Every regular file umoci unpacks, and only those, with its SHA-256 and SHA-1.
        let copy = workspace.sub("copy")
        try Tool.check(["skopeo", "copy", "--preserve-digests", "oci:\(layout):latest", "oci:\(copy):latest"])
        let rootfs = try workspace.unpack(copy)
        var expected: [String: (String, String)] = [:]
        let enumerator = FileManager.default.enumerator(atPath: rootfs)
        while let relative = enumerator?.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: rootfs + "/" + relative)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            // coreutils' sums, not ours.
            let sha256 = try Tool.check(["sha256sum", rootfs + "/" + relative]).stdout.prefix(64)
            let sha1 = try Tool.check(["sha1sum", rootfs + "/" + relative]).stdout.prefix(40)
            expected["./" + relative] = (String(sha256), String(sha1))
        }
        var listed: [String: (String, String)] = [:]
        for file in spdx["files"] as? [[String: Any]] ?? [] {
            let sums = Dictionary(uniqueKeysWithValues: (file["checksums"] as? [[String: String]] ?? []).compactMap { sum in
                sum["algorithm"].flatMap { algorithm in sum["checksumValue"].map { (algorithm, $0) } }
            })
            listed[file["fileName"] as? String ?? ""] = (sums["SHA256"] ?? "", sums["SHA1"] ?? "")
        }
        #expect(Set(listed.keys) == Set(expected.keys))
        for (path, sums) in expected {
            #expect(listed[path]?.0 == sums.0 && listed[path]?.1 == sums.1, "\(path)")
        }
        #expect(listed["./gone.txt"] == nil && listed["./srv/kept.txt"] != nil)
    }

    /// The layout's attached statements by predicate type.
    static func statements(in layout: String) throws -> [String: [String: Any]] {
        func read(_ path: String) throws -> [String: Any] {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        func blob(_ digest: Any?) throws -> [String: Any] {
            let text = try #require(digest as? String)
            return try read(layout + "/blobs/sha256/" + text.dropFirst(7))
        }
        let top = try #require(try read(layout + "/index.json")["manifests"] as? [[String: Any]])
        let index = try blob(top.first?["digest"])
        let entries = try #require(index["manifests"] as? [[String: Any]])
        let attestation = try blob(entries.last?["digest"])
        var result: [String: [String: Any]] = [:]
        for layer in attestation["layers"] as? [[String: Any]] ?? [] {
            let statement = try blob(layer["digest"])
            let type = try #require(statement["predicateType"] as? String)
            #expect((layer["annotations"] as? [String: String])?["in-toto.io/predicate-type"] == type)
            result[type] = statement
        }
        return result
    }
}
