import ContentStore
import Foundation
import OCIImage
import Registry
import TestSupport
import Testing

/// A proxy between the client and the registry spoils responses: each fault is retried and
/// never leaves a corrupt or partial blob in the store; a fault that never stops is a clear error.
@Suite(.enabled(if: LoopbackRegistry.isAvailable, "docker-registry is not installed (scripts/install-deps)"))
struct FaultInjectionTests {
    @Test func truncatedCorruptFailedAndStalledDownloadsAreRetried() async throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("seed \(seed)")
        let registry = try LoopbackRegistry.start()
        let scratch = try TemporaryDirectory("registry-faults")
        let source = try BlobStore(root: scratch.sub("source"))
        let image = try SyntheticImage.make(in: source, layerSizes: [400_000, 300_000, 200_000], seed: seed)
        let direct = try ImageReference(parsing: "\(registry.host)/faults/app:1")
        try await RegistryClient.using(RegistryConfiguration()) { try await $0.push(image.root, from: source, to: direct) }

        let proxy = try FaultInjectingProxy(upstreamPort: registry.port,
                                            faults: [.error500, .truncate, .corrupt, .tooMany, .stall])
        let viaProxy = try ImageReference(parsing: "\(proxy.host)/faults/app:1")
        let destination = try BlobStore(root: scratch.sub("destination"))
        // One blob at a time, so the faults meet the blobs in a known order. The read timeout
        // (3 s) is well under the stall (6 s) and well over a loaded machine's ordinary pauses.
        let configuration = RegistryConfiguration(attempts: 8, initialBackoff: 0.05, readTimeoutSeconds: 3,
                                                  parallelTransfers: 1)
        try await RegistryClient.using(configuration) { client in
            let pulled = try await client.pull(viaProxy, into: destination)
            #expect(pulled.root.digest == image.root.digest)
            #expect(client.statistics.retries >= 5)
        }
        for digest in try source.list() { #expect(try destination.verify(digest) == .intact) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.sub("destination/ingest")).isEmpty)
    }

    @Test func contentThatNeverMatchesIsAClearErrorAndNothingIsStored() async throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("seed \(seed)")
        let registry = try LoopbackRegistry.start()
        let scratch = try TemporaryDirectory("registry-corrupt")
        let source = try BlobStore(root: scratch.sub("source"))
        let image = try SyntheticImage.make(in: source, layerSizes: [50_000], seed: seed)
        let direct = try ImageReference(parsing: "\(registry.host)/bad/app:1")
        try await RegistryClient.using(RegistryConfiguration()) { try await $0.push(image.root, from: source, to: direct) }
        let proxy = try FaultInjectingProxy(upstreamPort: registry.port, faults: [.corrupt], repeatLast: true)
        let destination = try BlobStore(root: scratch.sub("destination"))
        do {
            try await RegistryClient.using(RegistryConfiguration(attempts: 3, initialBackoff: 0.01)) { client in
                _ = try await client.pull(try ImageReference(parsing: "\(proxy.host)/bad/app:1"), into: destination)
            }
            Issue.record("a corrupt pull succeeded")
        } catch let error as RegistryError {
            guard case .contentMismatch(_, let expected, _, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(image.layers.map(\.digest).contains(expected) || expected == image.config.digest)
            #expect(error.description.contains("nothing was stored"))
        }
        for layer in image.layers { #expect(!destination.contains(layer.digest)) }
        for digest in try destination.list() { #expect(try destination.verify(digest) == .intact) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.sub("destination/ingest")).isEmpty)
    }

    @Test func aFailedPushLeavesNoTagAndARetrySucceeds() async throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("seed \(seed)")
        let registry = try LoopbackRegistry.start()
        let scratch = try TemporaryDirectory("registry-push-fault")
        let source = try BlobStore(root: scratch.sub("source"))
        let image = try SyntheticImage.make(in: source, layerSizes: [80_000, 90_000], seed: seed)
        let proxy = try FaultInjectingProxy(upstreamPort: registry.port, faults: [.upload500], repeatLast: true)
        let viaProxy = try ImageReference(parsing: "\(proxy.host)/interrupted/app:1")
        await #expect(throws: RegistryError.self) {
            try await RegistryClient.using(RegistryConfiguration(attempts: 2, initialBackoff: 0.01)) { client in
                try await client.push(image.root, from: source, to: viaProxy)
            }
        }
        let direct = try ImageReference(parsing: "\(registry.host)/interrupted/app:1")
        try await RegistryClient.using(RegistryConfiguration()) { client in
            await #expect(throws: RegistryError.notFound(reference: direct.description)) {
                _ = try await client.fetchManifest(direct)
            }
            // Retrying (here without the fault) completes the push; the digest is the built one.
            let result = try await client.push(image.root, from: source, to: direct)
            #expect(result.digest == image.root.digest)
        }
        // Upload 500s once each are retried within one push.
        let flaky = try FaultInjectingProxy(upstreamPort: registry.port, faults: [.upload500, .upload500])
        try await RegistryClient.using(RegistryConfiguration(initialBackoff: 0.01)) { client in
            let other = try ImageReference(parsing: "\(flaky.host)/interrupted/second:1")
            let result = try await client.push(image.root, from: source, to: other)
            #expect(result.digest == image.root.digest)
            #expect(client.statistics.retries >= 2)
        }
    }
}
