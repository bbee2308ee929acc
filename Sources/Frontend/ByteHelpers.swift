/// Small byte and string predicates shared by the lexers.
///
/// The Dockerfile grammar is ASCII-driven, so the lexers work on UTF-8 bytes; these helpers
/// keep that code readable.
extension UInt8 {
    /// Space or tab: what separates words on a line.
    var isHorizontalSpace: Bool { self == 0x20 || self == 0x09 }

    /// Any ASCII whitespace (`\t \n \v \f \r` and space).
    var isASCIIWhitespace: Bool { self == 0x20 || (self >= 0x09 && self <= 0x0D) }

    var isASCIILetter: Bool { (self | 0x20) >= UInt8(ascii: "a") && (self | 0x20) <= UInt8(ascii: "z") }

    var isASCIIDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
}

extension String {
    /// The string without leading and trailing ASCII whitespace.
    func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        while start < end, bytes[start].isASCIIWhitespace { start += 1 }
        while end > start, bytes[end - 1].isASCIIWhitespace { end -= 1 }
        if start == 0 && end == bytes.count { return self }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Splits on runs of ASCII whitespace, dropping empty words, with each word's byte offset.
    func whitespaceTokens(baseOffset: Int = 0) -> [Token] {
        var tokens: [Token] = []
        let bytes = Array(utf8)
        var index = 0
        while index < bytes.count {
            while index < bytes.count, bytes[index].isASCIIWhitespace { index += 1 }
            let start = index
            while index < bytes.count, !bytes[index].isASCIIWhitespace { index += 1 }
            if index > start {
                tokens.append(Token(text: String(decoding: bytes[start..<index], as: UTF8.self),
                                    offset: baseOffset + start))
            }
        }
        return tokens
    }
}

/// A physical line of the file: its bytes without the line ending, and its 1-based number.
struct PhysicalLine: Sendable {
    var number: Int
    var content: ArraySlice<UInt8>
    /// The original line ending (`\n`, `\r\n` or empty at end of file), kept for heredocs.
    var ending: ArraySlice<UInt8>

    /// Splits `bytes` into lines; a trailing `\r` belongs to the ending, as Go's scanner has it.
    static func split(_ bytes: [UInt8]) -> [PhysicalLine] {
        var lines: [PhysicalLine] = []
        var start = 0
        var number = 1
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                var contentEnd = index
                if contentEnd > start, bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
                lines.append(PhysicalLine(number: number, content: bytes[start..<contentEnd],
                                          ending: bytes[contentEnd...index]))
                number += 1
                start = index + 1
            }
            index += 1
        }
        if start < bytes.count {
            var contentEnd = bytes.count
            if bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            lines.append(PhysicalLine(number: number, content: bytes[start..<contentEnd],
                                      ending: bytes[contentEnd..<bytes.count]))
        }
        return lines
    }
}
