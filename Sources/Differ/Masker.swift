import DifferenceModel
import Foundation

/// Hides one kind of volatile value in a text, returning what it hid.
struct Masker: @unchecked Sendable {
    let kind: CauseKind
    private let expression: NSRegularExpression?
    private let literals: [[String]]
    private let accept: @Sendable (String) -> Bool

    private init(kind: CauseKind, pattern: String? = nil, literals: [[String]] = [],
                 accept: @escaping @Sendable (String) -> Bool = { _ in true }) {
        self.kind = kind
        self.expression = pattern.flatMap { try? NSRegularExpression(pattern: $0) }
        self.literals = literals
        self.accept = accept
    }

    /// Recorded strings (hostnames, build paths): each side's own values are hidden on that side.
    static func literal(_ kind: CauseKind, a: [String], b: [String]) -> Masker {
        let usable = { (values: [String]) in values.filter { $0.count >= 3 }.sorted { $0.count > $1.count } }
        return Masker(kind: kind, literals: [usable(a), usable(b)])
    }

    static let timestamp = Masker(kind: .timestamp, pattern: [
        #"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"#,
        #"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),?\s+)?(?:\d{1,2}\s+)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\s+(?:\d{1,2},?\s+)?(?:\d{4}\s+)?\d{1,2}:\d{2}(?::\d{2})?(?:\s+[A-Z]{2,5}|\s+[+-]\d{4})?(?:\s+\d{4})?"#,
        #"\b\d{1,2}/\d{1,2}/\d{2,4}\b"#,
        #"\b\d{2}:\d{2}:\d{2}\b"#,
        #"\b1\d{9}(?:\d{3})?\b"#,
        #"\b20\d{6}T?\d{6}\b"#,
    ].joined(separator: "|"))

    static let locale = Masker(kind: .locale, pattern: [
        #"\b[a-z]{2}_[A-Z]{2}(?:\.(?:UTF-8|utf8|ISO-8859-\d+))?\b"#,
        #"\b(?:UTC|GMT|CET|CEST|EET|EEST|WET|WEST|BST|IST|JST|KST|AEST|AEDT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|HST|AKST)\b"#,
        #"(?<=\s)[+-](?:0\d|1[0-4])[0-5]\d\b"#,
        #"\b(?:Africa|America|Asia|Australia|Europe|Pacific|Etc)/[A-Za-z_]+\b"#,
    ].joined(separator: "|"))

    static let pid = Masker(kind: .pid, pattern: #"(?i)(?<=\bpid[ :=#]{0,3})\d+|(?<=/proc/)\d+|(?<=\[)\d{2,7}(?=\])"#)

    static let random = Masker(
        kind: .randomness,
        pattern: #"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\b[0-9a-fA-F]{16,}\b|[A-Za-z0-9+/_-]{20,}={0,2}"#,
        accept: { token in
            // A base64-looking word must mix digits and letters to count (not a long identifier).
            let hasDigit = token.contains(where: \.isNumber)
            let hasLetter = token.contains(where: \.isLetter)
            return hasDigit && hasLetter || token.allSatisfy(\.isHexDigit)
        })

    /// The text with every match replaced by a placeholder, and the matches in order.
    func apply(_ text: String, side: Int) -> (String, [String]) {
        if let expression {
            let ns = text as NSString
            var output = ""
            var tokens: [String] = []
            var last = 0
            for match in expression.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                let token = ns.substring(with: match.range)
                guard accept(token) else { continue }
                output += ns.substring(with: NSRange(location: last, length: match.range.location - last))
                output += "\u{1}" + kind.rawValue + "\u{1}"
                tokens.append(token)
                last = match.range.location + match.range.length
            }
            guard !tokens.isEmpty else { return (text, []) }
            output += ns.substring(from: last)
            return (output, tokens)
        }
        var output = text
        var tokens: [String] = []
        for literal in literals[side] where output.contains(literal) {
            let count = output.components(separatedBy: literal).count - 1
            tokens += Array(repeating: "\u{1}" + kind.rawValue, count: count)
            output = output.replacingOccurrences(of: literal, with: "\u{1}" + kind.rawValue + "\u{1}")
        }
        // Literal tokens are compared by position, not value: A's hostname and B's are meant to differ.
        return (output, tokens.isEmpty ? [] : tokens + [literals[side].first ?? ""])
    }

    func cause(_ tokensA: [String], _ tokensB: [String], _ classifier: CauseClassifier) -> Cause {
        let sampleA = tokensA.first(where: { !tokensB.contains($0) }) ?? tokensA.first ?? ""
        let sampleB = tokensB.first(where: { !tokensA.contains($0) }) ?? tokensB.first ?? ""
        switch kind {
        case .hostname, .buildPath:
            let valueA = literals[0].first ?? "?"
            let valueB = literals[1].first ?? "?"
            return Cause(kind, .certain, evidence: "A has its recorded \(kind.label) '\(valueA)' where B has '\(valueB)'")
        case .timestamp:
            return Cause(.timestamp, .likely, evidence: "'\(sampleA)' vs '\(sampleB)'" + classifier.dateEvidence(sampleA, sampleB))
        default:
            let count = max(tokensA.count, tokensB.count)
            return Cause(kind, .likely, evidence: "'\(Self.clip(sampleA))' vs '\(Self.clip(sampleB))'"
                         + (count > 1 ? " (\(count) tokens)" : ""))
        }
    }

    static func clip(_ text: String) -> String {
        text.count > 60 ? String(text.prefix(57)) + "…" : text
    }
}

extension CauseClassifier {
    /// How a date-looking token relates to SOURCE_DATE_EPOCH and the build times, when it parses.
    func dateEvidence(_ tokenA: String, _ tokenB: String) -> String {
        let valueA = Self.parseDate(tokenA)
        let valueB = Self.parseDate(tokenB)
        var notes: [String] = []
        let epoch = a.sourceDateEpoch ?? b.sourceDateEpoch
        if let epoch, valueA == epoch { notes.append("A equals SOURCE_DATE_EPOCH") }
        if let epoch, valueB == epoch { notes.append("B equals SOURCE_DATE_EPOCH") }
        for (value, side, name) in [(valueA, a, "A"), (valueB, b, "B")] {
            guard let value, let start = side.startedAt else { continue }
            let distance = abs(Double(value) - start)
            if distance < 86_400 { notes.append("\(name) is \(Int(distance)) s from its build start") }
        }
        return notes.isEmpty ? "" : "; " + notes.joined(separator: ", ")
    }

    /// Seconds since the epoch for epoch numbers and ISO 8601 dates; nil otherwise.
    static func parseDate(_ token: String) -> Int64? {
        if token.count == 10, let seconds = Int64(token) { return seconds }
        if token.count == 13, let millis = Int64(token) { return millis / 1000 }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds],
                                                      [.withFullDate, .withSpaceBetweenDateAndTime, .withFullTime]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: token.replacingOccurrences(of: " ", with: "T")) {
                return Int64(date.timeIntervalSince1970)
            }
        }
        return nil
    }
}
