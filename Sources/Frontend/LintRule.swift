/// The build checks Reprise reports as warnings, named as BuildKit names them so that
/// `# check=skip=...` directives written for BuildKit work unchanged.
public enum LintRule: String, Sendable, CaseIterable {
    case stageNameCasing = "StageNameCasing"
    case fromAsCasing = "FromAsCasing"
    case noEmptyContinuation = "NoEmptyContinuation"
    case consistentInstructionCasing = "ConsistentInstructionCasing"
    case duplicateStageName = "DuplicateStageName"
    case reservedStageName = "ReservedStageName"
    case jsonArgsRecommended = "JSONArgsRecommended"
    case maintainerDeprecated = "MaintainerDeprecated"
    case undefinedArgInFrom = "UndefinedArgInFrom"
    case workdirRelativePath = "WorkdirRelativePath"
    case undefinedVar = "UndefinedVar"
    case multipleInstructionsDisallowed = "MultipleInstructionsDisallowed"
    case legacyKeyValueFormat = "LegacyKeyValueFormat"
    case redundantTargetPlatform = "RedundantTargetPlatform"
    case secretsUsedInArgOrEnv = "SecretsUsedInArgOrEnv"
    case invalidDefaultArgInFrom = "InvalidDefaultArgInFrom"
    case fromPlatformFlagConstDisallowed = "FromPlatformFlagConstDisallowed"
    case exposeProtoCasing = "ExposeProtoCasing"
    case exposeInvalidFormat = "ExposeInvalidFormat"
    case invalidBaseImagePlatform = "InvalidBaseImagePlatform"
    case copyIgnoredFile = "CopyIgnoredFile"
    case invalidDefinitionDescription = "InvalidDefinitionDescription"

    /// BuildKit's experimental checks run only when `# check=experimental=` names them.
    public var isExperimental: Bool { self == .invalidDefinitionDescription }

    func warning(_ message: String, at location: SourceLocation) -> Diagnostic {
        Diagnostic(severity: .warning, rule: rawValue, message: message, location: location)
    }
}
