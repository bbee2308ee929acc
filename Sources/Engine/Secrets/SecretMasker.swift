import Foundation
import Synchronization

/// Replaces every secret value in step output with `****` before anything records or shows it,
/// as CI systems mask theirs: the journal, progress, errors and bundles never hold a value.
///
/// What is masked, for each secret: the value as given, the value without trailing white space
/// (a file secret usually ends in a newline that `echo` does not print back), and each of its
/// lines on its own (a multi-line key printed line by line). Fragments shorter than
/// `minimumLength` are not masked on their own — masking every "a" would make logs unreadable
/// while protecting nothing — but the whole value is masked at any length.
struct SecretMasker: Sendable {
    static let replacement = Array("****".utf8)
    static let minimumLength = 4

    /// Longest first, so a value is masked before a line that is part of it.
    let patterns: [[UInt8]]

    init(values: [Data]) {
        var patterns = Set<[UInt8]>()
        for value in values where !value.isEmpty {
            let bytes = Array(value)
            patterns.insert(bytes)
            var trimmed = bytes
            while let last = trimmed.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 { trimmed.removeLast() }
            if !trimmed.isEmpty { patterns.insert(trimmed) }
            for line in trimmed.split(separator: 0x0A) where line.count >= Self.minimumLength {
                patterns.insert(Array(line))
            }
        }
        self.patterns = patterns.sorted { $0.count > $1.count || ($0.count == $1.count && $0.lexicographicallyPrecedes($1)) }
    }

    var isEmpty: Bool { patterns.isEmpty }
    /// How many bytes a stream must hold back so a value split across two chunks is still seen.
    var longest: Int { patterns.first?.count ?? 0 }

    /// `bytes` with every occurrence of every pattern replaced.
    func mask(_ bytes: [UInt8]) -> [UInt8] {
        guard !patterns.isEmpty, !bytes.isEmpty else { return bytes }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        scan: while index < bytes.count {
            for pattern in patterns where pattern.first == bytes[index] && bytes.count - index >= pattern.count {
                if bytes[index..<(index + pattern.count)].elementsEqual(pattern) {
                    output += Self.replacement
                    index += pattern.count
                    continue scan
                }
            }
            output.append(bytes[index])
            index += 1
        }
        return output
    }

    func mask(_ text: String) -> String {
        String(decoding: mask(Array(text.utf8)), as: UTF8.self)
    }
}

/// Masks a stream that arrives in chunks: it holds back the last bytes that could begin a
/// secret split across chunks, and hands them on with the next chunk or at `finish`.
final class SecretMaskingStream: Sendable {
    /// Bytes held back while waiting for the end of a line.
    static let lineHoldLimit = 4096

    private let masker: SecretMasker
    private let state = Mutex<[UInt8]>([])

    init(masker: SecretMasker) { self.masker = masker }

    /// What may be shown of `chunk` now.
    func feed(_ chunk: [UInt8]) -> [UInt8] {
        guard !masker.isEmpty else { return chunk }
        let masker = self.masker
        return state.withLock { pending in
            pending += chunk
            // Release whole lines (a progress display prints a chunk as a line): a value on one
            // line cannot span a line break, and each line of a longer value is masked on its
            // own. A long run without a break goes all but the bytes that could begin a value.
            var cut: Int
            if let lastBreak = pending.lastIndex(where: { $0 == 0x0A || $0 == 0x0D }) {
                cut = lastBreak + 1
            } else if pending.count >= Self.lineHoldLimit {
                cut = max(0, pending.count - (masker.longest - 1))
            } else {
                return []
            }
            // Never cut through a whole value that is already there.
            while cut > 0, masker.patterns.contains(where: { pattern in
                (1..<max(pattern.count, 1)).contains { offset in
                    cut - offset >= 0 && cut - offset + pattern.count <= pending.count
                        && pending[(cut - offset)..<(cut - offset + pattern.count)].elementsEqual(pattern)
                }
            }) { cut -= 1 }
            let ready = Array(pending[..<cut])
            pending.removeFirst(cut)
            return masker.mask(ready)
        }
    }

    /// The rest, masked.
    func finish() -> [UInt8] {
        state.withLock { pending in
            defer { pending = [] }
            return masker.mask(pending)
        }
    }
}
