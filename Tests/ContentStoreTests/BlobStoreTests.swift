import ContentStore
import Foundation
import TestSupport
import Testing

@Suite struct BlobStoreTests {
    let directory: TemporaryDirectory
    let store: BlobStore

    init() throws {
        directory = try TemporaryDirectory()
        store = try BlobStore(root: directory.path)
    }

    @Test func ingestNamesContentByItsSHA256() throws {
        let result = try store.ingest(Data("hello".utf8))
        #expect(result.digest.description == "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        #expect(result.size == 5)
        #expect(!result.alreadyExisted)
        #expect(try store.read(result.digest) == Data("hello".utf8))
        #expect(FileManager.default.fileExists(atPath: directory.path + "/blobs/sha256/" + result.digest.hex))
    }

    /// A blob goes from an unnamed file to its name in one link: nothing in ingest/ before or
    /// after, whether hashed by the writer or by the caller (`hashedAs`), and an existing blob is
    /// found rather than written again.
    @Test func blobsAreLinkedIntoPlaceLeavingNoIngestFiles() throws {
        let data = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let digest = Digest(of: data)
        let first = try store.ingest(data, hashedAs: digest)
        #expect(first.digest == digest && first.size == 200_000 && !first.alreadyExisted)
        #expect(try store.verify(digest) == .intact)
        #expect(try store.read(digest) == data)
        #expect(try store.ingest(data, hashedAs: digest).alreadyExisted)
        let other = try store.ingest(Data("other".utf8))
        #expect(try store.verify(other.digest) == .intact)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/ingest").isEmpty)
        // An aborted writer leaves nothing named either.
        let writer = try store.makeWriter()
        try writer.write(Data("never committed".utf8))
        writer.abort()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/ingest").isEmpty)
        #expect(try store.list().count == 2)
    }

    /// The 32 raw bytes the index and delta files keep, both ways, against an independent hex.
    @Test func aDigestGoesToAndFromItsRawBytes() throws {
        let digest = Digest(of: Data("raw".utf8))
        let bytes = digest.rawBytes
        #expect(bytes.count == 32)
        #expect(bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() == digest.hex)
        #expect(Digest(rawBytes: bytes) == digest)
        #expect(Digest(rawBytes: bytes.dropLast()) == nil)
        #expect(Digest(rawBytes: [UInt8](repeating: 0xab, count: 32))?.hex == String(repeating: "ab", count: 32))
    }

    /// Another process may have committed a blob without syncing it yet: a deferred store that
    /// finds it stored still makes it durable at its own next sync, before what it records.
    @Test func aBlobFoundStoredJoinsTheFindersNextSync() throws {
        let first = try BlobStore(root: directory.path + "/shared", syncPolicy: .deferred)
        let second = try BlobStore(root: directory.path + "/shared", syncPolicy: .deferred)
        let data = Data("committed by another process".utf8)
        #expect(try first.ingest(data).alreadyExisted == false)
        #expect(first.pendingSyncCount == 1 && second.pendingSyncCount == 0)
        #expect(try second.ingest(data).alreadyExisted)
        #expect(second.pendingSyncCount == 1)
        let writer = try second.makeWriter()
        try writer.write(data)
        #expect(try writer.commit(durability: .batched).alreadyExisted)
        #expect(second.pendingSyncCount == 2)
        try second.synchronize()
        #expect(second.synchronizedFileCount == 2)
    }

    /// A sync that fails leaves its blobs on the list (a retry syncs them again rather than
    /// finding nothing to do), and the store says a sync failed for as long as it lives: fsync
    /// reports a lost write once, so a later success proves nothing about the earlier blobs.
    @Test func aFailedSyncKeepsItsBlobsPendingAndIsRemembered() throws {
        let deferred = try BlobStore(root: directory.path + "/deferred", syncPolicy: .deferred)
        let digest = try deferred.ingest(Data("not yet durable".utf8)).digest
        #expect(deferred.pendingSyncCount == 1 && !deferred.hasFailedToSync)
        // Its shard directory replaced by a regular file: the blob's path cannot be opened.
        let shard = (deferred.path(for: digest) as NSString).deletingLastPathComponent
        try FileManager.default.moveItem(atPath: shard, toPath: shard + ".aside")
        try Data("x".utf8).write(to: URL(fileURLWithPath: shard))
        #expect(throws: SystemCallError.self) { try deferred.synchronize() }
        #expect(deferred.pendingSyncCount == 1, "the blob stays on the list")
        #expect(deferred.hasFailedToSync)
        try FileManager.default.removeItem(atPath: shard)
        try FileManager.default.moveItem(atPath: shard + ".aside", toPath: shard)
        try deferred.synchronize()
        #expect(deferred.pendingSyncCount == 0 && deferred.synchronizedFileCount == 1)
        #expect(deferred.hasFailedToSync, "a retry that succeeds does not clear it")
    }

    /// A path that cannot be opened (here: below a regular file) was not made durable: an error,
    /// not a skip; only a file gone since is skipped.
    @Test func syncingWhatCannotBeOpenedIsAnError() throws {
        let file = directory.path + "/plain"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        try FileIO.syncFiles([file, directory.path + "/gone"])
        #expect(throws: SystemCallError.self) { try FileIO.syncFiles([file, file + "/below"]) }
    }

    @Test func secondIngestOfSameContentSaysItAlreadyExisted() throws {
        try store.ingest(Data("same".utf8))
        let again = try store.ingest(Data("same".utf8))
        #expect(again.alreadyExisted)
        #expect(try store.list().count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/ingest").isEmpty)
    }

