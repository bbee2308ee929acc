/// The build checks that need only the parsed instructions (casing, deprecated forms,
/// secrets in ARG/ENV, ...). Checks that need variable scopes live in ``BuildPlanner``.
public struct Linter: Sendable {
    public init() {}

    /// Warnings for `document`, in source order.
    public func lint(_ document: ParsedDockerfile) -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        warnings += casingWarnings(document.instructions)
        var stageInstructions: [[LocatedInstruction]] = [[]]
        for instruction in document.instructions {
            if case .from = instruction.instruction { stageInstructions.append([]) }
            stageInstructions[stageInstructions.count - 1].append(instruction)
            warnings += instructionWarnings(instruction)
        }
        for stage in stageInstructions.dropFirst() {
            warnings += repeatedInstructionWarnings(stage)
        }
        for (instruction, raw) in zip(document.instructions, document.rawInstructions) {
            warnings += descriptionWarnings(instruction, comments: raw.comments)
        }
        return warnings.sorted { ($0.location.startLine, $0.location.column) < ($1.location.startLine, $1.location.column) }
    }

    private func instructionWarnings(_ instruction: LocatedInstruction) -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        let location = instruction.location
        switch instruction.instruction {
        case .from(let from):
            if let written = from.writtenStageName, written != written.lowercased() {
                warnings.append(LintRule.stageNameCasing.warning(
                    "Stage name '\(written)' should be lowercase", at: location))
            }
            if let asKeyword = from.writtenAsKeyword, let style = Casing(instruction.writtenKeyword),
               let asStyle = Casing(asKeyword), style != asStyle {
                warnings.append(LintRule.fromAsCasing.warning(
                    "'\(asKeyword)' and '\(instruction.writtenKeyword)' keywords' casing do not match", at: location))
            }
            if let name = from.stageName, name == "scratch" || name == "context" {
                warnings.append(LintRule.reservedStageName.warning(
                    "'\(name)' is reserved and should not be used as a stage name", at: location))
            }
        case .cmd(let command), .entrypoint(let command):
            if command.command.isShellForm {
                let keyword = instruction.instruction.keyword
                warnings.append(LintRule.jsonArgsRecommended.warning(
                    "JSON arguments recommended for \(keyword) to prevent unintended behavior related to OS signals",
                    at: location))
            }
        case .maintainer:
            warnings.append(LintRule.maintainerDeprecated.warning(
                "Maintainer instruction is deprecated in favor of using label", at: location))
        case .env(let env):
            if env.usesLegacyFormat {
                warnings.append(LintRule.legacyKeyValueFormat.warning(
                    "\"ENV key=value\" should be used instead of legacy \"ENV key value\" format", at: location))
            }
            for pair in env.pairs where Self.looksSecret(pair.key) {
                warnings.append(LintRule.secretsUsedInArgOrEnv.warning(
                    "Do not use ARG or ENV instructions for sensitive data (ENV \"\(pair.key)\")", at: location))
            }
        case .label(let label) where label.usesLegacyFormat:
            warnings.append(LintRule.legacyKeyValueFormat.warning(
                "\"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format", at: location))
        case .arg(let arg):
            for declaration in arg.declarations where Self.looksSecret(declaration.name) {
                warnings.append(LintRule.secretsUsedInArgOrEnv.warning(
                    "Do not use ARG or ENV instructions for sensitive data (ARG \"\(declaration.name)\")",
                    at: location))
            }
        default:
            break
        }
        return warnings
    }

    /// `MultipleInstructionsDisallowed`: only the last CMD, ENTRYPOINT or HEALTHCHECK counts.
    private func repeatedInstructionWarnings(_ stage: [LocatedInstruction]) -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        for keyword in ["CMD", "ENTRYPOINT", "HEALTHCHECK"] {
            let matching = stage.filter { $0.instruction.keyword == keyword }
            for instruction in matching.dropLast() {
                warnings.append(LintRule.multipleInstructionsDisallowed.warning(
                    "Multiple \(keyword) instructions should not be used in the same stage because only the last one will be used",
                    at: instruction.location))
            }
        }
        return warnings
    }

    /// `InvalidDefinitionDescription` (experimental in BuildKit): the comment right above an
    /// `ARG` or a named `FROM` documents it (`docker buildx build --call outline` shows it), so
    /// its first word must be the name it documents.
    private func descriptionWarnings(_ instruction: LocatedInstruction, comments: [String]) -> [Diagnostic] {
        let keys: [String]
        switch instruction.instruction {
        case .arg(let arg): keys = arg.declarations.map(\.name)
        case .from(let from): keys = from.stageName.map { [$0] } ?? []
        default: return []
        }
        guard let last = comments.last, !keys.isEmpty else { return [] }
        let firstWord = String(last.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)[0])
        guard !keys.contains(firstWord) else { return [] }
        let example = keys.count == 1 ? keys[0] : "<arg_key>"
        return [LintRule.invalidDefinitionDescription.warning(
            "Comment for \(instruction.instruction.keyword) should follow the format: `# \(example) <description>`",
            at: instruction.location)]
    }

    /// `ConsistentInstructionCasing`: keywords should all be upper or all lower case.
    private func casingWarnings(_ instructions: [LocatedInstruction]) -> [Diagnostic] {
        var upper = 0
        var lower = 0
        for instruction in instructions {
            switch Casing(instruction.writtenKeyword) {
            case .upper: upper += 1
            case .lower: lower += 1
            case nil: break
            }
        }
        let majority: Casing = lower > upper ? .lower : .upper
        return instructions.compactMap { instruction in
            let keyword = instruction.writtenKeyword
            switch Casing(keyword) {
            case nil:
                return LintRule.consistentInstructionCasing.warning(
                    "Command '\(keyword)' should be consistently cased", at: instruction.location)
            case .some(let casing) where casing != majority:
                return LintRule.consistentInstructionCasing.warning(
                    "Command '\(keyword)' should match the case of the command majority (\(majority == .upper ? "uppercase" : "lowercase"))",
                    at: instruction.location)
            default:
                return nil
            }
        }
    }

    /// BuildKit's heuristic: a name part (split on `_`) that is a secret word, unless a part
    /// says `public`.
    static func looksSecret(_ name: String) -> Bool {
        let secretWords: Set<String> = ["apikey", "auth", "credential", "credentials", "key", "password",
                                        "pword", "passwd", "secret", "token"]
        let parts = name.lowercased().split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        if parts.contains("public") { return false }
        return parts.contains { secretWords.contains($0) }
    }
}

/// Whether a word is all upper or all lower case (nil when mixed).
enum Casing: Equatable {
    case upper, lower

    init?(_ word: String) {
        if word == word.uppercased() {
            self = .upper
        } else if word == word.lowercased() {
            self = .lower
        } else {
            return nil
        }
    }
}
