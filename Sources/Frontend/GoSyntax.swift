/// Value syntaxes BuildKit inherits from Go's standard library and docker/go-units, so that a
/// value is accepted here exactly when BuildKit accepts it.
enum GoSyntax {
    /// `strconv.ParseBool`.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": true
        case "0", "f", "F", "false", "FALSE", "False": false
        default: nil
        }
    }

    /// `units.RAMInBytes`: `512`, `64k`, `1.5g`, `10MiB`, `2 GB` (binary multiples).
    static func parseRAMBytes(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count, bytes[index].isASCIIDigit || bytes[index] == UInt8(ascii: ".") {
            index += 1
        }
        let numberText = String(decoding: bytes[0..<index], as: UTF8.self)
        guard let first = numberText.utf8.first, first.isASCIIDigit, numberText.utf8.last != UInt8(ascii: "."),
              !numberText.contains(".."), let number = Double(numberText) else { return nil }
        if index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        var multiplier: Double = 1
        if index < bytes.count, let power = "kmgtp".utf8.firstIndex(of: bytes[index] | 0x20) {
            multiplier = (0...("kmgtp".utf8.distance(from: "kmgtp".utf8.startIndex, to: power)))
                .reduce(1) { result, _ in result * 1024 }
            index += 1
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "i") { index += 1 }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "b") { index += 1 }
        guard index == bytes.count else { return nil }
        let value = number * multiplier
        guard value < 9.2e18 else { return nil }
        return Int64(value)
    }

    /// `time.ParseDuration`, in nanoseconds: `30s`, `1m30s`, `1.5h`, `300ms`, `0`.
    static func parseDuration(_ text: String) -> Int64? {
        var scalars = Array(text.unicodeScalars)
        var negative = false
        if let sign = scalars.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            scalars.removeFirst()
        }
        if scalars == ["0"] { return 0 }
        guard !scalars.isEmpty else { return nil }
        let units: [(String, Double)] = [
            ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 6e10), ("h", 3.6e12),
        ]
        var total: Double = 0
        var index = 0
        while index < scalars.count {
            let numberStart = index
            while index < scalars.count, scalars[index].properties.numericType == .decimal
                || scalars[index] == "." { index += 1 }
            let numberText = String(String.UnicodeScalarView(scalars[numberStart..<index]))
            guard !numberText.isEmpty, numberText != ".", let number = Double(numberText) else { return nil }
            let unitStart = index
            while index < scalars.count, scalars[index].properties.numericType != .decimal,
                  scalars[index] != "." { index += 1 }
            let unit = String(String.UnicodeScalarView(scalars[unitStart..<index]))
            guard let factor = units.first(where: { $0.0 == unit })?.1 else { return nil }
            total += number * factor
        }
        guard total < 9.2e18 else { return nil }
        return Int64(negative ? -total : total)
    }
}

/// "Did you mean ...?" hints, as BuildKit's `suggest` package gives them.
enum Suggestion {
    /// The closest candidate by edit distance (case-insensitive), if it is close enough.
    static func nearest(_ word: String, among candidates: [String]) -> String? {
        let target = Array(word.lowercased().unicodeScalars)
        guard !target.isEmpty, target.count <= 64 else { return nil }
        var best: (String, Int)? = nil
        for candidate in candidates.sorted() {
            let distance = editDistance(target, Array(candidate.lowercased().unicodeScalars))
            if distance == 0 { return candidate }
            if best == nil || distance < best!.1 { best = (candidate, distance) }
        }
        guard let best else { return nil }
        // Allow roughly one edit per three characters, at least one and at most three.
        let limit = Swift.min(3, Swift.max(1, target.count / 3))
        return best.1 <= limit ? best.0 : nil
    }

    /// ` (did you mean X?)` or an empty string.
    static func didYouMean(_ word: String, among candidates: [String]) -> String {
        nearest(word, among: candidates).map { " (did you mean \($0)?)" } ?? ""
    }

    private static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = Swift.min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
