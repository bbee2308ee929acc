/// Expansion of the instructions inside a stage.
extension PlannerRun {
    /// Expands one instruction, updates the scope it leaves behind, and resolves references.
    mutating func plan(_ instruction: LocatedInstruction, raw: RawInstruction, scope: inout VariableScope,
                       workdirSet: inout Bool, stageIndex: Int) -> PlannedInstruction? {
        let diagnosticsBefore = diagnostics.count
        let before = scope
        func word(_ text: String) -> String {
            guard let expansion = expand(text, in: before, raw: raw) else { return text }
            reportUndefined(expansion, scope: before, raw: raw, word: text)
            return expansion.text
        }
        var references: [StageReference] = []
        var expanded = instruction.instruction
        switch instruction.instruction {
        case .env(var env):
            env.pairs = env.pairs.map { KeyValuePair(key: word($0.key), value: word($0.value)) }
            for pair in env.pairs { scope.env[pair.key] = pair.value }
            expanded = .env(env)
        case .label(var label):
            label.pairs = label.pairs.map { KeyValuePair(key: word($0.key), value: word($0.value)) }
            expanded = .label(label)
        case .arg(var arg):
            for (position, declaration) in arg.declarations.enumerated() {
                var value = planner.options.buildArgs[declaration.name]
                if value == nil, let written = declaration.defaultValue {
                    if let expansion = expand(written, in: scope, raw: raw) {
                        reportUndefined(expansion, scope: scope, raw: raw, word: written)
                        value = expansion.text
                    }
                } else if value == nil, let inherited = globalScope.args[declaration.name] {
                    value = inherited
                }
                arg.declarations[position].defaultValue = value
                scope.args[declaration.name] = .some(value)
            }
            expanded = .arg(arg)
        case .expose(var expose):
            expose.ports = expose.ports.flatMap { port -> [String] in
                guard let expansion = expand(port, in: before, raw: raw) else { return [port] }
                reportUndefined(expansion, scope: before, raw: raw, word: port)
                return expansion.words
            }
            validatePorts(expose.ports, raw: raw)
            expanded = .expose(expose)
        case .volume(var volume):
            volume.paths = volume.paths.map(word)
            expanded = .volume(volume)
        case .user(var user):
            user.value = word(user.value)
            expanded = .user(user)
        case .stopSignal(var signal):
            signal.value = word(signal.value)
            expanded = .stopSignal(signal)
        case .workdir(var workdir):
            workdir.value = word(workdir.value)
            if !workdir.value.hasPrefix("/") && !workdirSet {
                warn(.workdirRelativePath,
                     "Relative workdir \"\(workdir.value)\" can have unexpected results if the base image changes",
                     at: instruction.location)
            }
            workdirSet = true
            expanded = .workdir(workdir)
        case .copy(var copy):
            copy.sources = copy.sources.map { expandSource($0, scope: before, raw: raw) }
            copy.destination = word(copy.destination)
            copy.chown = copy.chown.map(word)
            copy.chmod = checkedChmod(written: copy.chmod, expanded: copy.chmod.map(word), raw: raw)
            copy.excludes = copy.excludes.map(word)
            if let from = copy.from {
                copy.from = word(from)
                references.append(resolveReference(copy.from!, from: stageIndex, raw: raw))
            } else {
                checkIgnoredSources(copy.sources, keyword: "COPY", raw: raw)
            }
            expanded = .copy(copy)
        case .add(var add):
            add.sources = add.sources.map { expandSource($0, scope: before, raw: raw) }
            add.destination = word(add.destination)
            add.chown = add.chown.map(word)
            add.chmod = checkedChmod(written: add.chmod, expanded: add.chmod.map(word), raw: raw)
            add.checksum = add.checksum.map(word)
            add.excludes = add.excludes.map(word)
            checkIgnoredSources(add.sources, keyword: "ADD", raw: raw)
            expanded = .add(add)
        case .run(var run):
            run.mounts = expandMounts(raw: raw, scope: before)
            for mount in run.mounts {
                if let from = mount.from { references.append(resolveReference(from, from: stageIndex, raw: raw)) }
            }
            expanded = .run(run)
        case .from, .cmd, .entrypoint, .onbuild, .healthcheck, .shell, .maintainer:
            break
        }
        guard !diagnostics[diagnosticsBefore...].contains(where: { $0.severity == .error }) else { return nil }
        return PlannedInstruction(source: instruction, expanded: expanded, references: references)
    }

