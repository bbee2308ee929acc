import ContentStore
import Foundation
import Testing
@testable import LayerArchive

/// Randomly damaged layers must give errors, never crashes, and never writes outside the target.
/// (A cheap stand-in for the libFuzzer harness the design notes describe; seeded, so failures
/// reproduce.)
@Suite("Mutated layers")
struct MutatedLayerTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: [LayerCompression.none, .gzip])
    func damagedLayersAreErrorsNotCrashes(_ compression: LayerCompression) throws {
        let scratch = try Scratch()
        let store = try scratch.store()
        let tree = try scratch.sub("tree")
        try LayerWriterTests.makeTree(at: tree)
        try Make.file(tree + "/" + String(repeating: "n", count: 150), "long name\n")
        let layer = try LayerWriter(compression: compression).write(directory: tree, into: store)
        let original = try store.read(layer.digest)
        var random = SplitMix64(state: compression == .gzip ? 1 : 2)
        var errors = 0
        for round in 0..<1000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] = UInt8.random(in: 0...255, using: &random)
            }
            if round % 7 == 0 { bytes = bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)) }
            do {
                let reader = try LayerReader(data: bytes)
                while try reader.next() != nil { _ = try reader.readContent() }
                if round % 25 == 0 {
                    let target = scratch.path + "/apply/\(round)"
                    _ = try LayerApplier().apply(try LayerReader(data: bytes), to: target)
                }
            } catch is LayerArchiveError {
                errors += 1
            } catch is SystemCallError {
                errors += 1  // e.g. chown of a name a mutation turned into something else
            }
        }
        #expect(errors > 0)
        #expect(try Posix.directoryNames(scratch.path).sorted() == ["apply", "store", "tree"]
                || Posix.directoryNames(scratch.path).sorted() == ["store", "tree"])
    }
}
