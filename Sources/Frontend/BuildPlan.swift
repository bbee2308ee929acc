/// Where a stage, `COPY --from` or `RUN --mount from=` gets its files.
public enum StageReference: Sendable, Hashable {
    /// Another stage of this Dockerfile, by index.
    case stage(Int)
    /// An image reference or a named build context; the engine decides which.
    case external(String)
    /// `FROM scratch`: an empty filesystem.
    case scratch
}

/// An instruction ready for planning: as written, and with its words expanded.
public struct PlannedInstruction: Sendable, Hashable {
    /// The instruction as parsed, unexpanded, with its location.
    public var source: LocatedInstruction
    /// The instruction with every word BuildKit expands replaced by its expansion
    /// (`RUN`, `CMD`, `ENTRYPOINT`, `SHELL`, `HEALTHCHECK`, `ONBUILD` are left alone).
    public var expanded: Instruction
    /// Stages, images and contexts read by `COPY --from` or `RUN --mount from=`.
    public var references: [StageReference]

    public init(source: LocatedInstruction, expanded: Instruction, references: [StageReference]) {
        self.source = source
        self.expanded = expanded
        self.references = references
    }
}

/// One build stage: its base and its instructions.
public struct PlannedStage: Sendable, Hashable {
    public var index: Int
    /// The lower-cased `AS` name.
    public var name: String?
    /// The expanded base name as written after expansion (`golang:1.22`, `builder`).
    public var baseName: String
    public var base: StageReference
    /// The expanded `--platform`, if given.
    public var platform: String?
    /// The platform this stage is built for: `--platform` when given (and valid), else the
    /// target platform. The engine must refuse a stage whose platform the host cannot run.
    public var effectivePlatform: BuildPlatform
    /// The `FROM` instruction.
    public var from: LocatedInstruction
    public var instructions: [PlannedInstruction]
    /// Stages this stage reads from directly (base, `COPY --from`, mounts), sorted.
    public var dependencies: [Int]
}

/// A Dockerfile resolved for one target: what the engine turns into steps.
public struct DockerfilePlan: Sendable, Hashable {
    public var stages: [PlannedStage]
    /// ARGs declared before the first `FROM`, with their resolved values (nil: no value).
    public var globalArgs: [ResolvedArg]
    /// Index of the stage to build.
    public var target: Int
    /// The target and every stage it needs, in dependency order (dependencies first).
    /// Stages not listed are not built.
    public var requiredStages: [Int]
    public var directives: ParserDirectives
}

/// A build argument with the value it resolved to.
public struct ResolvedArg: Sendable, Hashable {
    public var name: String
    public var value: String?
}
