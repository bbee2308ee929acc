/// Recognises the exec (JSON array) form of an instruction's arguments.
///
/// The rules are Go's `json.Unmarshal` into `[]interface{}`: any valid JSON array is
/// accepted as JSON, an array holding anything but strings is an error, and text that is not
/// valid JSON falls back to the shell form.
enum JSONStringArray: Equatable, Sendable {
    /// A valid JSON array of strings.
    case strings([String])
    /// Valid JSON, but an element is not a string: an error in every instruction.
    case notAllStrings
    /// Not a JSON array: the arguments are in shell form.
    case notJSON

    /// Nesting deeper than this is treated as invalid JSON rather than risking deep recursion.
    static let maximumDepth = 256

    static let notAllStringsMessage =
        "when using JSON array syntax, arrays must be comprised of strings only"

    static func parse(_ text: String) -> JSONStringArray {
        let bytes = Array(text.utf8)
        var reader = Reader(bytes: bytes)
        reader.skipWhitespace()
        guard reader.peek == UInt8(ascii: "[") else { return .notJSON }
        var elements: [String] = []
        var allStrings = true
        do {
            reader.index += 1
            reader.skipWhitespace()
            if reader.peek == UInt8(ascii: "]") {
                reader.index += 1
            } else {
                while true {
                    reader.skipWhitespace()
                    if reader.peek == UInt8(ascii: "\"") {
                        elements.append(try reader.readString())
                    } else {
                        allStrings = false
                        try reader.skipValue(depth: 1)
                    }
                    reader.skipWhitespace()
                    guard let byte = reader.peek else { return .notJSON }
                    reader.index += 1
                    if byte == UInt8(ascii: "]") { break }
                    guard byte == UInt8(ascii: ",") else { return .notJSON }
                }
            }
            reader.skipWhitespace()
            guard reader.peek == nil else { return .notJSON }
        } catch {
            return .notJSON
        }
        return allStrings ? .strings(elements) : .notAllStrings
    }

    private struct Invalid: Error {}

    private struct Reader {
        var bytes: [UInt8]
        var index = 0

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                index += 1
            }
        }

        mutating func expect(_ literal: String) throws {
            for byte in literal.utf8 {
                guard peek == byte else { throw Invalid() }
                index += 1
            }
        }

        mutating func readString() throws -> String {
            index += 1
            var output: [UInt8] = []
            var pendingHighSurrogate: UInt32? = nil
            func append(_ scalar: Unicode.Scalar) {
                output.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
            while true {
                guard let byte = peek else { throw Invalid() }
                index += 1
                if byte != UInt8(ascii: "\\"), pendingHighSurrogate != nil {
                    append("\u{FFFD}")
                    pendingHighSurrogate = nil
                }
                if byte == UInt8(ascii: "\"") { return String(decoding: output, as: UTF8.self) }
                if byte < 0x20 { throw Invalid() }
                guard byte == UInt8(ascii: "\\") else {
                    output.append(byte)
                    continue
                }
                guard let escaped = peek else { throw Invalid() }
                index += 1
                if escaped != UInt8(ascii: "u"), pendingHighSurrogate != nil {
                    append("\u{FFFD}")
                    pendingHighSurrogate = nil
                }
                switch escaped {
                case UInt8(ascii: "\""): output.append(escaped)
                case UInt8(ascii: "\\"): output.append(escaped)
                case UInt8(ascii: "/"): output.append(escaped)
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0C)
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "u"):
                    let code = try readHex4()
                    if let high = pendingHighSurrogate {
                        pendingHighSurrogate = nil
                        if (0xDC00...0xDFFF).contains(code) {
                            append(Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00))
                                   ?? "\u{FFFD}")
                            continue
                        }
                        append("\u{FFFD}")
                    }
                    if (0xD800...0xDBFF).contains(code) {
                        pendingHighSurrogate = code
                    } else {
                        append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    }
                default:
                    throw Invalid()
                }
            }
        }

        mutating func readHex4() throws -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let byte = peek else { throw Invalid() }
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw Invalid()
                }
                value = value * 16 + digit
                index += 1
            }
            return value
        }

        /// Skips any JSON value; only its validity matters.
        mutating func skipValue(depth: Int) throws {
            guard depth <= JSONStringArray.maximumDepth else { throw Invalid() }
            skipWhitespace()
            guard let byte = peek else { throw Invalid() }
            switch byte {
            case UInt8(ascii: "\""):
                _ = try readString()
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                let isObject = byte == UInt8(ascii: "{")
                let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                index += 1
                skipWhitespace()
                if peek == close { index += 1; return }
                while true {
                    skipWhitespace()
                    if isObject {
                        guard peek == UInt8(ascii: "\"") else { throw Invalid() }
                        _ = try readString()
                        skipWhitespace()
                        try expect(":")
                    }
                    try skipValue(depth: depth + 1)
                    skipWhitespace()
                    guard let next = peek else { throw Invalid() }
                    index += 1
                    if next == close { return }
                    guard next == UInt8(ascii: ",") else { throw Invalid() }
                }
            case UInt8(ascii: "t"): try expect("true")
            case UInt8(ascii: "f"): try expect("false")
            case UInt8(ascii: "n"): try expect("null")
            default:
                try skipNumber()
            }
        }

        mutating func skipNumber() throws {
            if peek == UInt8(ascii: "-") { index += 1 }
            guard let first = peek, first.isASCIIDigit else { throw Invalid() }
            index += 1
            if first != UInt8(ascii: "0") {
                while let byte = peek, byte.isASCIIDigit { index += 1 }
            }
            if peek == UInt8(ascii: ".") {
                index += 1
                guard let byte = peek, byte.isASCIIDigit else { throw Invalid() }
                while let byte = peek, byte.isASCIIDigit { index += 1 }
            }
            if let byte = peek, byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                index += 1
                if let sign = peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
                guard let digit = peek, digit.isASCIIDigit else { throw Invalid() }
                while let byte = peek, byte.isASCIIDigit { index += 1 }
            }
        }
    }
}
