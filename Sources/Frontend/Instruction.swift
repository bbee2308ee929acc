/// A typed Dockerfile instruction.
///
/// Values hold the words as written (quotes still in place where BuildKit keeps them until
/// expansion); ``BuildPlanner`` produces the expanded values.
public indirect enum Instruction: Sendable, Hashable {
    case from(FromInstruction)
    case run(RunInstruction)
    case cmd(CommandInstruction)
    case entrypoint(CommandInstruction)
    case label(KeyValueInstruction)
    case expose(ExposeInstruction)
    case env(KeyValueInstruction)
    case add(AddInstruction)
    case copy(CopyInstruction)
    case volume(VolumeInstruction)
    case user(SingleValueInstruction)
    case workdir(SingleValueInstruction)
    case arg(ArgInstruction)
    case onbuild(OnbuildInstruction)
    case stopSignal(SingleValueInstruction)
    case healthcheck(HealthcheckInstruction)
    case shell(ShellInstruction)
    case maintainer(SingleValueInstruction)

    /// The canonical upper-case keyword.
    public var keyword: String {
        switch self {
        case .from: "FROM"
        case .run: "RUN"
        case .cmd: "CMD"
        case .entrypoint: "ENTRYPOINT"
        case .label: "LABEL"
        case .expose: "EXPOSE"
        case .env: "ENV"
        case .add: "ADD"
        case .copy: "COPY"
        case .volume: "VOLUME"
        case .user: "USER"
        case .workdir: "WORKDIR"
        case .arg: "ARG"
        case .onbuild: "ONBUILD"
        case .stopSignal: "STOPSIGNAL"
        case .healthcheck: "HEALTHCHECK"
        case .shell: "SHELL"
        case .maintainer: "MAINTAINER"
        }
    }

    /// Every keyword the frontend knows, for suggestions.
    public static let allKeywords = [
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
        "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    ]
}

/// An instruction with where it was written.
public struct LocatedInstruction: Sendable, Hashable {
    public var instruction: Instruction
    /// The keyword exactly as written (for casing checks).
    public var writtenKeyword: String
    /// The logical line (continuations joined), as BuildKit's `Original`.
    public var original: String
    public var location: SourceLocation

    public init(instruction: Instruction, writtenKeyword: String, original: String,
                location: SourceLocation) {
        self.instruction = instruction
        self.writtenKeyword = writtenKeyword
        self.original = original
        self.location = location
    }
}

/// The arguments of `RUN`, `CMD`, `ENTRYPOINT` and `HEALTHCHECK CMD`.
public enum CommandForm: Sendable, Hashable {
    /// JSON array form: run directly, no shell.
    case exec([String])
    /// Shell form: the text is passed to the stage's `SHELL`.
    case shell(String)

    public var isShellForm: Bool {
        if case .shell = self { return true }
        return false
    }
}

/// `FROM [--platform=P] IMAGE [AS NAME]`.
public struct FromInstruction: Sendable, Hashable {
    /// The base: an image reference, a stage name or `scratch`, unexpanded.
    public var image: String
    /// The stage name lower-cased, as BuildKit stores it.
    public var stageName: String?
    /// The stage name as written, for the casing check.
    public var writtenStageName: String?
    /// The `AS` keyword as written.
    public var writtenAsKeyword: String?
    public var platform: String?
}

/// `RUN [--mount=...]... [--network=...] [--security=...] [--device=...] COMMAND`.
public struct RunInstruction: Sendable, Hashable {
    /// The mounts as far as they can be typed before expansion: a `--mount` whose values use
    /// variables is typed only in the plan (``PlannedInstruction/expanded``).
    public var mounts: [RunMount]
    public var network: NetworkMode?
    /// `--security=insecure` asks for a privileged step; the engine must refuse it unless the
    /// build allows `security.insecure` (as buildx's `--allow`). nil and `.sandbox` are equal.
    public var security: SecurityMode?
    /// CDI device requests (`--device=vendor.com/class=name[,required]`), in order.
    public var devices: [RunDevice]
    public var command: CommandForm
    public var heredocs: [Heredoc]
}

/// `RUN --network` values.
public enum NetworkMode: String, Sendable, Hashable, CaseIterable {
    case `default`, none, host
}

/// `RUN --security` values.
public enum SecurityMode: String, Sendable, Hashable, CaseIterable {
    case sandbox, insecure
}

/// `CMD` and `ENTRYPOINT`.
public struct CommandInstruction: Sendable, Hashable {
    public var command: CommandForm
}

/// A `KEY=VALUE` pair of `ENV` or `LABEL` (value unexpanded, quotes kept).
public struct KeyValuePair: Sendable, Hashable {
    public var key: String
    public var value: String
}

/// `ENV` and `LABEL`.
public struct KeyValueInstruction: Sendable, Hashable {
    public var pairs: [KeyValuePair]
    /// Written as `ENV key value` rather than `ENV key=value`.
    public var usesLegacyFormat: Bool
}

/// `EXPOSE PORT[/PROTO]...`.
public struct ExposeInstruction: Sendable, Hashable {
    public var ports: [String]
}

/// `VOLUME ["/a", "/b"]` or `VOLUME /a /b`.
public struct VolumeInstruction: Sendable, Hashable {
    public var paths: [String]
}

/// `USER`, `WORKDIR`, `STOPSIGNAL`, `MAINTAINER`: one value, the rest of the line.
public struct SingleValueInstruction: Sendable, Hashable {
    public var value: String
}

/// One name of an `ARG` instruction.
public struct ArgDeclaration: Sendable, Hashable {
    public var name: String
    /// The default as written (unexpanded), nil when none was given.
    public var defaultValue: String?
}

/// `ARG NAME[=DEFAULT] ...`.
public struct ArgInstruction: Sendable, Hashable {
    public var declarations: [ArgDeclaration]
}

/// `ONBUILD INSTRUCTION`: the trigger runs when a later build uses this image as a base.
public struct OnbuildInstruction: Sendable, Hashable {
    /// The trigger's text, with heredoc bodies appended, as stored in the image config.
    public var expression: String
    /// The trigger, parsed.
    public var trigger: Instruction
}

/// `SHELL ["executable", "parameters"]`.
public struct ShellInstruction: Sendable, Hashable {
    public var shell: [String]
}

/// `HEALTHCHECK NONE` or `HEALTHCHECK [OPTIONS] CMD COMMAND`.
public struct HealthcheckInstruction: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Disable any health check inherited from the base image.
        case none
        case command(CommandForm)
    }

    public var kind: Kind
    /// Durations in nanoseconds; nil means "not given" (the runtime default applies).
    public var intervalNanoseconds: Int64?
    public var timeoutNanoseconds: Int64?
    public var startPeriodNanoseconds: Int64?
    public var startIntervalNanoseconds: Int64?
    public var retries: Int?
}
