/// `ENV`, `LABEL`, `ARG`, `EXPOSE` and `VOLUME`: instructions that set image metadata or
/// build variables.
extension InstructionParser {
    /// BuildKit's `parseNameVal`: `KEY value` (legacy, one pair) when the first word has no
    /// `=`, otherwise `KEY=value ...`.
    func parseKeyValues(_ context: ArgumentContext, keyword: String)
        throws(InstructionFailure) -> KeyValueInstruction
    {
        _ = try context.flags([:])
        let words = CommandLineSplitter.quotedWords(context.arguments.text, escape: context.raw.escape,
                                                    baseOffset: context.arguments.offset)
        guard let first = words.first else {
            throw InstructionFailure("\(keyword) requires at least one argument", at: context.arguments.offset)
        }
        if !first.text.contains("=") {
            let bytes = Array(context.arguments.text.utf8)
            var keyEnd = 0
            while keyEnd < bytes.count, !bytes[keyEnd].isASCIIWhitespace { keyEnd += 1 }
            var valueStart = keyEnd
            while valueStart < bytes.count, bytes[valueStart].isASCIIWhitespace { valueStart += 1 }
            guard valueStart < bytes.count else {
                throw InstructionFailure("\(keyword) must have two arguments: \(keyword) KEY=VALUE",
                                         at: context.arguments.offset)
            }
            let key = String(decoding: bytes[0..<keyEnd], as: UTF8.self)
            let value = String(decoding: bytes[valueStart...], as: UTF8.self)
            return KeyValueInstruction(pairs: [KeyValuePair(key: key, value: value)], usesLegacyFormat: true)
        }
        var pairs: [KeyValuePair] = []
        for word in words {
            guard let equals = word.text.firstIndex(of: "=") else {
                throw InstructionFailure(
                    "Syntax error - can't find = in \"\(word.text)\". Must be of the form: name=value",
                    at: word.offset)
            }
            let key = String(word.text[..<equals])
            if key.isEmpty {
                throw InstructionFailure("\(keyword) names can not be blank", at: word.offset)
            }
            pairs.append(KeyValuePair(key: key, value: String(word.text[word.text.index(after: equals)...])))
        }
        return KeyValueInstruction(pairs: pairs, usesLegacyFormat: false)
    }

    func parseArg(_ context: ArgumentContext) throws(InstructionFailure) -> ArgInstruction {
        _ = try context.flags([:])
        let words = CommandLineSplitter.quotedWords(context.arguments.text, escape: context.raw.escape,
                                                    baseOffset: context.arguments.offset)
        guard !words.isEmpty else {
            throw InstructionFailure("ARG requires at least one argument", at: context.arguments.offset)
        }
        var declarations: [ArgDeclaration] = []
        for word in words {
            if let equals = word.text.firstIndex(of: "=") {
                let name = String(word.text[..<equals])
                guard !name.isEmpty else { throw InstructionFailure("ARG names can not be blank", at: word.offset) }
                declarations.append(ArgDeclaration(
                    name: name, defaultValue: String(word.text[word.text.index(after: equals)...])))
            } else {
                declarations.append(ArgDeclaration(name: word.text, defaultValue: nil))
            }
        }
        return ArgInstruction(declarations: declarations)
    }

    func parseExpose(_ context: ArgumentContext) throws(InstructionFailure) -> ExposeInstruction {
        _ = try context.flags([:])
        let ports = context.arguments.text.whitespaceTokens().map(\.text)
        guard !ports.isEmpty else {
            throw InstructionFailure("EXPOSE requires at least one argument", at: context.arguments.offset)
        }
        return ExposeInstruction(ports: ports)
    }

    func parseVolume(_ context: ArgumentContext) throws(InstructionFailure) -> VolumeInstruction {
        _ = try context.flags([:])
        let (words, _) = try context.wordList()
        guard !words.isEmpty else {
            throw InstructionFailure("VOLUME requires at least one argument", at: context.arguments.offset)
        }
        var paths: [String] = []
        for word in words {
            let path = word.text.trimmingASCIIWhitespace()
            guard !path.isEmpty else {
                throw InstructionFailure("VOLUME specified can not be an empty string", at: word.offset)
            }
            paths.append(path)
        }
        return VolumeInstruction(paths: paths)
    }
}
