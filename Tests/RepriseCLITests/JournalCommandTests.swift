import Foundation
import TestSupport
import Testing

/// The journal commands, run as a separate process, including being killed mid-write.
@Suite struct JournalCommandTests {
    let directory: TemporaryDirectory
    var journal: String { directory.path + "/journal" }

    init() throws { directory = try TemporaryDirectory() }

    func blobNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: journal + "/blobs/sha256")
    }

    @Test func aKilledIngestLeavesNothingAndFsckStaysClean() throws {
        // A FIFO lets the test decide exactly when the writer is mid-blob: no timing guesses.
        let fifo = directory.path + "/slow-input"
        #expect(mkfifo(fifo, 0o600) == 0)
        let ingest = try RepriseProcess.start(["journal", "ingest", "--journal", journal, fifo])
        let feeder = try FileHandle(forWritingTo: URL(fileURLWithPath: fifo))
        try feeder.write(contentsOf: Data(repeating: 0x5a, count: 4 << 20))
        // Wait until the blob being written (an unnamed file in the blob directory, seen through
        // the writer's descriptors) holds what we fed, then kill without warning.
        let deadline = Date().addingTimeInterval(30)
        let descriptors = "/proc/\(ingest.processIdentifier)/fd"
        func unnamedBlobSize() -> Int {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: descriptors)) ?? [] {
                let path = descriptors + "/" + name
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path),
                      target.contains("/blobs/sha256/#") || target.contains("/ingest/") else { continue }
                var info = stat()
                if stat(path, &info) == 0 { return Int(info.st_size) }
            }
            return 0
        }
        while unnamedBlobSize() < 4 << 20 && Date() < deadline { usleep(20_000) }
        #expect(unnamedBlobSize() == 4 << 20, "the writer never held the fed bytes")
        kill(ingest.processIdentifier, SIGKILL)
        ingest.waitUntilExit()
        try? feeder.close()
        #expect(ingest.terminationReason == .uncaughtSignal)
        // Nothing was named: no blob, and no ingest file either.
        #expect(try blobNames().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: journal + "/ingest").isEmpty)

        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", journal])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
        #expect(fsck.stdout.contains("no damage"))
        let gc = try RepriseProcess.run(["journal", "gc", "--journal", journal])
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(try blobNames().isEmpty)
    }

    @Test func twoProcessesIngestingTheSameAndDifferentBlobsBothSucceed() throws {
        let shared = directory.path + "/shared.bin"
        let first = directory.path + "/first.bin"
        let second = directory.path + "/second.bin"
        let block = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        var big = Data()
        for _ in 0..<48 { big.append(block) }
        try big.write(to: URL(fileURLWithPath: shared))
        try Data(repeating: 1, count: 3 << 20).write(to: URL(fileURLWithPath: first))
        try Data(repeating: 2, count: 3 << 20).write(to: URL(fileURLWithPath: second))
        try RepriseProcess.run(["journal", "ingest", "--journal", journal, "/dev/null"])

        let a = try RepriseProcess.start(["journal", "ingest", "--journal", journal, shared, first])
        let b = try RepriseProcess.start(["journal", "ingest", "--journal", journal, shared, second])
        a.waitUntilExit()
        b.waitUntilExit()
        #expect(a.terminationStatus == 0)
        #expect(b.terminationStatus == 0)
        #expect(try blobNames().count == 4)  // empty, shared, first, second
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", journal])
        #expect(fsck.status == 0)
        #expect(fsck.stdout.contains("4 blobs"))
    }

    @Test func fsckExitsNonZeroAndNamesADamagedBlob() throws {
        let file = directory.path + "/data"
        try Data("original".utf8).write(to: URL(fileURLWithPath: file))
        let ingest = try RepriseProcess.run(["journal", "ingest", "--journal", journal, file])
        let digest = String(ingest.stdout.prefix(71))
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: journal + "/blobs/sha256/" + digest.dropFirst(7)))
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", journal])
        #expect(fsck.status == 1)
        #expect(fsck.stdout.contains("corrupt: \(digest)"))
    }

    @Test func readingCommandsRefuseAMissingJournalClearly() throws {
        let result = try RepriseProcess.run(["journal", "ls", "--journal", directory.path + "/nowhere"])
        #expect(result.status == 1)
        #expect(result.stderr == "reprise: error: \(directory.path)/nowhere is not a Reprise journal (no journal.json)\n")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/nowhere"))
    }
}
