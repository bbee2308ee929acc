/// The low-level word splitting BuildKit's parser applies to a logical line before any
/// instruction-specific parsing: the keyword, the leading `--flags`, and quote-aware words.
struct CommandLineSplitter {
    /// The keyword, the flag words and where the remaining arguments start.
    struct Split: Sendable {
        var keyword: Token
        var flags: [Token]
        var arguments: Token
    }

    /// Splits `line[start..<end]` into keyword, flags and arguments, as `splitCommand` does.
    ///
    /// Leading and trailing whitespace is ignored; the keyword ends at the first whitespace.
    static func split(_ line: [UInt8], from start: Int = 0) -> Split {
        var lower = start
        var upper = line.count
        while lower < upper, line[lower].isASCIIWhitespace { lower += 1 }
        while upper > lower, line[upper - 1].isASCIIWhitespace { upper -= 1 }
        var keywordEnd = lower
        while keywordEnd < upper, !line[keywordEnd].isASCIIWhitespace { keywordEnd += 1 }
        let keyword = Token(text: String(decoding: line[lower..<keywordEnd], as: UTF8.self),
                            offset: lower)
        let (flags, argumentStart) = extractFlags(line, from: keywordEnd, to: upper)
        let arguments = Token(text: String(decoding: line[argumentStart..<upper], as: UTF8.self),
                              offset: argumentStart)
        return Split(keyword: keyword, flags: flags, arguments: arguments)
    }

    /// Reads leading words that start with `--`; a bare `--` ends the flags.
    ///
    /// Inside a flag word, quotes group characters and a backslash escapes the next byte,
    /// always with `\` whatever the escape directive says (as BuildKit does).
    static func extractFlags(_ line: [UInt8], from start: Int, to end: Int) -> ([Token], Int) {
        var flags: [Token] = []
        var position = start
        while true {
            while position < end, line[position].isASCIIWhitespace { position += 1 }
            guard position + 1 < end, line[position] == UInt8(ascii: "-"),
                  line[position + 1] == UInt8(ascii: "-") else { return (flags, position) }
            let wordStart = position
            var word: [UInt8] = []
            var quote: UInt8? = nil
            var blankAllowed = false
            while position < end {
                let byte = line[position]
                if let open = quote {
                    if byte == open {
                        quote = nil
                    } else if byte == UInt8(ascii: "\\") {
                        if position + 1 < end {
                            position += 1
                            word.append(line[position])
                        } else {
                            quote = nil
                        }
                    } else {
                        word.append(byte)
                    }
                } else if byte.isASCIIWhitespace {
                    break
                } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                    quote = byte
                    blankAllowed = true
                } else if byte == UInt8(ascii: "\\") {
                    if position + 1 < end {
                        position += 1
                        word.append(line[position])
                    }
                } else {
                    word.append(byte)
                }
                position += 1
            }
            if word == Array("--".utf8) { return (flags, position) }
            if blankAllowed || !word.isEmpty {
                flags.append(Token(text: String(decoding: word, as: UTF8.self), offset: wordStart))
            }
            if position >= end { return (flags, end) }
        }
    }

    /// Splits arguments into words, keeping quotes and escapes in the words, as BuildKit's
    /// `parseWords` does for `ENV`, `LABEL` and `ARG`.
    ///
    /// The escape character protects the next character (even a quote) outside quotes and
    /// inside double quotes; single quotes protect everything.
    static func quotedWords(_ text: String, escape: UInt8, baseOffset: Int) -> [Token] {
        let bytes = Array(text.utf8)
        var words: [Token] = []
        var word: [UInt8] = []
        var wordStart = 0
        var inWord = false
        var quote: UInt8? = nil
        var blankAllowed = false
        var index = 0
        func finishWord() {
            if blankAllowed || !word.isEmpty {
                words.append(Token(text: String(decoding: word, as: UTF8.self),
                                   offset: baseOffset + wordStart))
            }
            word.removeAll(keepingCapacity: true)
            blankAllowed = false
            inWord = false
        }
        while index < bytes.count {
            let byte = bytes[index]
            if !inWord {
                if byte.isASCIIWhitespace { index += 1; continue }
                inWord = true
                wordStart = index
            }
            if let open = quote {
                if byte == open { quote = nil }
                if byte == escape && open != UInt8(ascii: "'") {
                    if index + 1 == bytes.count { quote = nil; index += 1; continue }
                    word.append(byte)
                    index += 1
                }
                word.append(bytes[index])
                index += 1
                continue
            }
            if byte.isASCIIWhitespace {
                finishWord()
                index += 1
                continue
            }
            if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
                blankAllowed = true
            }
            if byte == escape {
                if index + 1 == bytes.count { index += 1; continue }
                word.append(byte)
                index += 1
            }
            word.append(bytes[index])
            index += 1
        }
        if inWord { finishWord() }
        return words
    }
}
