/// Turns ``RawInstruction``s into typed ``LocatedInstruction``s, following BuildKit's
/// `instructions.Parse`: per-instruction argument syntax, flags and arity.
///
/// Nothing is expanded here; see ``BuildPlanner``.
public struct InstructionParser: Sendable {
    public init() {}

    /// Parses one instruction, or returns an error diagnostic located at the offending text.
    public func parse(_ raw: RawInstruction) -> Result<LocatedInstruction, Diagnostic> {
        do throws(InstructionFailure) {
            let instruction = try parseCommand(
                keyword: Token(text: raw.keyword, offset: raw.keywordOffset), flags: raw.flagTokens,
                arguments: raw.argumentToken, raw: raw)
            return .success(LocatedInstruction(instruction: instruction, writtenKeyword: raw.keyword,
                                               original: raw.original, location: raw.location))
        } catch {
            return .failure(raw.diagnostic(for: error))
        }
    }

    /// Parses `keyword flags arguments`; also used for `ONBUILD` triggers.
    func parseCommand(keyword: Token, flags: [Token], arguments: Token, raw: RawInstruction)
        throws(InstructionFailure) -> Instruction
    {
        let context = ArgumentContext(flags: flags, arguments: arguments, raw: raw)
        switch keyword.text.lowercased() {
        case "from": return .from(try parseFrom(context))
        case "run": return .run(try parseRun(context))
        case "cmd":
            _ = try context.flags([:])
            return .cmd(CommandInstruction(command: try parseCommandForm(context)))
        case "entrypoint":
            _ = try context.flags([:])
            return .entrypoint(CommandInstruction(command: try parseCommandForm(context)))
        case "shell": return .shell(try parseShell(context))
        case "healthcheck": return .healthcheck(try parseHealthcheck(context))
        case "env": return .env(try parseKeyValues(context, keyword: "ENV"))
        case "label": return .label(try parseKeyValues(context, keyword: "LABEL"))
        case "arg": return .arg(try parseArg(context))
        case "expose": return .expose(try parseExpose(context))
        case "volume": return .volume(try parseVolume(context))
        case "copy": return .copy(try parseCopy(context))
        case "add": return .add(try parseAdd(context))
        case "user": return .user(try parseSingleValue(context, keyword: "USER"))
        case "workdir": return .workdir(try parseSingleValue(context, keyword: "WORKDIR"))
        case "stopsignal": return .stopSignal(try parseSingleValue(context, keyword: "STOPSIGNAL"))
        case "maintainer": return .maintainer(try parseSingleValue(context, keyword: "MAINTAINER"))
        case "onbuild": return .onbuild(try parseOnbuild(context))
        default:
            let expected = Suggestion.nearest(keyword.text, among: Instruction.allKeywords)
                .map { " (did you mean \($0)?)" }
                ?? "; expected one of \(Instruction.allKeywords.joined(separator: ", "))"
            throw InstructionFailure("unknown instruction: \(keyword.text)\(expected)", at: keyword.offset)
        }
    }

    private func parseFrom(_ context: ArgumentContext) throws(InstructionFailure) -> FromInstruction {
        let flags = try context.flags(["platform": .string])
        let words = context.arguments.text.whitespaceTokens(baseOffset: context.arguments.offset)
        if words.count == 3, words[1].text.lowercased() == "as" {
            let name = words[2].text.lowercased()
            guard isValidStageName(name) else {
                throw InstructionFailure(
                    "invalid name for build stage: \"\(words[2].text)\", name can't start with a number or contain symbols",
                    at: words[2].offset)
            }
            return FromInstruction(image: words[0].text, stageName: name, writtenStageName: words[2].text,
                                   writtenAsKeyword: words[1].text, platform: flags.string("platform"))
        }
        guard words.count == 1 else {
            throw InstructionFailure("FROM requires either one or three arguments: FROM [--platform=P] IMAGE [AS NAME]",
                                     at: words.first?.offset)
        }
        return FromInstruction(image: words[0].text, stageName: nil, writtenStageName: nil,
                               writtenAsKeyword: nil, platform: flags.string("platform"))
    }

    /// `^[a-z][a-z0-9-_.]*$`.
    private func isValidStageName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z") else { return false }
        return bytes.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0.isASCIIDigit
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    private func parseSingleValue(_ context: ArgumentContext, keyword: String)
        throws(InstructionFailure) -> SingleValueInstruction
    {
        // MAINTAINER and STOPSIGNAL don't parse flags in BuildKit, but a `--x` word there is
        // still extracted as a flag by the line parser, so reject it the same way.
        _ = try context.flags([:])
        guard !context.arguments.text.isEmpty else {
            throw InstructionFailure("\(keyword) requires exactly one argument", at: context.arguments.offset)
        }
        return SingleValueInstruction(value: context.arguments.text)
    }

    private func parseOnbuild(_ context: ArgumentContext) throws(InstructionFailure) -> OnbuildInstruction {
        _ = try context.flags([:])
        guard !context.arguments.text.isEmpty else {
            throw InstructionFailure("ONBUILD requires at least one argument", at: context.arguments.offset)
        }
        let logical = Array(context.raw.original.utf8)
        let split = CommandLineSplitter.split(logical, from: context.arguments.offset)
        switch split.keyword.text.uppercased() {
        case "ONBUILD":
            throw InstructionFailure("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", at: split.keyword.offset)
        case "MAINTAINER", "FROM":
            throw InstructionFailure("\(split.keyword.text.uppercased()) isn't allowed as an ONBUILD trigger",
                                     at: split.keyword.offset)
        default:
            break
        }
        let trigger = try parseCommand(keyword: split.keyword, flags: split.flags, arguments: split.arguments,
                                       raw: context.raw)
        var expression = String(decoding: logical[split.keyword.offset...], as: UTF8.self)
        for heredoc in context.raw.heredocs {
            expression += "\n" + heredoc.rawContent + heredoc.name
        }
        return OnbuildInstruction(expression: expression, trigger: trigger)
    }
}

/// The pieces of one instruction that the per-instruction parsers read.
struct ArgumentContext {
    var flags: [Token]
    var arguments: Token
    var raw: RawInstruction

    /// Parses the flags against the instruction's declared set.
    func flags(_ declared: [String: FlagSet.Kind]) throws(InstructionFailure) -> FlagSet {
        var set = FlagSet(declared)
        try set.parse(flags)
        return set
    }

    /// BuildKit's `parseMaybeJSON`: a JSON string array, else the text as shell form.
    func commandForm() throws(InstructionFailure) -> CommandForm {
        switch JSONStringArray.parse(arguments.text) {
        case .strings(let words): return .exec(words)
        case .notAllStrings: throw InstructionFailure(JSONStringArray.notAllStringsMessage, at: arguments.offset)
        case .notJSON: return .shell(arguments.text)
        }
    }

    /// BuildKit's `parseMaybeJSONToList`: a JSON string array, else whitespace-separated words.
    func wordList() throws(InstructionFailure) -> (words: [Token], isJSON: Bool) {
        switch JSONStringArray.parse(arguments.text) {
        case .strings(let words):
            return (words.map { Token(text: $0, offset: arguments.offset) }, true)
        case .notAllStrings:
            throw InstructionFailure(JSONStringArray.notAllStringsMessage, at: arguments.offset)
        case .notJSON:
            return (arguments.text.whitespaceTokens(baseOffset: arguments.offset), false)
        }
    }
}