    /// Expands `--chmod`; one written with variables can only be checked now. As in
    /// BuildKit, a value that expands to nothing (`--chmod=$MODE` with `MODE` unset) means
    /// no `--chmod` at all.
    private mutating func checkedChmod(written: String?, expanded: String?, raw: RawInstruction) -> String? {
        guard let written, let value = expanded, !value.isEmpty else { return nil }
        if written.contains("$") {
            do throws(FileModeError) {
                _ = try FileModeExpression.parse(value)
            } catch {
                self.error("\(error.description) (from --chmod=\(written))", at: raw.location(ofText: written))
            }
        }
        return value
    }

    /// Heredoc bodies of `COPY`/`ADD` are expanded (quotes kept) unless the delimiter was quoted.
    private mutating func expandSource(_ source: CopySource, scope: VariableScope, raw: RawInstruction) -> CopySource {
        switch source {
        case .path(let path):
            guard let expansion = expand(path, in: scope, raw: raw) else { return source }
            reportUndefined(expansion, scope: scope, raw: raw, word: path)
            return .path(expansion.text)
        case .heredoc(var heredoc):
            guard heredoc.expands else { return source }
            var rawLexer = lexer
            rawLexer.rawQuotes = true
            rawLexer.rawEscapes = true
            if let expansion = expand(heredoc.rawContent, in: scope, raw: raw, lexer: rawLexer) {
                heredoc.rawContent = expansion.text
            }
            return .heredoc(heredoc)
        }
    }

    /// Mount options are expanded (except `from`), so the typed mounts are parsed again.
    private mutating func expandMounts(raw: RawInstruction, scope: VariableScope) -> [RunMount] {
        let specs = raw.flagTokens.filter { $0.text.hasPrefix("--mount=") }
        var mounts: [RunMount] = []
        for token in specs {
            let spec = String(token.text.dropFirst("--mount=".count))
            let lexer = self.lexer
            do throws(InstructionFailure) {
                mounts.append(try RunMount.parse(spec) { value throws(InstructionFailure) in
                    do throws(ExpansionError) {
                        return try lexer.expand(value) { scope.lookup($0) }.text
                    } catch {
                        throw InstructionFailure(error.message)
                    }
                })
            } catch {
                self.error(error.message, at: raw.location(ofOffset: token.offset))
            }
        }
        return mounts
    }

    /// `EXPOSE` ports must be `PORT[-PORT][/PROTO]`; an address or host port is a warning.
    private mutating func validatePorts(_ ports: [String], raw: RawInstruction) {
        for port in ports {
            var spec = Substring(port)
            var proto = "tcp"
            if let slash = spec.lastIndex(of: "/") {
                proto = String(spec[spec.index(after: slash)...])
                spec = spec[..<slash]
                if proto != proto.lowercased() {
                    warn(.exposeProtoCasing,
                         "Defined protocol '\(port)' in EXPOSE instruction should be lowercase", at: raw.location)
                }
            }
            if spec.contains(":") {
                warn(.exposeInvalidFormat,
                     "EXPOSE instruction should not define an IP address or host-port mapping, found '\(port)'",
                     at: raw.location)
                spec = spec[spec.index(after: spec.lastIndex(of: ":")!)...]
            }
            let range = spec.split(separator: "-", omittingEmptySubsequences: false)
            let valid = (1...2).contains(range.count) && range.allSatisfy { part in
                guard let number = Int(part) else { return false }
                return (0...65535).contains(number)
            }
            if !valid || !["tcp", "udp", "sctp"].contains(proto.lowercased()) {
                error("invalid port specification \"\(port)\": expected PORT[-PORT][/tcp|udp|sctp]",
                      at: raw.location(ofText: port))
            }
        }
    }
}
