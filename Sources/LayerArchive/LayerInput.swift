import ContentStore
import Foundation

/// The byte stream under a `LayerReader`: reads a layer blob, recognises gzip by its magic,
/// inflates it, and hashes both the stored bytes (the blob digest) and the tar bytes (the diff
/// id) on the way through.
final class LayerInput {
    typealias Source = (UnsafeMutableRawBufferPointer) throws -> Int

    private let source: Source
    private(set) var compression: LayerCompression = .none
    private var storedHasher = DigestHasher()
    private var tarHasher = DigestHasher()
    private var decoder: GzipDecoder?
    private var memberEnded = false
    private var sourceEnded = false
    private let raw: UnsafeMutableRawBufferPointer
    private var rawStart = 0
    private var rawEnd = 0

    init(source: @escaping Source) throws {
        self.source = source
        raw = .allocate(byteCount: 1 << 20, alignment: 16)
        while rawEnd < 6 && !sourceEnded { try fill() }
        let head = Array(raw[0..<min(rawEnd, 6)])
        if head.starts(with: [0x1f, 0x8b]) {
            compression = .gzip
            decoder = try GzipDecoder()
        } else if head.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) {
            throw LayerArchiveError.unsupported("zstd-compressed layers")
        } else if head.starts(with: [0x42, 0x5a, 0x68]) {
            throw LayerArchiveError.unsupported("bzip2-compressed layers")
        } else if head.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) {
            throw LayerArchiveError.unsupported("xz-compressed layers")
        }
    }

    deinit { raw.deallocate() }

    /// The digest of the stored bytes; complete once `read` has returned 0.
    var storedDigest: Digest { storedHasher.finalize() }
    var storedSize: Int64 { storedHasher.count }
    /// The digest of the tar stream; complete once `read` has returned 0.
    var diffID: Digest { tarHasher.finalize() }
    var tarSize: Int64 { tarHasher.count }

    private func fill() throws {
        if rawStart == rawEnd { rawStart = 0; rawEnd = 0 }
        guard rawEnd < raw.count else { return }
        let count = try source(UnsafeMutableRawBufferPointer(rebasing: raw[rawEnd...]))
        if count == 0 { sourceEnded = true; return }
        storedHasher.update(UnsafeRawBufferPointer(rebasing: raw[rawEnd..<(rawEnd + count)]))
        rawEnd += count
    }

    /// Reads tar bytes; 0 means the stream ended properly (for gzip: after a complete member).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try readUnhashed(into: buffer)
        tarHasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        return count
    }

    private func readUnhashed(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        guard let decoder else {
            if rawStart == rawEnd && !sourceEnded { try fill() }
            let count = min(buffer.count, rawEnd - rawStart)
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[rawStart..<(rawStart + count)]))
            rawStart += count
            return count
        }
        while true {
            if memberEnded {
                // After a member: the end, another member, or zero padding some tools add.
                if rawStart == rawEnd && !sourceEnded { try fill() }
                if rawStart == rawEnd { return 0 }
                if raw[rawStart] == 0 {
                    while rawStart < rawEnd && raw[rawStart] == 0 { rawStart += 1 }
                    continue
                }
                while rawEnd - rawStart < 2 && !sourceEnded { try fill() }
                guard rawEnd - rawStart >= 2, raw[rawStart] == 0x1f, raw[rawStart + 1] == 0x8b else {
                    throw LayerArchiveError.malformed("trailing bytes after the gzip stream")
                }
                decoder.reset()
                memberEnded = false
            }
            if rawStart == rawEnd {
                try fill()
                if rawStart == rawEnd && sourceEnded {
                    throw LayerArchiveError.truncated("gzip stream ends before its trailer")
                }
            }
            let input = UnsafeRawBufferPointer(rebasing: raw[rawStart..<rawEnd])
            switch try decoder.inflate(input, into: buffer) {
            case .more(let consumed, let produced):
                rawStart += consumed
                if produced > 0 { return produced }
                if consumed == 0 && sourceEnded {
                    throw LayerArchiveError.truncated("gzip stream ends before its trailer")
                }
            case .memberEnded(let consumed, let produced):
                rawStart += consumed
                memberEnded = true
                if produced > 0 { return produced }
            }
        }
    }
}
