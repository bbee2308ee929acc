import ContentStore
import Foundation
import OCIImage
import Registry
import TestSupport
import Testing

/// The distribution client against Debian's docker-registry on loopback: plain HTTP, TLS with a
/// test CA and htpasswd, a Bearer challenge, and skopeo as the independent client.
@Suite(.enabled(if: LoopbackRegistry.isAvailable, "docker-registry is not installed (scripts/install-deps)"))
struct RegistryClientTests {
    static func reference(_ text: String) throws -> ImageReference { try ImageReference(parsing: text) }

    @Test func pushThenPullRoundTripsWithChunksHeadChecksAndMounts() async throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("seed \(seed)")
        let registry = try LoopbackRegistry.start()
        let scratch = try TemporaryDirectory("registry-roundtrip")
        let source = try BlobStore(root: scratch.sub("source"))
        let image = try SyntheticImage.make(in: source, layerSizes: [200_000, 1_500_000, 10_000], seed: seed)
        let configuration = RegistryConfiguration(chunkSize: 512 << 10)
        let target = try Self.reference("\(registry.host)/team/app:1")

        let pushed = try await RegistryClient.using(configuration) { client in
            let pushed = try await client.push(image.root, from: source, to: target)
            #expect(client.statistics.blobsUploaded == 4)
            // Only the 1.5 MB layer is larger than a 512 KiB chunk: three PATCHes, then the PUT.
            #expect(client.statistics.chunksUploaded == 3)
            return pushed
        }
        #expect(pushed.digest == image.root.digest)

        // skopeo reads what we pushed and finds the very bytes we built.
        let raw = try Tool.check(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(target)"])
        #expect(Digest(of: Data(raw.stdout.utf8)) == image.root.digest)

        // Pulled into an empty store by tag and by digest: same root, every blob verified.
        let destination = try BlobStore(root: scratch.sub("destination"))
        try await RegistryClient.using(configuration) { client in
            let pulled = try await client.pull(target, into: destination)
            #expect(pulled.root.digest == image.root.digest)
            #expect(pulled.reference.digest == image.root.digest)
            for layer in image.layers { #expect(try destination.verify(layer.digest) == .intact) }
            var byDigest = target
            byDigest.tag = nil
            byDigest.digest = image.root.digest
            let again = try await client.pull(byDigest, into: destination)
            #expect(again.image.manifestDescriptor.digest == image.root.digest)
            #expect(client.statistics.blobsDownloaded == 4)
            #expect(client.statistics.blobsAlreadyLocal == 4)
        }

        // Nothing is sent twice, and another repository of the same registry gets mounts.
        try await RegistryClient.using(configuration) { client in
            try await client.push(image.root, from: source, to: target)
            #expect(client.statistics.blobsUploaded == 0)
            #expect(client.statistics.blobsAlreadyPresent == 4)
            let other = try Self.reference("\(registry.host)/team/other:1")
            try await client.push(image.root, from: source, to: other, mountFrom: ["\(registry.host)/team/app"])
            #expect(client.statistics.blobsMounted == 4)
            #expect(client.statistics.blobsUploaded == 0)
        }
    }

    @Test func indexPullSelectsThePlatform() async throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("seed \(seed)")
        let registry = try LoopbackRegistry.start()
        let scratch = try TemporaryDirectory("registry-index")
        let source = try BlobStore(root: scratch.sub("source"))
        let amd = try SyntheticImage.make(in: source, layerSizes: [5_000], seed: seed)
        let arm64 = Platform(architecture: "arm64", os: "linux", variant: "v8")
        let arm = try SyntheticImage.make(in: source, layerSizes: [7_000], seed: seed &+ 1, platform: arm64)
        var amdEntry = amd.root
        amdEntry.platform = .linuxAMD64
        var armEntry = arm.root
        armEntry.platform = arm64
        let indexData = try ImageIndex(manifests: [amdEntry, armEntry]).canonicalData()
        try source.ingest(indexData)
        let index = Descriptor(mediaType: MediaType.imageIndex, of: indexData)
        let target = try Self.reference("\(registry.host)/multi:latest")
        let destination = try BlobStore(root: scratch.sub("destination"))
        try await RegistryClient.using(RegistryConfiguration()) { client in
            let result = try await client.push(index, from: source, to: target)
            #expect(result.digest == index.digest)
            let pulled = try await client.pull(target, platform: arm64, into: destination)
            #expect(pulled.root.digest == index.digest)
            #expect(pulled.image.manifestDescriptor.digest == arm.root.digest)
            #expect(pulled.image.configuration.architecture == "arm64")
        }
        #expect(destination.contains(arm.layers[0].digest))
        #expect(!destination.contains(amd.layers[0].digest), "only the chosen platform's layers are fetched")
    }

