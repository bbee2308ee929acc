/// Resolves a parsed Dockerfile for one build: global and per-stage ARG scopes, expansion of
/// the words BuildKit expands, stage references and the stages a target needs.
public struct BuildPlanner: Sendable {
    public var options: BuildOptions

    public init(options: BuildOptions = BuildOptions()) {
        self.options = options
    }

    /// Plans `document`. The plan is nil when any error was found; diagnostics include the
    /// warnings that need scope information (undefined variables, relative workdirs, ...).
    public func plan(_ document: ParsedDockerfile) -> (plan: DockerfilePlan?, diagnostics: [Diagnostic]) {
        var run = PlannerRun(planner: self, document: document)
        run.resolveStages()
        guard !run.hasErrors, !run.stages.isEmpty else {
            if run.stages.isEmpty && !run.hasErrors && !document.hasErrors {
                run.error("dockerfile contains no stages to build: expected a FROM instruction",
                          at: document.instructions.first?.location
                              ?? SourceLocation(file: document.fileName, startLine: 1, endLine: 1, column: 1))
            }
            return (nil, run.diagnostics)
        }
        guard let graph = run.resolveTarget() else { return (nil, run.diagnostics) }
        let plan = DockerfilePlan(stages: run.stages, globalArgs: run.globalArgs, target: graph.target,
                                  requiredStages: graph.order, directives: document.directives)
        return (run.hasErrors ? nil : plan, run.diagnostics)
    }
}

/// Variables visible at one point of a stage.
struct VariableScope {
    var env: [String: String] = [:]
    /// Declared ARGs; a nil value means declared without a value.
    var args: [String: String?] = [:]

    func lookup(_ name: String) -> String? {
        if let value = env[name] { return value }
        if let value = args[name] { return value }
        return nil
    }

    func isDeclared(_ name: String) -> Bool { env[name] != nil || args[name] != nil }
}

/// The mutable state of one planning pass.
struct PlannerRun {
    let planner: BuildPlanner
    let document: ParsedDockerfile
    let lexer: ShellLexer
    var diagnostics: [Diagnostic] = []
    var stages: [PlannedStage] = []
    var globalArgs: [ResolvedArg] = []
    /// The global scope: platform args plus ARGs before the first FROM.
    var globalScope = VariableScope()
    /// Environment at the end of each stage, for stages that inherit it.
    var stageScopes: [VariableScope] = []
    /// Lower-cased stage name → every index that uses it.
    var stageIndicesByName: [String: [Int]] = [:]
    /// Number of `FROM` instructions in the file.
    var stageCount = 0

    init(planner: BuildPlanner, document: ParsedDockerfile) {
        self.planner = planner
        self.document = document
        var lexer = ShellLexer()
        lexer.escape = Unicode.Scalar(document.directives.escape)
        self.lexer = lexer
        let platform = PredefinedArgs.platformArgs(build: planner.options.buildPlatform,
                                                   target: planner.options.targetPlatform)
        for (name, value) in platform { globalScope.args[name] = value }
    }

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    mutating func error(_ message: String, at location: SourceLocation) {
        diagnostics.append(Diagnostic(severity: .error, message: message, location: location))
    }

    mutating func warn(_ rule: LintRule, _ message: String, at location: SourceLocation) {
        diagnostics.append(rule.warning(message, at: location))
    }

    /// Walks the instructions, splitting them into stages and expanding them.
    mutating func resolveStages() {
        for instruction in document.instructions {
            guard case .from(let from) = instruction.instruction else { continue }
            if let name = from.stageName { stageIndicesByName[name, default: []].append(stageCount) }
            stageCount += 1
        }
        var current: (stage: PlannedStage, scope: VariableScope, workdirSet: Bool)? = nil
        for (position, instruction) in document.instructions.enumerated() {
            let raw = document.rawInstructions[position]
            if case .from(let from) = instruction.instruction {
                if let finished = current { finish(finished.stage, scope: finished.scope) }
                current = beginStage(from, instruction: instruction, raw: raw)
                continue
            }
            guard current != nil else {
                if case .arg(let arg) = instruction.instruction {
                    declareGlobal(arg, raw: raw)
                } else {
                    error("no build stage in current context: expected FROM before \(instruction.instruction.keyword)",
                          at: instruction.location)
                }
                continue
            }
            var state = current!
            current = nil
            if let planned = plan(instruction, raw: raw, scope: &state.scope, workdirSet: &state.workdirSet,
                                  stageIndex: state.stage.index) {
                state.stage.instructions.append(planned)
            }
            current = state
        }
        if let finished = current { finish(finished.stage, scope: finished.scope) }
    }

    private mutating func finish(_ stage: PlannedStage, scope: VariableScope) {
        var stage = stage
        var dependencies = Set<Int>()
        if case .stage(let base) = stage.base { dependencies.insert(base) }
        for instruction in stage.instructions {
            for case .stage(let index) in instruction.references { dependencies.insert(index) }
        }
        stage.dependencies = dependencies.sorted()
        stages.append(stage)
        stageScopes.append(scope)
    }

    /// Expands `word` in `scope`, reporting errors at the word's place in the instruction.
    mutating func expand(_ word: String, in scope: VariableScope, raw: RawInstruction,
                         lexer custom: ShellLexer? = nil) -> ShellLexer.Expansion? {
        do throws(ExpansionError) {
            return try (custom ?? lexer).expand(word) { scope.lookup($0) }
        } catch {
            self.error("\(error.message) in \"\(word)\"", at: raw.location(ofText: word))
            return nil
        }
    }

    /// Reports `UndefinedVar` for variables an expansion used but no scope defines.
    ///
    /// As in BuildKit this does not depend on the base image: a variable is defined by the
    /// base image's `Config.Env` (when ``BuildOptions/imageEnvironment`` supplies it; `PATH`
    /// always, as BuildKit adds a default), an `ENV`, or an `ARG` in scope. Predefined
    /// arguments count only once declared with `ARG`, because only then do they expand.
    mutating func reportUndefined(_ expansion: ShellLexer.Expansion, scope: VariableScope,
                                  raw: RawInstruction, word: String) {
        for name in expansion.unmatched.sorted() where !scope.isDeclared(name) && isPlainName(name)
            && !PredefinedArgs.neverUndefined.contains(name) {
            let candidates = Array(scope.env.keys) + Array(scope.args.keys)
            let hint = Suggestion.nearest(name, among: candidates).map { " (did you mean $\($0)?)" } ?? ""
            warn(.undefinedVar, "Usage of undefined variable '$\(name)'\(hint)", at: raw.location(ofText: word))
        }
    }

    private func isPlainName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        return first.isLetterLike || first == "_"
    }
}
