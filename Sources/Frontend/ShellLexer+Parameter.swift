/// Parameter expansion: `$NAME`, `${NAME}` and the `${NAME<modifier>word}` forms.
extension ExpansionState {
    mutating func processDollar() throws(ExpansionError) -> String {
        index += 1
        guard peek == "{" else {
            let name = processName()
            if name.isEmpty { return "$" }
            if let value = variable(name, countsAsUse: true) { return value }
            return lexer.skipUnsetVariables ? "$" + name : ""
        }
        index += 1
        guard let first = peek else { throw ExpansionError(message: "syntax error: missing '}'") }
        if first == "{" || first == "}" || first == ":" {
            throw ExpansionError(message: "syntax error: bad substitution")
        }
        let name = processName()
        guard let modifier = next() else { throw ExpansionError(message: "syntax error: missing '}'") }
        if name.isEmpty { throw ExpansionError(message: "syntax error: bad substitution") }
        switch modifier {
        case "}":
            if let value = variable(name, countsAsUse: true) { return value }
            return lexer.skipUnsetVariables ? "${\(name)}" : ""
        case ":", "+", "-", "?", "#", "%":
            return try processModifier(name: name, first: modifier)
        case "/":
            return try processReplacement(name: name)
        default:
            throw ExpansionError(message: "unsupported modifier (\(modifier)) in substitution")
        }
    }

    /// `${N-w} ${N:-w} ${N+w} ${N:+w} ${N?w} ${N:?w} ${N#p} ${N##p} ${N%p} ${N%%p}`.
    private mutating func processModifier(name: String, first: Unicode.Scalar)
        throws(ExpansionError) -> String
    {
        var modifier = first
        var spelled = String(first)
        let colon = first == ":"
        if colon {
            guard let second = next() else { throw ExpansionError(message: "syntax error: missing '}'") }
            modifier = second
            spelled.unicodeScalars.append(second)
        }
        let isPattern = modifier == "#" || modifier == "%"
        guard "+-?#%".unicodeScalars.contains(modifier), !(colon && isPattern) else {
            throw ExpansionError(message: "unsupported modifier (\(spelled)) in substitution")
        }
        let ((word, _), _) = try process(stopAt: ["}"], rawEscapes: isPattern)
        let value = variable(name, countsAsUse: isPattern)
        if lexer.skipUnsetVariables, value == nil { return "${\(name)\(spelled)\(word)}" }
        let isSet = value != nil && !(colon && value!.isEmpty)
        switch modifier {
        case "-":
            return isSet ? value! : word
        case "+":
            return isSet ? word : ""
        case "?":
            guard let value else {
                throw ExpansionError(message: "\(name): \(word.isEmpty ? "is not allowed to be unset" : word)")
            }
            if colon, value.isEmpty {
                throw ExpansionError(message: "\(name): \(word.isEmpty ? "is not allowed to be empty" : word)")
            }
            return value
        default:
            var pattern = word
            var longest = false
            if pattern.unicodeScalars.first == modifier {
                longest = true
                pattern.unicodeScalars.removeFirst()
            }
            let compiled = try ShellPattern(pattern)
            let subject = Array((value ?? "").unicodeScalars)
            if modifier == "#" {
                guard let length = compiled.prefixMatch(in: subject, longest: longest) else {
                    return value ?? ""
                }
                return String(String.UnicodeScalarView(subject[length...]))
            }
            guard let length = compiled.suffixMatch(in: subject, longest: longest) else {
                return value ?? ""
            }
            return String(String.UnicodeScalarView(subject[..<(subject.count - length)]))
        }
    }

    /// `${N/pattern/replacement}` (first match) and `${N//pattern/replacement}` (every match).
    private mutating func processReplacement(name: String) throws(ExpansionError) -> String {
        let replaceAll = peek == "/"
        if replaceAll { index += 1 }
        let ((pattern, _), stop) = try process(stopAt: ["/", "}"], rawEscapes: true)
        var replacement = ""
        if stop == "/" {
            replacement = try process(stopAt: ["}"], rawEscapes: false).0.0
        }
        let value = variable(name, countsAsUse: true)
        if lexer.skipUnsetVariables, value == nil {
            return "${\(name)/\(replaceAll ? "/" : "")\(pattern)/\(replacement)}"
        }
        let compiled = try ShellPattern(pattern)
        let subject = Array((value ?? "").unicodeScalars)
        var output = String.UnicodeScalarView()
        var position = 0
        var replaced = false
        while position <= subject.count {
            if !(replaced && !replaceAll),
               let length = compiled.longestMatch(in: subject, at: position), length > 0 || !pattern.isEmpty {
                output.append(contentsOf: replacement.unicodeScalars)
                replaced = true
                if length == 0 {
                    if position < subject.count { output.append(subject[position]) }
                    position += 1
                } else {
                    position += length
                }
                continue
            }
            if position < subject.count { output.append(subject[position]) }
            position += 1
        }
        return String(output)
    }
}
