import ContentStore
import Foundation
import TestSupport
import Testing

/// Small documents kept as reverse deltas (`BlobStore.ingestDocument`, `BlobDeltas`).
@Suite struct BlobDeltaTests {
    let directory: TemporaryDirectory
    let store: BlobStore

    init() throws {
        directory = try TemporaryDirectory()
        store = try BlobStore(root: directory.path, syncPolicy: .deferred)
    }

    /// A tree listing like the snapshotter's: `count` entries with digests, modes and times.
    static func listing(_ entries: [(path: String, content: String, mtime: Int)]) -> Data {
        let body = entries.map { entry in
            "{\"digest\":\"\(Digest(ofUTF8: entry.content))\",\"gid\":0,\"kind\":\"file\",\"mode\":420,"
                + "\"mtime\":\(entry.mtime),\"path\":\"\(entry.path)\",\"size\":\(entry.content.utf8.count),\"uid\":0}"
        }.joined(separator: ",")
        return Data("{\"entries\":[\(body)],\"mediaType\":\"application/vnd.reprise.tree.v1+json\",\"schemaVersion\":1}".utf8)
    }

    static func entries(_ count: Int, _ random: inout SeededRandom) -> [(path: String, content: String, mtime: Int)] {
        (0..<count).map { ("dir/file-\(String(format: "%04d", $0)).bin", "content \(random.next())", Int(random.next() % 1_000_000_000)) }
    }

    /// `count` successive versions of a listing of `size` entries (seeded), each changing one
    /// more entry's content to `tag` + its index: what successive builds of a project store.
    static func versions(_ count: Int, of size: Int, seed: UInt64, tag: String) -> [Data] {
        var random = SeededRandom(seed: seed)
        var entries = Self.entries(size, &random)
        return (0..<count).map { index in
            entries[index].content = "\(tag)\(index)"
            return Self.listing(entries)
        }
    }

    /// Stores `versions` one after the other, as successive builds do, then synchronizes.
    func storeVersions(_ versions: [Data]) throws -> [Digest] {
        let digests = try versions.map { try store.ingestDocument($0).digest }
        try store.synchronize()
        return digests
    }

