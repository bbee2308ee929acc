import Foundation
import TestSupport
import Testing
@testable import LayerArchive

/// The block-parallel gzip encoder: deterministic whatever the cores, readable by other tools,
/// and for inputs of one block the very bytes a single zlib stream gives.
@Suite struct GzipEncoderTests {
    /// Text-like runs and random bytes, so that blocks both compress and refer back across cuts.
    static func input(bytes: Int, seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        var data: [UInt8] = []
        data.reserveCapacity(bytes)
        let words = ["layer ", "reprise ", "stage ", "digest ", "build\n", "COPY . /ctx/ "].map { Array($0.utf8) }
        while data.count < bytes {
            if random.next() % 4 == 0 {
                for _ in 0..<Int(random.next() % 2000) { data.append(UInt8(truncatingIfNeeded: random.next())) }
            } else {
                for _ in 0..<Int(random.next() % 400) { data += words[Int(random.next() % UInt64(words.count))] }
            }
        }
        return Array(data.prefix(bytes))
    }

    /// Encodes `input` fed in pieces of irregular sizes.
    static func encode(_ input: [UInt8], workers: Int, seed: UInt64) throws -> [UInt8] {
        let encoder = try GzipEncoder(workers: workers)
        var output: [UInt8] = []
        var random = SeededRandom(seed: seed ^ 0x5eed)
        var offset = 0
        try input.withUnsafeBytes { all in
            while offset < all.count {
                let piece = min(all.count - offset, Int(random.next() % 300_000) + 1)
                try encoder.compress(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + piece)])) { output += $0 }
                offset += piece
            }
        }
        try encoder.finish { output += $0 }
        return output
    }

    @Test func theOutputIsTheSameForAnyNumberOfWorkersAndGunzipReadsIt() throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("GzipEncoderTests seed \(seed) (REPRISE_SEED=\(seed) repeats it)")
        let scratch = try TemporaryDirectory("gzip-blocks")
        // Three and a half blocks: whole blocks, a short last one, cuts inside batches and between.
        let input = Self.input(bytes: GzipEncoder.blockSize * 7 / 2, seed: seed)
        let one = try Self.encode(input, workers: 1, seed: seed)
        for workers in [2, 3, 8] {
            #expect(try Self.encode(input, workers: workers, seed: seed) == one, "workers \(workers), seed \(seed)")
        }
        try Data(one).write(to: URL(fileURLWithPath: scratch.sub("x.gz")))
        try Tool.check(["sh", "-c", "gzip -dc \(scratch.sub("x.gz")) > \(scratch.sub("x"))"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.sub("x"))) == Data(input), "seed \(seed)")
        // Blocks primed with the 32 KiB before them lose next to nothing against one stream.
        try Data(input).write(to: URL(fileURLWithPath: scratch.sub("input")))
        let single = try Tool.check(["python3", "-c", """
            import sys, zlib
            data = open(sys.argv[1], 'rb').read()
            c = zlib.compressobj(int(sys.argv[2]), zlib.DEFLATED, -15)
            print(len(c.compress(data) + c.flush()))
            """, scratch.sub("input"), "\(GzipEncoder.compressionLevel)"]).stdout
        let singleSize = try #require(Int(single.trimmingCharacters(in: .whitespacesAndNewlines)))
        let blockSize = one.count - GzipEncoder.header.count - 8
        print("block-parallel deflate \(blockSize) bytes, one zlib stream \(singleSize) bytes")
        #expect(Double(blockSize) <= Double(singleSize) * 1.01, "seed \(seed)")
    }

    /// Batches are deflated while the caller produces the next input; over several batches the
    /// output must still be the one-worker (synchronous) output, byte for byte, and gunzip must
    /// read it back.
    @Test func batchesDeflatedWhileInputArrivesGiveTheSameBytes() throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("GzipEncoderTests seed \(seed) (REPRISE_SEED=\(seed) repeats it)")
        let scratch = try TemporaryDirectory("gzip-batches")
        // With 2 workers a batch is 4 blocks: 9.5 blocks are two batches in flight and a last one.
        let input = Self.input(bytes: GzipEncoder.blockSize * 19 / 2, seed: seed)
        let one = try Self.encode(input, workers: 1, seed: seed)
        for workers in [2, 3] {
            #expect(try Self.encode(input, workers: workers, seed: seed) == one, "workers \(workers), seed \(seed)")
        }
        try Data(one).write(to: URL(fileURLWithPath: scratch.sub("x.gz")))
        try Tool.check(["sh", "-c", "gzip -dc \(scratch.sub("x.gz")) > \(scratch.sub("x"))"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.sub("x"))) == Data(input), "seed \(seed)")
    }

    /// Up to one block, the deflate stream is zlib's own for the whole input (Python's zlib as
    /// the independent reference, at the same level), so the digest of a layer of that size is
    /// what any zlib makes of its tar.
    @Test(arguments: [0, 1, 70_000, GzipEncoder.blockSize])
    func oneBlockIsOneZlibStream(bytes: Int) throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("GzipEncoderTests seed \(seed) bytes \(bytes)")
        let scratch = try TemporaryDirectory("gzip-one-block")
        let input = Self.input(bytes: bytes, seed: seed)
        try Data(input).write(to: URL(fileURLWithPath: scratch.sub("input")))
        let reference = try Tool.check(["python3", "-c", """
            import sys, zlib
            data = open(sys.argv[1], 'rb').read()
            c = zlib.compressobj(int(sys.argv[2]), zlib.DEFLATED, -15)
            sys.stdout.write((c.compress(data) + c.flush()).hex())
            """, scratch.sub("input"), "\(GzipEncoder.compressionLevel)"]).stdout
        let ours = try Self.encode(input, workers: 2, seed: seed)
        let deflate = ours.dropFirst(GzipEncoder.header.count).dropLast(8)
        #expect(deflate.map { String(format: "%02x", $0) }.joined() == reference, "seed \(seed)")
    }
}
