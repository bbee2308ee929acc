/// A here-document attached to `RUN`, `COPY` or `ADD` (`<<EOF`, `<<-EOF`, `3<<EOF`).
public struct Heredoc: Sendable, Hashable {
    /// The delimiter word with any quotes removed.
    public var name: String
    /// Whether variables in the body are expanded; false when any part of the delimiter was
    /// quoted (`<<'EOF'`, `<<"EOF"`, `<<E"O"F`).
    public var expands: Bool
    /// `<<-`: leading tabs are removed from every body line and from the delimiter line.
    public var stripsLeadingTabs: Bool
    /// The file descriptor written before `<<` (`3<<EOF`), 0 when none was written.
    public var fileDescriptor: Int
    /// The body exactly as written, each line with its original line ending.
    public var rawContent: String
    /// 1-based line of the first body line (equal to `delimiterLine` for an empty body).
    public var firstLine: Int
    /// 1-based line of the closing delimiter.
    public var delimiterLine: Int

    public init(name: String, expands: Bool, stripsLeadingTabs: Bool, fileDescriptor: Int,
                rawContent: String, firstLine: Int, delimiterLine: Int) {
        self.name = name
        self.expands = expands
        self.stripsLeadingTabs = stripsLeadingTabs
        self.fileDescriptor = fileDescriptor
        self.rawContent = rawContent
        self.firstLine = firstLine
        self.delimiterLine = delimiterLine
    }

    /// The body as the build sees it: with `<<-`, leading tabs removed from every line.
    public var content: String {
        guard stripsLeadingTabs else { return rawContent }
        var output: [UInt8] = []
        var atLineStart = true
        for byte in rawContent.utf8 {
            if atLineStart && byte == 0x09 { continue }
            atLineStart = byte == 0x0A
            output.append(byte)
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// Recognises heredoc words on an instruction line.
enum HeredocDetector {
    /// The heredocs a line opens, in order, as BuildKit finds them: the line is split into
    /// shell words (quotes and escapes kept) and every word of the form `[n]<<[-]WORD` counts.
    static func heredocs(in line: String) throws(ExpansionError) -> [(name: String, expands: Bool,
                                                                       chomp: Bool, fd: Int)] {
        var lexer = ShellLexer()
        lexer.rawQuotes = true
        lexer.rawEscapes = true
        // BuildKit ignores lexing errors here: an unbalanced quote simply yields fewer words.
        let words = (try? lexer.expand(line) { _ in "" })?.words ?? []
        var found: [(String, Bool, Bool, Int)] = []
        for word in words {
            if let heredoc = try parse(word) { found.append(heredoc) }
        }
        return found
    }

    /// Parses one word matching `^(\d*)<<(-?)([^<]*)$`.
    static func parse(_ word: String) throws(ExpansionError) -> (String, Bool, Bool, Int)? {
        let bytes = Array(word.utf8)
        var index = 0
        while index < bytes.count, bytes[index].isASCIIDigit { index += 1 }
        let digits = bytes[0..<index]
        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "<"),
              bytes[index + 1] == UInt8(ascii: "<") else { return nil }
        index += 2
        var chomp = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            chomp = true
            index += 1
        }
        let rest = bytes[index...]
        guard !rest.isEmpty, !rest.contains(UInt8(ascii: "<")) else { return nil }
        let restText = String(decoding: rest, as: UTF8.self)
        var lexer = ShellLexer()
        lexer.skipUnsetVariables = true
        let plain = try lexer.expand(restText) { _ in nil }.words
        guard plain.count == 1 else { return nil }
        lexer.rawQuotes = true
        let raw = try lexer.expand(restText) { _ in nil }.words
        guard raw.count == 1 else {
            throw ExpansionError(message: "internal lexing of heredoc produced inconsistent results: \(restText)")
        }
        func quoteCount(_ text: String) -> Int { text.utf8.filter { $0 == 0x22 || $0 == 0x27 }.count }
        let expands = quoteCount(plain[0]) == quoteCount(raw[0])
        let fd = digits.isEmpty ? 0 : Int(String(decoding: digits, as: UTF8.self)) ?? 0
        return (plain[0], expands, chomp, fd)
    }
}
