import ContentStore
import Foundation
import Testing
@testable import OCIImage

@Suite struct CodingTests {
    static let digest = Digest(hex: String(repeating: "0", count: 64))!

    @Test func manifestEncodingIsCanonicalAndOmitsEmpty() throws {
        let manifest = ImageManifest(
            config: Descriptor(mediaType: MediaType.imageConfig, digest: Self.digest, size: 2),
            layers: [], annotations: [:])
        let text = String(decoding: try manifest.canonicalData(), as: UTF8.self)
        #expect(text == #"{"config":{"digest":"sha256:\#(Self.digest.hex)","mediaType":"application/vnd.oci.image.config.v1+json","size":2},"layers":[],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2}"#)
        #expect(try manifest.canonicalData() == manifest.canonicalData())
    }

    @Test func configurationRoundTripsDockerFields() throws {
        let json = #"""
        {"architecture":"amd64","os":"linux","created":"2024-01-02T03:04:05.123456789Z",
         "config":{"User":"app","ExposedPorts":{"80/tcp":{},"53/udp":{}},"Env":["A=1"],
           "Entrypoint":["/bin/sh","-c"],"Cmd":[],"Volumes":{"/data":{}},"WorkingDir":"/w",
           "Labels":{"k":"v"},"StopSignal":"SIGTERM","ArgsEscaped":true,"OnBuild":null,
           "Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":30000000000,"Retries":3},
           "Shell":["/bin/bash","-c"],"Image":"sha256:whatever","Hostname":"ignored"},
         "rootfs":{"type":"layers","diff_ids":["sha256:\#(Self.digest.hex)"]},
         "history":[{"created_by":"RUN x","empty_layer":true},{"comment":"c"}],
         "container":"unknown fields are fine","docker_version":"24"}
        """#
        let configuration = try CanonicalJSON.decode(ImageConfiguration.self, from: Data(json.utf8))
        let config = try #require(configuration.config)
        #expect(config.exposedPorts == ["80/tcp", "53/udp"])
        #expect(config.volumes == ["/data"])
        #expect(config.cmd == [])
        #expect(config.healthcheck?.interval == 30_000_000_000)
        #expect(configuration.history?[0].emptyLayer == true)
        #expect(configuration.rootfs.diffIDs == [Self.digest])
        let encoded = String(decoding: try configuration.canonicalData(), as: UTF8.self)
        #expect(encoded.contains(#""ExposedPorts":{"53/udp":{},"80/tcp":{}}"#))
        #expect(encoded.contains(#""Cmd":[]"#))
        #expect(encoded.contains(#""history":[{"created_by":"RUN x","empty_layer":true},{"comment":"c"}]"#))
        #expect(!encoded.contains("OnBuild"))
        #expect(!encoded.contains(#"\/"#))
        let again = try CanonicalJSON.decode(ImageConfiguration.self, from: Data(encoded.utf8))
        #expect(again == configuration)
    }

    @Test func decodesDockerManifestListAndManifest() throws {
        let list = #"""
        {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
         "manifests":[
          {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":"sha256:\#(Self.digest.hex)",
           "platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
          {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":1,"digest":"sha256:\#(String(repeating: "1", count: 64))",
           "platform":{"architecture":"amd64","os":"linux","os.features":["x"]}}]}
        """#
        let index = try CanonicalJSON.decode(ImageIndex.self, from: Data(list.utf8))
        let chosen = try ResolvedImage.selectManifest(in: index, platform: .linuxAMD64, location: "t")
        #expect(chosen.digest.hex.hasPrefix("1111"))
        #expect(index.manifests[0].platform?.description == "linux/arm64/v8")
        #expect(throws: ImageError.self) {
            try ResolvedImage.selectManifest(in: index, platform: Platform(architecture: "s390x", os: "linux"),
                                             location: "t")
        }
        let manifest = #"""
        {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
         "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7,"digest":"sha256:\#(Self.digest.hex)"},
         "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":9,"digest":"sha256:\#(Self.digest.hex)"}]}
        """#
        let decoded = try CanonicalJSON.decode(ImageManifest.self, from: Data(manifest.utf8))
        #expect(MediaType.layerCompression(decoded.layers[0].mediaType) == .gzip)
        #expect(ResolvedImage.kind(of: Data(manifest.utf8), declared: "") == .manifest)
    }

    @Test func timestampsFromEpoch() {
        #expect(ImageConfiguration.timestamp(secondsSinceEpoch: 0) == "1970-01-01T00:00:00Z")
        #expect(ImageConfiguration.timestamp(secondsSinceEpoch: 1_700_000_000) == "2023-11-14T22:13:20Z")
    }
}