    @Test func olderVersionsBecomeSmallDeltasThatReadBackByteIdenticalAndVerified() throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("BlobDeltaTests seed \(seed) (REPRISE_SEED=\(seed) repeats this run)")
        var random = SeededRandom(seed: seed)
        var entries = Self.entries(100, &random)
        var versions: [Data] = []
        for _ in 0..<12 {
            let changed = Int(random.next() % 100)
            entries[changed].content = "changed \(random.next())"
            entries[changed].mtime += 1
            versions.append(Self.listing(entries))
        }
        let digests = try storeVersions(versions)
        let kept = BlobStore.documentWindow
        // The newest stay whole; every older one is a delta, its full copy gone.
        for (offset, digest) in digests.enumerated() {
            let isOld = offset < digests.count - kept
            #expect(store.deltas.contains(digest) == isOld, "version \(offset)")
            #expect(store.isStored(digest) == !isOld, "version \(offset)")
            #expect(store.contains(digest) && store.hasContent(digest))
        }
        let old = digests[0]
        let deltaBytes = try #require(FileManager.default.attributesOfItem(atPath: store.deltas.path(for: old))[.size] as? Int)
        #expect(deltaBytes < 300, "a listing that differs in one entry costs \(deltaBytes) bytes, not \(versions[0].count)")
        for (offset, digest) in digests.enumerated() {
            #expect(try store.read(digest) == versions[offset])
            #expect(try store.size(of: digest) == Int64(versions[offset].count))
            #expect(try store.verify(digest) == .intact)
            let reader = try store.openReader(digest)
            var streamed = Data()
            try reader.forEachChunk(size: 1000) { streamed.append(contentsOf: $0) }
            #expect(streamed == versions[offset])
        }
        #expect(Set(try store.list()) == Set(digests))
        // The same bytes again are recognised as held (no second copy).
        #expect(try store.ingestDocument(versions[0]).alreadyExisted)
        // A reader that needs a path gets the bytes made whole; gc's sweep drops the spare copy again.
        let path = try store.readablePath(for: old)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == versions[0])
        _ = try store.sweep(keeping: Set(digests))
        #expect(!store.isStored(old) && store.deltas.contains(old))
        #expect(try store.read(old) == versions[0])
    }

    @Test func seededRandomEditsRoundTripExactly() throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("BlobDeltaTests.seededRandomEditsRoundTripExactly seed \(seed) (REPRISE_SEED=\(seed) repeats this run)")
        var random = SeededRandom(seed: seed)
        for round in 0..<200 {
            var entries = Self.entries(Int(random.next() % 60), &random)
            let base = Self.listing(entries)
            for _ in 0..<Int(random.next() % 6) {
                switch random.next() % 4 {
                case 0 where !entries.isEmpty: entries.remove(at: Int(random.next() % UInt64(entries.count)))
                case 1: entries.insert(("new-\(random.next())", "x\(random.next())", 5), at: Int(random.next() % UInt64(entries.count + 1)))
                case 2 where !entries.isEmpty: entries[Int(random.next() % UInt64(entries.count))].content = "edit \(random.next())"
                default: entries.shuffle(using: &random)
                }
            }
            var target = [UInt8](Self.listing(entries))
            if random.next() % 3 == 0, !target.isEmpty {  // raw byte damage too, not only JSON edits
                target[Int(random.next() % UInt64(target.count))] = UInt8(truncatingIfNeeded: random.next())
            }
            let operations = DeltaEncoding.encode(target: Data(target), base: base)
            let made = try DeltaEncoding.apply(operations, to: base, size: target.count)
            #expect(made == Data(target), "round \(round), seed \(seed)")
        }
        // Unrelated bytes (nothing to copy) round-trip as well.
        let noise = Data((0..<5000).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        #expect(try DeltaEncoding.apply(DeltaEncoding.encode(target: noise, base: Data("{}".utf8)), to: Data("{}".utf8), size: 5000) == noise)
    }

    @Test func aDamagedDeltaOrAMissingBaseIsNamedNotMisread() throws {
        let versions = Self.versions(BlobStore.documentWindow + 2, of: 50, seed: 7, tag: "v")
        let digests = try storeVersions(versions)
        let damaged = digests[0], orphaned = digests[1]
        // Damage: one operation byte flipped in the delta file.
        let deltaPath = store.deltas.path(for: damaged)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: deltaPath)))
        bytes[bytes.count - 5] ^= 0x55
        try Data(bytes).write(to: URL(fileURLWithPath: deltaPath))
        let verdict = try store.verify(damaged)
        #expect(verdict != .intact)
        #expect(throws: StoreError.self) { try store.read(damaged) }
        // A missing base: the delta of `orphaned` names a blob that is gone.
        let base = try #require(try store.deltas.delta(of: orphaned)).base
        try store.delete(base)
        guard case .unmakable(let reason) = store.verifyDelta(of: orphaned) else {
            Issue.record("a delta whose base is gone must be unmakable")
            return
        }
        #expect(reason.contains(base.description), "\(reason)")
        do {
            _ = try store.read(orphaned)
            Issue.record("read of a delta without its base must fail")
        } catch let error as StoreError {
            #expect("\(error)".contains("not in the store"), "\(error)")
        }
    }

    /// The window hints are a file anyone with the journal can change, and two processes can
    /// update them at once: whatever they say, no chain of deltas may loop, and every document
    /// ever stored still reads back (the review reproduced 178 unmakable blobs from one stale hint).
    @Test func staleOrHostileWindowHintsNeverLoseADocument() throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("BlobDeltaTests hints seed \(seed) (REPRISE_SEED=\(seed) repeats this run)")
        var random = SeededRandom(seed: seed)
        var entries = Self.entries(40, &random)
        var stored: [(Digest, Data)] = []
        for round in 0..<30 {
            // Each round is a process of its own, which reads the hints as it finds them (one
            // process reads a kind's hints once).
            let store = try BlobStore(root: directory.path, syncPolicy: .deferred)
            entries[Int(random.next() % 40)].content = "round \(round) \(random.next())"
            let version = Self.listing(entries)
            let digest = try store.ingestDocument(version).digest
            stored.append((digest, version))
            // Rewrite the hints of every kind with a random pick, in a random order, of what was stored.
            let recent = directory.path + "/deltas/recent"
            for kind in (try? FileManager.default.contentsOfDirectory(atPath: recent)) ?? [] {
                var picks = stored.map(\.0)
                for index in picks.indices.reversed() { picks.swapAt(index, Int(random.next() % UInt64(index + 1))) }
                try picks.prefix(1 + Int(random.next() % 6)).map(\.hex).joined(separator: "\n")
                    .write(toFile: recent + "/" + kind, atomically: true, encoding: .utf8)
            }
            // A round that does not synchronize was killed: its documents stay whole.
            if random.next() % 3 != 0 { try store.synchronize() }
        }
        try store.synchronize()
        #expect(!(try store.deltas.list()).isEmpty, "some documents became deltas")
        for (digest, version) in stored {
            #expect(try store.read(digest) == version, "\(digest)")
            #expect(try store.verify(digest) == .intact)
        }
        // A hint that is not a small regular file is not read at all.
        let recent = directory.path + "/deltas/recent"
        for kind in try FileManager.default.contentsOfDirectory(atPath: recent) {
            try FileManager.default.removeItem(atPath: recent + "/" + kind)
            try FileManager.default.createSymbolicLink(atPath: recent + "/" + kind, withDestinationPath: "/dev/zero")
        }
        entries[0].content = "after the symlinks"
        #expect(try store.ingestDocument(Self.listing(entries)).alreadyExisted == false)
    }

    /// A damaged size or offset field must make an error, never a crash of every reader (fsck
    /// and gc included): the review aborted them with a size of 2^39 and an offset of 2^63.
    @Test func aDeltaWithAnAbsurdSizeOrOffsetIsAnErrorNotACrash() throws {
        let versions = Self.versions(BlobStore.documentWindow + 1, of: 30, seed: 11, tag: "v")
        let old = try storeVersions(versions)[0]
        let delta = try #require(try store.deltas.delta(of: old))
        func leb128(_ value: UInt64) -> Data {
            var value = value, out = Data()
            repeat {
                let low = UInt8(value & 0x7f)
                value >>= 7
                out.append(value == 0 ? low : low | 0x80)
            } while value != 0
            return out
        }
        // The file's layout (BlobDeltas): 0xD1, the base's 32 digest bytes, the size, the operations.
        let header = try Data(contentsOf: URL(fileURLWithPath: store.deltas.path(for: old))).prefix(33)
        func write(size: UInt64, operations: Data) throws {
            try (header + leb128(size) + operations).write(to: URL(fileURLWithPath: store.deltas.path(for: old)))
        }
        try write(size: 1 << 39, operations: delta.operations)
        #expect(store.verifyDelta(of: old) != .intact)
        #expect(throws: (any Error).self) { try store.read(old) }
        let copyFarAway = leb128(UInt64(16) << 2) + leb128(UInt64(1) << 63)
        try write(size: UInt64(versions[0].count), operations: copyFarAway)
        #expect(throws: (any Error).self) { try store.read(old) }
        #expect(throws: DeltaEncoding.DeltaError.self) {
            try DeltaEncoding.apply(Data(), to: Data(), size: Int.max)
        }
        // The real bytes, when they come, are stored and make the blob readable again.
        #expect(try store.ingest(versions[0]).alreadyExisted == false)
        #expect(try store.read(old) == versions[0])
    }

    @Test func sweepKeepsTheBasesOfKeptDeltasAndDropsTheRest() throws {
        let versions = Self.versions(BlobStore.documentWindow + 3, of: 40, seed: 11, tag: "w")
        let digests = try storeVersions(versions)
        // Keep only the oldest version: its chain of bases (newer versions) must stay.
        let report = try store.sweep(keeping: [digests[0]])
        #expect(try store.read(digests[0]) == versions[0])
        var chain: [Digest] = [digests[0]]
        while let delta = try store.deltas.delta(of: chain.last!) { chain.append(delta.base) }
        #expect(Set(try store.list()) == Set(chain))
        #expect(report.removedBlobs.count == digests.count - chain.count)
        // Keeping nothing leaves nothing, deltas included.
        _ = try store.sweep(keeping: [])
        #expect(try store.list().isEmpty)
        #expect(try store.deltas.list().isEmpty)
    }

    /// gc's sweep deletes a delta before the blob it is made from: killed after any deletion
    /// (checked after each one), every delta left can still be made.
    @Test func aSweepKilledAfterAnyDeletionLeavesEveryRemainingDeltaMakable() throws {
        let versions = Self.versions(BlobStore.documentWindow + 6, of: 30, seed: 5, tag: "s")
        let digests = try storeVersions(versions)
        #expect(try store.deltas.list().count >= 6)
        var checked = 0
        _ = try store.sweep(keeping: [digests.last!]) { _ in
            for digest in (try? store.deltas.list()) ?? [] {
                #expect(store.verifyDelta(of: digest) == .intact, "after deletion \(checked + 1)")
            }
            checked += 1
        }
        #expect(checked == digests.count - 1)
        #expect(try store.list() == [digests.last!])
    }

    struct SimulatedKill: Error {}

    /// Under the deferred policy a build's documents leave their windows as it writes them, but
    /// their deltas (and the kinds' hints) are written once, by `synchronize()`.
    @Test func deferredDeltasAreMadeBySynchronize() throws {
        let versions = Self.versions(BlobStore.documentWindow + 3, of: 30, seed: 5, tag: "d")
        let digests = try versions.map { try store.ingestDocument($0).digest }
        #expect(try store.deltas.list().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/deltas/recent"))
        try store.synchronize()
        #expect(try store.deltas.list() == Array(digests.prefix(3)).sorted())
        for (digest, version) in zip(digests, versions) { #expect(try store.read(digest) == version) }
        #expect(digests.prefix(3).allSatisfy { !store.isStored($0) })
        let hints = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/deltas/recent")
        #expect(hints.count == 1)
    }

    /// A kill after the delta is durable and before `synchronize()` removes the full copy leaves
    /// both: readers use the full copy, and gc's sweep drops one of the two.
    @Test func aKillBetweenWritingADeltaAndRemovingTheFullCopyLeavesAReadableStore() throws {
        let versions = Self.versions(BlobStore.documentWindow + 1, of: 30, seed: 3, tag: "k")
        let digests = try versions.map { try store.ingestDocument($0).digest }
        // The process "dies" once the deltas are on the disk, before the full copies go.
        #expect(throws: SimulatedKill.self) { try store.synchronize { throw SimulatedKill() } }
        #expect(store.deltas.contains(digests[0]) && store.isStored(digests[0]))
        let reopened = try BlobStore(root: directory.path)
        #expect(try reopened.read(digests[0]) == versions[0])
        #expect(try reopened.verify(digests[0]) == .intact)
        #expect(reopened.verifyDelta(of: digests[0]) == .intact)
        _ = try reopened.sweep(keeping: Set(digests))
        #expect(!reopened.isStored(digests[0]) && reopened.deltas.contains(digests[0]))
        #expect(try reopened.read(digests[0]) == versions[0])
        // A delta file half-written by a killed writer has a temporary name, never a digest's.
        let temporary = reopened.deltas.path(for: digests[1]) + ".tmp-999999999-1"
        try Data("RPD1".utf8).write(to: URL(fileURLWithPath: temporary))
        #expect(try reopened.deltas.list() == [digests[0]])
        #expect(try reopened.read(digests[1]) == versions[1])
    }
}
