/// Docker's word expansion: the subset of POSIX shell expansion the Dockerfile frontend
/// applies to instruction arguments (quotes, escapes and `$VAR` parameter expansion).
///
/// Expansion never runs commands: `$(...)` and arithmetic are left to the build's shell, which
/// is why `RUN`, `CMD` and `ENTRYPOINT` are not expanded here at all.
struct ShellLexer: Sendable {
    /// The escape character from the `# escape=` directive.
    var escape: Unicode.Scalar = "\\"
    /// Keep quote characters in the result (used to detect quoted heredoc delimiters).
    var rawQuotes = false
    /// Keep escape characters in the result.
    var rawEscapes = false
    /// Leave references to unset variables as written instead of expanding them to "".
    var skipUnsetVariables = false

    /// What one expansion produced.
    struct Expansion: Sendable, Equatable {
        /// The expanded word.
        var text: String
        /// The expansion split into words as the shell would (unquoted whitespace separates).
        var words: [String]
        /// Variables that were referenced and defined.
        var matched: Set<String>
        /// Variables referenced without a default (`$X`, `${X}`, `${X#p}`, ...) that were unset.
        var unmatched: Set<String>
    }

    /// Expands `word`, looking variables up with `lookup`.
    func expand(_ word: String, lookup: (String) -> String?) throws(ExpansionError) -> Expansion {
        let scalars = Array(word.unicodeScalars)
        let result: Result<Expansion, ExpansionError> = withoutActuallyEscaping(lookup) { lookup in
            var state = ExpansionState(lexer: self, scalars: scalars, lookup: lookup)
            do throws(ExpansionError) {
                let ((text, words), _) = try state.process(stopAt: [], rawEscapes: rawEscapes)
                return .success(Expansion(text: text, words: words, matched: state.matched,
                                          unmatched: state.unmatched))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// A malformed expansion such as `${X` or `${:}`.
struct ExpansionError: Error, Sendable, Equatable {
    var message: String
}

/// Accumulates shell words the way Docker's lexer does: characters from unquoted text and
/// unquoted expansions split on whitespace; quoted text never does.
struct WordCollector {
    private(set) var words: [String] = []
    private var current = String.UnicodeScalarView()
    private var inWord = false

    mutating func addCharacter(_ scalar: Unicode.Scalar) {
        if scalar.properties.isWhitespace {
            if inWord, !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
                inWord = false
            }
        } else {
            addRawCharacter(scalar)
        }
    }

    mutating func addRawCharacter(_ scalar: Unicode.Scalar) {
        current.append(scalar)
        inWord = true
    }

    mutating func addString(_ text: String) {
        for scalar in text.unicodeScalars { addCharacter(scalar) }
    }

    mutating func addRawString(_ text: String) {
        current.append(contentsOf: text.unicodeScalars)
        inWord = true
    }

    mutating func finish() -> [String] {
        if !current.isEmpty {
            words.append(String(current))
            current = String.UnicodeScalarView()
            inWord = false
        }
        return words
    }
}

/// The cursor and bookkeeping of one expansion.
struct ExpansionState {
    let lexer: ShellLexer
    let scalars: [Unicode.Scalar]
    let lookup: (String) -> String?
    var index = 0
    var matched: Set<String> = []
    var unmatched: Set<String> = []

    init(lexer: ShellLexer, scalars: [Unicode.Scalar], lookup: @escaping (String) -> String?) {
        self.lexer = lexer
        self.scalars = scalars
        self.lookup = lookup
    }

    var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    mutating func next() -> Unicode.Scalar? {
        guard index < scalars.count else { return nil }
        defer { index += 1 }
        return scalars[index]
    }

    /// Processes until one of `stops` (consumed) or the end; returns the text, its words and
    /// the stop character that ended it (nil at end of input).
    mutating func process(stopAt stops: Set<Unicode.Scalar>, rawEscapes: Bool)
        throws(ExpansionError) -> ((String, [String]), Unicode.Scalar?)
    {
        var result = String.UnicodeScalarView()
        var words = WordCollector()
        while let scalar = peek {
            if stops.contains(scalar) {
                index += 1
                return ((String(result), words.finish()), scalar)
            }
            switch scalar {
            case "'":
                let text = try processSingleQuote()
                result.append(contentsOf: text.unicodeScalars)
                words.addRawString(text)
            case "\"":
                let text = try processDoubleQuote()
                result.append(contentsOf: text.unicodeScalars)
                words.addRawString(text)
            case "$":
                let text = try processDollar()
                result.append(contentsOf: text.unicodeScalars)
                words.addString(text)
            default:
                index += 1
                var character = scalar
                if scalar == lexer.escape {
                    if rawEscapes {
                        words.addRawCharacter(scalar)
                        result.append(scalar)
                    }
                    guard let escaped = next() else { break }
                    character = escaped
                    words.addRawCharacter(escaped)
                } else {
                    words.addCharacter(scalar)
                }
                result.append(character)
            }
        }
        if !stops.isEmpty { throw ExpansionError(message: "syntax error: missing '}'") }
        return ((String(result), words.finish()), nil)
    }

    /// Everything up to the next `'` is literal; there is no escape inside single quotes.
    mutating func processSingleQuote() throws(ExpansionError) -> String {
        var result = String.UnicodeScalarView()
        let open = next()!
        if lexer.rawQuotes { result.append(open) }
        while true {
            guard let scalar = next() else {
                throw ExpansionError(message: "unexpected end of statement while looking for matching single-quote")
            }
            if scalar == "'" {
                if lexer.rawQuotes { result.append(scalar) }
                return String(result)
            }
            result.append(scalar)
        }
    }

    /// Inside double quotes `$` still expands and the escape character only escapes
    /// `"`, `$` and itself; any other escape is kept literally.
    mutating func processDoubleQuote() throws(ExpansionError) -> String {
        var result = String.UnicodeScalarView()
        let open = next()!
        if lexer.rawQuotes { result.append(open) }
        while true {
            guard let scalar = peek else {
                throw ExpansionError(message: "unexpected end of statement while looking for matching double-quote")
            }
            if scalar == "\"" {
                index += 1
                if lexer.rawQuotes { result.append(scalar) }
                return String(result)
            }
            if scalar == "$" {
                result.append(contentsOf: try processDollar().unicodeScalars)
                continue
            }
            index += 1
            if scalar == lexer.escape {
                guard let following = peek else { continue }
                if following == "\"" || following == "$" || following == lexer.escape {
                    if lexer.rawEscapes { result.append(scalar) }
                    index += 1
                    result.append(following)
                    continue
                }
            }
            result.append(scalar)
        }
    }

    /// Reads a variable name: letters, digits and `_`; a leading digit run or one special
    /// parameter character (`$@*#?-!0`) is a complete name.
    mutating func processName() -> String {
        var name = String.UnicodeScalarView()
        while let scalar = peek {
            if name.isEmpty, scalar.properties.numericType == .decimal {
                while let digit = peek, digit.properties.numericType == .decimal {
                    name.append(digit)
                    index += 1
                }
                return String(name)
            }
            if name.isEmpty, "@*#?-$!0".unicodeScalars.contains(scalar) {
                index += 1
                return String(scalar)
            }
            guard scalar.isLetterLike || scalar.properties.numericType == .decimal || scalar == "_"
            else { break }
            name.append(scalar)
            index += 1
        }
        return String(name)
    }

    /// Looks a variable up and records whether it was found.
    mutating func variable(_ name: String, countsAsUse: Bool) -> String? {
        let value = lookup(name)
        if value != nil {
            matched.insert(name)
        } else if countsAsUse {
            unmatched.insert(name)
        }
        return value
    }
}

extension Unicode.Scalar {
    /// Go's `unicode.IsLetter`: any letter category.
    var isLetterLike: Bool {
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return true
        default:
            return false
        }
    }
}
