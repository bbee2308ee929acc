@testable import Engine
import Foundation
import TestSupport
import Testing

/// Secret values never survive into step output, whole, without their newline, line by line,
/// or split across the chunks a stream arrives in.
@Suite struct SecretMaskerTests {
    @Test func masksTheValueItsTrimmedFormAndItsLines() {
        let masker = SecretMasker(values: [Data("hunter2-token\n".utf8), Data("-----BEGIN KEY-----\nAAAAsecretline\n-----END KEY-----\n".utf8)])
        #expect(masker.mask("token=hunter2-token done") == "token=**** done")
        #expect(masker.mask("hunter2-token\n") == "****")
        #expect(masker.mask("line: AAAAsecretline!") == "line: ****!")
        #expect(masker.mask("nothing secret here") == "nothing secret here")
    }

    @Test func aShortValueIsMaskedWholeButNotAsAFragment() {
        let masker = SecretMasker(values: [Data("ab\n".utf8), Data("xy\nlonger-part\n".utf8)])
        #expect(masker.mask("ab") == "****")
        #expect(masker.mask("xy") == "xy")             // a 2-byte line of a longer value
        #expect(masker.mask("longer-part") == "****")
    }

    @Test func aStreamMasksValuesSplitAcrossChunksAtEveryPosition() {
        let seed = SeededRandom.seedFromEnvironment()
        print("SecretMaskerTests seed: \(seed)")
        var generator = SeededRandom(seed: seed)
        let secret = "s3cr3t-\(generator.next() % 1_000_000)"
        let masker = SecretMasker(values: [Data(secret.utf8)])
        let text = Array("before \(secret) middle\n\(secret)\(secret) after\nlast \(secret)".utf8)
        for _ in 0..<200 {
            let stream = SecretMaskingStream(masker: masker)
            var output: [UInt8] = []
            var index = 0
            while index < text.count {
                let size = Int(generator.next() % 9) + 1
                let released = stream.feed(Array(text[index..<min(text.count, index + size)]))
                // Whole lines go out as soon as they end, so progress lines are never cut.
                #expect(released.isEmpty || released.last == UInt8(ascii: "\n"), "seed \(seed)")
                output += released
                index += size
            }
            output += stream.finish()
            let shown = String(decoding: output, as: UTF8.self)
            #expect(shown == "before **** middle\n******** after\nlast ****", "seed \(seed)")
        }
    }
}