    @Test func tlsWithBasicAuthNeedsTheCAAndTheCredentials() async throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("seed \(seed)")
        let registry = try LoopbackRegistry.start(tls: true)
        let scratch = try TemporaryDirectory("registry-tls")
        let source = try BlobStore(root: scratch.sub("source"))
        let image = try SyntheticImage.make(in: source, layerSizes: [30_000, 2_000], seed: seed)
        let target = try Self.reference("\(registry.host)/secure/app:v1")
        let configDirectory = try registry.writeDockerConfig(in: scratch.path)
        let emptyConfig = scratch.sub("no-credentials")
        try FileManager.default.createDirectory(atPath: emptyConfig, withIntermediateDirectories: true)

        // No CA: the certificate is not trusted, and plain HTTP is not tried for a TLS server.
        await #expect(throws: RegistryError.self) {
            try await RegistryClient.using(RegistryConfiguration(dockerConfigDirectory: configDirectory)) { client in
                try await client.push(image.root, from: source, to: target)
            }
        }
        // The CA but no credentials: a clear refusal.
        do {
            try await RegistryClient.using(RegistryConfiguration(
                additionalCertificateAuthorities: [registry.certificateAuthority!],
                dockerConfigDirectory: emptyConfig)) { client in
                try await client.push(image.root, from: source, to: target)
            }
            Issue.record("pushed without credentials")
        } catch let error as RegistryError {
            guard case .unauthorized = error else { Issue.record("unexpected \(error)"); return }
            #expect(error.description.contains("config.json"))
        }
        let configuration = RegistryConfiguration(additionalCertificateAuthorities: [registry.certificateAuthority!],
                                                  dockerConfigDirectory: configDirectory)
        let destination = try BlobStore(root: scratch.sub("destination"))
        try await RegistryClient.using(configuration) { client in
            let result = try await client.push(image.root, from: source, to: target)
            #expect(result.digest == image.root.digest)
            let pulled = try await client.pull(target, into: destination)
            #expect(pulled.root.digest == image.root.digest)
        }
        let raw = try Tool.check(["skopeo", "inspect", "--raw"] + registry.skopeoFlags("src").map {
            $0.replacingOccurrences(of: "--src-", with: "--") } + ["docker://\(target)"])
        #expect(Digest(of: Data(raw.stdout.utf8)) == image.root.digest)
    }

    @Test func bearerChallengeIsAnsweredWithAToken() async throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("seed \(seed)")
        let registry = try LoopbackRegistry.start()
        let proxy = try FaultInjectingProxy(upstreamPort: registry.port, faults: [], bearer: true)
        let scratch = try TemporaryDirectory("registry-bearer")
        let source = try BlobStore(root: scratch.sub("source"))
        let image = try SyntheticImage.make(in: source, layerSizes: [20_000], seed: seed)
        let target = try Self.reference("\(proxy.host)/tokens/app:1")
        let destination = try BlobStore(root: scratch.sub("destination"))
        try await RegistryClient.using(RegistryConfiguration(dockerConfigDirectory: scratch.path)) { client in
            let result = try await client.push(image.root, from: source, to: target)
            #expect(result.digest == image.root.digest)
            let pulled = try await client.pull(target, into: destination)
            #expect(pulled.root.digest == image.root.digest)
        }
        // Blob downloads redirected to another origin are followed without the token.
        let redirecting = try FaultInjectingProxy(upstreamPort: registry.port, faults: [.redirect], repeatLast: true,
                                                  bearer: true)
        let elsewhere = try BlobStore(root: scratch.sub("redirected"))
        try await RegistryClient.using(RegistryConfiguration(dockerConfigDirectory: scratch.path)) { client in
            let pulled = try await client.pull(try Self.reference("\(redirecting.host)/tokens/app:1"), into: elsewhere)
            #expect(pulled.root.digest == image.root.digest)
        }
        for layer in image.layers { #expect(try elsewhere.verify(layer.digest) == .intact) }
    }

    @Test func referrersAreFoundThroughTheTagSchemaFallback() async throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("seed \(seed)")
        let registry = try LoopbackRegistry.start()
        let scratch = try TemporaryDirectory("registry-referrers")
        let store = try BlobStore(root: scratch.sub("store"))
        let image = try SyntheticImage.make(in: store, layerSizes: [1_000], seed: seed)
        let target = try Self.reference("\(registry.host)/signed/app:1")
        try await RegistryClient.using(RegistryConfiguration()) { client in
            try await client.push(image.root, from: store, to: target)
            var published: [Digest] = []
            for verdict in ["reproducible", "differs"] {
                let descriptor = try ReferrerManifest(store: store).store(
                    blob: Data(verdict.utf8), mediaType: "text/plain", artifactType: "application/vnd.test.verdict",
                    annotations: ["verdict": verdict], subject: image.root)
                try await client.pushBlobs(try store.imageClosure(of: descriptor).filter { $0.digest != descriptor.digest },
                                           from: store, to: target)
                try await client.pushReferrer(try store.read(descriptor.digest), subject: image.root.digest, to: target)
                published.append(descriptor.digest)
            }
            let found = try await client.referrers(of: image.root.digest, in: target,
                                                   artifactType: "application/vnd.test.verdict")
            #expect(Set(found.map(\.digest)) == Set(published))
            #expect(Set(found.compactMap { $0.annotations?["verdict"] }) == ["reproducible", "differs"])
            let tags = try await client.tags(of: target)
            #expect(tags.contains(RegistryClient.referrersTag(for: image.root.digest)))
        }
    }

    @Test func theReferrersAPIIsUsedWhenTheRegistryHasIt() async throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("seed \(seed)")
        let registry = try LoopbackRegistry.start()
        let proxy = try FaultInjectingProxy(upstreamPort: registry.port, faults: [], referrersAPI: true)
        let scratch = try TemporaryDirectory("registry-referrers-api")
        let store = try BlobStore(root: scratch.sub("store"))
        let image = try SyntheticImage.make(in: store, layerSizes: [1_000], seed: seed)
        let target = try Self.reference("\(proxy.host)/listed/app:1")
        try await RegistryClient.using(RegistryConfiguration()) { client in
            try await client.push(image.root, from: store, to: target)
            let descriptor = try ReferrerManifest(store: store).store(
                blob: Data("ok".utf8), mediaType: "text/plain", artifactType: "application/vnd.test.verdict",
                annotations: [:], subject: image.root)
            try await client.pushBlobs(try store.imageClosure(of: descriptor).filter { $0.digest != descriptor.digest },
                                       from: store, to: target)
            try await client.pushReferrer(try store.read(descriptor.digest), subject: image.root.digest, to: target)
            let found = try await client.referrers(of: image.root.digest, in: target,
                                                   artifactType: "application/vnd.test.verdict")
            #expect(found.map(\.digest) == [descriptor.digest])
            // The registry listed it itself: no fallback tag was written.
            let tags = try await client.tags(of: target)
            #expect(!tags.contains(RegistryClient.referrersTag(for: image.root.digest)))
        }
    }

    @Test func layerVerificationRefusesALayerThatIsNotWhatTheConfigSays() async throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("seed \(seed)")
        let registry = try LoopbackRegistry.start()
        let scratch = try TemporaryDirectory("registry-verify")
        let source = try BlobStore(root: scratch.sub("source"))
        // Random bytes labelled gzip: the digests match, the layer is no tar at all.
        let image = try SyntheticImage.make(in: source, layerSizes: [4_000], seed: seed)
        let target = try Self.reference("\(registry.host)/lying/app:1")
        try await RegistryClient.using(RegistryConfiguration()) { client in
            try await client.push(image.root, from: source, to: target)
            do {
                _ = try await client.pull(target, into: try BlobStore(root: scratch.sub("checked")), verifyLayers: true)
                Issue.record("a layer that is not a tar passed verification")
            } catch let error as ImageError {
                #expect("\(error)".contains("layer 1 of 1"), "\(error)")
            }
            // Without the check (a plain transfer) the same pull succeeds: only digests are checked.
            let unchecked = try await client.pull(target, into: try BlobStore(root: scratch.sub("unchecked")))
            #expect(unchecked.root.digest == image.root.digest)
        }
    }
}
