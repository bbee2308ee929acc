/// Global ARGs and `FROM`: the parts of planning that use the global scope.
extension PlannerRun {
    /// An `ARG` before the first `FROM`: its value is the build argument, else its expanded default.
    mutating func declareGlobal(_ arg: ArgInstruction, raw: RawInstruction) {
        for declaration in arg.declarations {
            var value: String? = planner.options.buildArgs[declaration.name]
            if value == nil, let written = declaration.defaultValue,
               let expansion = expand(written, in: globalScope, raw: raw) {
                value = expansion.text
            }
            // `ARG TARGETARCH` before the first FROM keeps the automatic value (BuildKit).
            if value == nil, declaration.defaultValue == nil, PredefinedArgs.platformNames.contains(declaration.name),
               case .some(.some(let automatic)) = globalScope.args[declaration.name] {
                value = automatic
            }
            globalScope.args[declaration.name] = .some(value)
            globalArgs.append(ResolvedArg(name: declaration.name, value: value))
        }
    }

    /// Starts a stage: expands the base name and platform with the global scope and resolves
    /// the base to an earlier stage, `scratch` or an external image.
    mutating func beginStage(_ from: FromInstruction, instruction: LocatedInstruction, raw: RawInstruction)
        -> (stage: PlannedStage, scope: VariableScope, workdirSet: Bool)
    {
        let index = stages.count
        let expansion = expand(from.image, in: globalScope, raw: raw)
        let baseName = expansion?.text ?? from.image
        if let expansion {
            for name in expansion.unmatched.sorted() where globalScope.args[name] == nil {
                warn(.undefinedArgInFrom, "FROM argument '\(name)' is not declared", at: raw.location(ofText: from.image))
            }
            checkDefaultBase(from, raw: raw, usesArgs: !expansion.matched.isEmpty || !expansion.unmatched.isEmpty)
        }
        // A base left empty by an ARG without a value is only a warning (InvalidDefaultArgInFrom):
        // the build is expected to pass that ARG with --build-arg.
        let emptiedByArg = !(expansion?.matched.isEmpty ?? true) || !(expansion?.unmatched.isEmpty ?? true)
        if expansion != nil && baseName.trimmingASCIIWhitespace().isEmpty && !emptiedByArg {
            error("base name (\(from.image)) should not be blank", at: raw.location(ofText: from.image))
        }
        var platform: String? = nil
        if let written = from.platform {
            platform = expand(written, in: globalScope, raw: raw)?.text ?? written
            if written == "$TARGETPLATFORM" || written == "${TARGETPLATFORM}" {
                warn(.redundantTargetPlatform,
                     "Setting platform to predefined \(written) in FROM is redundant as this is the default behavior",
                     at: instruction.location)
            } else if !written.contains("$"), !Self.stageNameNamesPlatform(from.stageName, written) {
                warn(.fromPlatformFlagConstDisallowed,
                     "FROM --platform flag should not use constant value \"\(written)\"", at: instruction.location)
            }
            if let platform, !platform.isEmpty, BuildPlatform(parsing: platform) == nil {
                error("invalid platform \"\(platform)\": expected os/arch[/variant]", at: instruction.location)
            }
        }
        if let name = from.stageName, (stageIndicesByName[name]?.count ?? 0) > 1,
           stageIndicesByName[name]?.first != index {
            warn(.duplicateStageName, "Duplicate stage name \"\(name)\", stage names should be unique",
                 at: instruction.location)
        }
        let base: StageReference
        let lowered = baseName.lowercased()
        if let earlier = stageIndicesByName[lowered]?.last(where: { $0 < index }) {
            base = .stage(earlier)
        } else if lowered == "scratch" {
            base = .scratch
        } else {
            base = .external(baseName)
        }
        var scope = VariableScope()
        var workdirSet = false
        switch base {
        case .stage(let parent):
            // BuildKit's child stage starts from the parent's state, whose environment holds
            // the parent's ARG values too, and inherits its ARG declarations.
            scope.env = stageScopes[parent].env
            scope.args = stageScopes[parent].args
            workdirSet = stages[parent].instructions.contains {
                if case .workdir = $0.source.instruction { return true }
                return false
            }
        case .scratch:
            scope.env["PATH"] = PredefinedArgs.defaultLinuxPath
        case .external(let image):
            // Without the image's config only PATH is known (BuildKit adds a default when the
            // image has none); words using other variables the image sets warn UndefinedVar
            // unless the engine passes the image's environment.
            scope.env = planner.options.imageEnvironment[image] ?? [:]
            if scope.env["PATH"] == nil { scope.env["PATH"] = PredefinedArgs.defaultLinuxPath }
        }
        let effectivePlatform = platform.flatMap(BuildPlatform.init(parsing:)) ?? planner.options.targetPlatform
        let stage = PlannedStage(index: index, name: from.stageName, baseName: baseName, base: base,
                                 platform: platform, effectivePlatform: effectivePlatform, from: instruction,
                                 instructions: [], dependencies: [])
        checkBaseImagePlatform(stage)
        return (stage, scope, workdirSet)
    }

    /// BuildKit allows a constant `--platform` when the stage's name says which platform it
    /// is for (`FROM --platform=linux/arm64 alpine AS tools-arm64`).
    private static func stageNameNamesPlatform(_ stageName: String?, _ platform: String) -> Bool {
        guard let stageName, let parsed = BuildPlatform(parsing: platform) else { return false }
        return stageName.contains(parsed.os) || stageName.contains(parsed.architecture)
    }

    /// `InvalidDefaultArgInFrom`: the base name must be valid with the ARG defaults alone.
    private mutating func checkDefaultBase(_ from: FromInstruction, raw: RawInstruction, usesArgs: Bool) {
        guard usesArgs else { return }
        var defaults = VariableScope()
        defaults.args = globalScope.args
        for arg in globalArgs {
            if planner.options.buildArgs[arg.name] != nil { defaults.args[arg.name] = .some(nil) }
        }
        let result = try? lexer.expand(from.image) { defaults.lookup($0) }
        guard let text = result?.text else { return }
        if text.isEmpty || text.hasSuffix(":") || text.hasSuffix("@") || text.contains("::") || text.hasPrefix(":") {
            let names = (result?.unmatched ?? []).union(result?.matched ?? []).sorted().joined(separator: ", ")
            warn(.invalidDefaultArgInFrom,
                 "Default value for ARG \(from.image) results in empty or invalid base image name (uses \(names))",
                 at: raw.location)
        }
    }
}
