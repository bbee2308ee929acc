/// Renders bytes for a report line: as text when printable UTF-8, as hex otherwise, bounded.
enum Printable {
    static func render(_ bytes: [UInt8], limit: Int = 120) -> String {
        if let text = String(validating: bytes, as: UTF8.self),
           text.unicodeScalars.allSatisfy({ $0.value >= 0x20 || $0 == "\t" }) {
            return text.count > limit ? String(text.prefix(limit)) + "…" : text
        }
        return "0x" + hex(bytes.prefix(limit / 2)) + (bytes.count > limit / 2 ? "…" : "")
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let table = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(table[Int(byte >> 4)])
            out.append(table[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A line of text for a report: control characters shown as `\xNN`, length bounded.
    static func line(_ text: Substring, limit: Int = 240) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit { out += "…"; break }
            if scalar.value < 0x20 && scalar != "\t" || scalar.value == 0x7f {
                out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }
}