    @Test func wrongExpectedDigestLeavesNothingVisible() throws {
        let wrong = Digest(of: Data("other".utf8))
        #expect(throws: StoreError.self) { try store.ingest(Data("content".utf8), expected: wrong) }
        #expect(try store.list().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/ingest").isEmpty)
    }

    @Test func wrongExpectedSizeIsRefused() throws {
        let writer = try store.makeWriter()
        try writer.write(Data("12345".utf8))
        #expect(throws: StoreError.sizeMismatch(expected: 4, actual: 5)) {
            try writer.commit(expectedSize: 4)
        }
        #expect(try store.list().isEmpty)
    }

    @Test func abortedWriterLeavesNoTrace() throws {
        do {
            let writer = try store.makeWriter()
            try writer.write(Data(repeating: 7, count: 1000))
        }
        #expect(try store.list().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/ingest").isEmpty)
    }

    @Test func streamingWriteOfManyChunksMatchesOneShotDigest() throws {
        var whole = Data()
        let writer = try store.makeWriter()
        for index in 0..<100 {
            let chunk = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) })
            whole.append(chunk)
            try writer.write(chunk)
        }
        let result = try writer.commit(durability: .batched)
        try store.synchronize()
        #expect(result.digest == Digest(of: whole))
        let reader = try store.openReader(result.digest)
        var readBack = Data()
        try reader.forEachChunk(size: 1000) { readBack.append(contentsOf: $0) }
        #expect(readBack == whole)
    }

    @Test func verifyFindsACorruptedBlob() throws {
        let digest = try store.ingest(Data("precious".utf8)).digest
        #expect(try store.verify(digest) == .intact)
        try Data("precioux".utf8).write(to: URL(fileURLWithPath: store.path(for: digest)))
        guard case .corrupt(let actual) = try store.verify(digest) else {
            Issue.record("corruption not detected")
            return
        }
        #expect(actual == Digest(of: Data("precioux".utf8)))
        #expect(try store.verify(Digest(of: Data("absent".utf8))) == .missing)
    }

    @Test func sweepKeepsWhatIsKeptAndRemovesStaleIngestFiles() throws {
        let kept = try store.ingest(Data("keep".utf8)).digest
        let dropped = try store.ingest(Data("drop".utf8)).digest
        // An ingest file left by a process that no longer exists, and one by a live process (us).
        let deadPID = try Self.pidOfExitedProcess()
        _ = FileManager.default.createFile(atPath: directory.path + "/ingest/\(deadPID)-1", contents: Data("x".utf8))
        _ = FileManager.default.createFile(atPath: directory.path + "/ingest/\(getpid())-2", contents: Data("y".utf8))
        let report = try store.sweep(keeping: [kept])
        #expect(report.removedBlobs == [dropped])
        #expect(report.removedBytes == 4)
        #expect(report.removedIngestFiles == 1)
        #expect(store.contains(kept))
        #expect(!store.contains(dropped))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/ingest") == ["\(getpid())-2"])
    }

    @Test func concurrentWritersOfTheSameBlobAllSucceed() async throws {
        let payload = Data(repeating: 42, count: 1 << 20)
        let store = self.store
        let results = try await withThrowingTaskGroup(of: BlobStore.CommitResult.self) { group in
            for _ in 0..<8 { group.addTask { try store.ingest(payload) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(results.map(\.digest)).count == 1)
        #expect(try store.verify(results[0].digest) == .intact)
        #expect(try store.list().count == 1)
    }

    /// Two synchronize() calls at once: the second finds the pending list taken by the first, and
    /// must still return only once those blobs are durable (a build's end and a concurrent
    /// snapshot in one process both synchronize).
    @Test func aConcurrentSynchronizeReturnsOnlyWhenEveryEarlierBlobIsDurable() async throws {
        let deferred = try BlobStore(root: directory.path + "/deferred", syncPolicy: .deferred)
        deferred.syncFilesystemThreshold = Int.max  // one fsync per blob: slow enough to overlap
        // Dirty data to write back, so that the first call's fsyncs take a while.
        let count = 200
        let body = Data(repeating: 0x5a, count: 256 << 10)
        for index in 0..<count { try deferred.ingest(Data("blob \(index)\n".utf8) + body) }
        #expect(deferred.pendingSyncCount == count)
        let first = Task.detached { try deferred.synchronize() }
        while deferred.pendingSyncCount != 0 {}
        // The first call holds the list now; this one has nothing of its own to sync.
        try deferred.synchronize()
        #expect(deferred.synchronizedFileCount == count, "returned before the other call's fsyncs were done")
        try await first.value
    }

    @Test func digestParsingIsStrict() {
        #expect(Digest("sha256:" + String(repeating: "a", count: 64)) != nil)
        #expect(Digest("sha256:" + String(repeating: "A", count: 64)) == nil)
        #expect(Digest("sha512:" + String(repeating: "a", count: 64)) == nil)
        #expect(Digest("sha256:abc") == nil)
        #expect(Digest(hex: "../" + String(repeating: "a", count: 61)) == nil)
    }

    @Test func canonicalJSONSortsKeysAndFindsDigests() throws {
        struct Sample: Codable { var zeta = 1; var alpha = "a/b"; var digest = Digest(of: Data()) }
        let data = try CanonicalJSON.encode(Sample())
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix("{\"alpha\":\"a/b\",\"digest\":\"sha256:e3b0c442"))
        #expect(CanonicalJSON.referencedDigests(in: data) == [Digest(of: Data())])
    }

    static func pidOfExitedProcess() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
