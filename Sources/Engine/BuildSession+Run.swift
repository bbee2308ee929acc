import BuildJournal
import ContentStore
import Foundation
import Frontend
import LayerArchive
import Sandbox

/// `RUN`: the command in the sandbox over the stage's layers; its overlay upper becomes the layer.
extension BuildSession {
    /// The hostname every step sees unless a variation changes it: fixed, so it never varies by
    /// machine.
    static let defaultHostname = "reprise"

    func executeRun(_ run: RunInstruction, instruction: PlannedInstruction,
                    in context: inout StageContext) async throws {
        let begun = Date()
        let located = instruction.source
        let label = stepLabel(context, text: located.original, location: located.location)
        emit(.stepStarted(label))
        try checkPrivileges(run, location: located.location)
        let argv = arguments(of: run, shell: context.state.shell)
        let network = run.network.map { $0 == .host ? "host" : "none" } ?? request.network
        let environment = runEnvironment(context)
        let proxies = proxyEnvironment(context)
        let chosenHostname = request.buildArguments[PredefinedArgs.sandboxHostnameArg].flatMap { $0.isEmpty ? nil : $0 }
        let hostname = request.variations.hostname ?? chosenHostname ?? Self.defaultHostname
        let mounts = try await prepareMounts(run.mounts, context: context, location: located.location)
        defer { mounts.cleanup() }

        var inputs = mounts.keyInputs
        inputs["argv"] = argv.joined(separator: "\u{0}")
        inputs["env"] = environment.joined(separator: "\u{0}")
        inputs["network"] = network
        inputs["user"] = context.state.user
        inputs["workdir"] = context.state.workingDirectory
        inputs["epoch"] = request.sourceDateEpoch.map(String.init) ?? ""
        if let chosenHostname { inputs["hostname"] = chosenHostname }
        let script = shebangScript(of: run)
        if let script { inputs["script"] = script.content }
        if run.security == .insecure { inputs["security"] = "insecure" }
        // As BuildKit: ulimits and the size of /dev/shm can change what a step does; the pids and
        // memory limits only whether it fails.
        let limits = request.resourceLimits
        if !limits.ulimits.isEmpty { inputs["ulimits"] = limits.ulimits.map(\.description).sorted().joined(separator: ",") }
        if let shm = limits.shmSizeBytes { inputs["shm"] = String(shm) }
        let parentState = context.state
        context.key = CacheKey(state: context.state, kind: "RUN", instruction: located.original, inputs: inputs)
        var details = StepDetails(argv: argv, network: network, hostname: hostname, mounts: mounts.records)

        if let (cached, layer) = try cachedLayer(for: context.key) {
            context.state.append(layer.imageLayer, createdBy: history(argv), created: createdTimestamp)
            details.layer = layer
            details.stdout = cached.stdout
            details.stderr = cached.stderr
            details.exitCode = cached.exitCode
            emit(.stepCached(label))
            try recordStep(context, instruction: located, outcome: .cached, started: begun, details: details,
                           parent: parentState)
            return
        }

        let directory = scratch + "/run-\(nextStepIndex)"
        let upper = directory + "/upper"
        let work = directory + "/work"
        try FileIO.makeDirectories(upper)
        try FileIO.makeDirectories(work)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var spec = SandboxSpec(
            lowerDirectories: try layers.lowerDirectories(for: context.state.layers),
            upperDirectory: upper, workDirectory: work, arguments: argv,
            environment: environment + proxies + mounts.environment,
            workingDirectory: context.state.workingDirectory, user: SandboxUser(context.state.user),
            hostname: hostname, domainName: request.variations.domainName,
            network: network == "host" ? .host : .none, umask: request.variations.umask ?? 0o022,
            cpuAffinity: request.variations.cpuCount.map { Array(0..<$0) },
            disableASLR: request.variations.disableASLR, mounts: mounts.sandboxMounts)
        spec.limits = request.resourceLimits
        if network == "host", FileManager.default.fileExists(atPath: "/etc/resolv.conf") {
            spec.mounts.insert(.hostResolvConf, at: 0)
        }
        if run.security == .insecure { spec.capabilities = .all }
        if let script {
            // BuildKit's place for a script heredoc: a read-only /dev/pipes, outside the layer.
            let pipes = directory + "/pipes"
            try FileIO.makeDirectories(pipes)
            try FileIO.writeFileAtomically(pipes + "/" + script.name, Data(script.content.utf8))
            chmod(pipes + "/" + script.name, 0o755)
            spec.mounts.append(.bind(pipes, to: Self.scriptDirectory, readOnly: true))
        }
        let vertex = label.vertex
        let events = engine.events
        // Secrets are masked in what streams to the progress display as in what is stored.
        let shownOut = SecretMaskingStream(masker: secretMasker)
        let shownErr = SecretMaskingStream(masker: secretMasker)
        let result = try await engine.runner.run(spec) { chunk in
            let isOut = chunk.stream == .stdout
            let shown = (isOut ? shownOut : shownErr).feed(chunk.bytes)
            if !shown.isEmpty { events.receive(.stepOutput(vertex: vertex, stream: isOut ? .stdout : .stderr, bytes: shown)) }
        }
        for (stream, kind) in [(shownOut, BuildEvent.OutputStream.stdout), (shownErr, .stderr)] {
            let rest = stream.finish()
            if !rest.isEmpty { events.receive(.stepOutput(vertex: vertex, stream: kind, bytes: rest)) }
        }
        if let notice = result.limitsNotice { emit(.warning(notice)) }
        let stdout = secretMasker.mask(result.stdout)
        let stderr = secretMasker.mask(result.stderr)
        details.stdout = try journal.store.ingest(Data(stdout)).digest
        details.stderr = try journal.store.ingest(Data(stderr)).digest
        mounts.recordAfter(into: &details.mounts)
        switch result.status {
        case .exited(let code): details.exitCode = code
        case .signaled(let signal): details.signal = signal
        }
        guard result.status.succeeded else {
            let tail = Self.tail(of: stdout + stderr)
            try recordStep(context, instruction: located, outcome: .failed, started: begun, details: details,
                           parent: parentState)
            emit(.stepFailed(label, status: result.failureDescription, outputTail: tail))
            throw EngineError.stepFailed(step: located.original, location: located.location,
                                         status: result.failureDescription, outputTail: tail)
        }
        let layer = try OverlayUpperConverter(writer: LayerWriter(sourceDateEpoch: request.sourceDateEpoch))
            .convert(upperDirectory: upper, into: journal.store)
        try layers.adopt(upper, as: layer.diffID)
        context.state.append(layer.imageLayer, createdBy: history(argv), created: createdTimestamp)
        details.layer = LayerRecord(layer.imageLayer)
        try recordStep(context, instruction: located, outcome: .succeeded, started: begun, details: details,
                       parent: parentState)
        emit(.stepFinished(label, seconds: Date().timeIntervalSince(begun)))
    }

    /// The argv a RUN executes, as BuildKit builds it: exec form as written; shell form through
    /// the stage's SHELL; a lone heredoc runs its body as the script; other heredocs are handed to
    /// the shell with their bodies so that the shell itself feeds them.
    func arguments(of run: RunInstruction, shell: [String]) -> [String] {
        switch run.command {
        case .exec(let words):
            return words
        case .shell(let text):
            guard !run.heredocs.isEmpty else { return shell + [text] }
            if let script = shebangScript(of: run) { return [Self.scriptDirectory + "/" + script.name] }
            if let heredoc = loneHeredoc(of: run) { return shell + [heredoc.content] }
            var script = text
            for heredoc in run.heredocs { script += "\n" + heredoc.rawContent + heredoc.name }
            return shell + [script]
        }
    }

    static let scriptDirectory = "/dev/pipes"

    /// The heredoc a shell-form RUN consists of alone (`RUN <<EOF`), if so.
    private func loneHeredoc(of run: RunInstruction) -> Heredoc? {
        guard case .shell(let text) = run.command, run.heredocs.count == 1, let heredoc = run.heredocs.first else {
            return nil
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let pattern = #"^[0-9]*<<-?(['"]?)\#(NSRegularExpression.escapedPattern(for: heredoc.name))\1$"#
        return trimmed.range(of: pattern, options: .regularExpression) != nil ? heredoc : nil
    }

    /// A lone heredoc that starts with `#!`: BuildKit runs it as a file by its own interpreter
    /// (`#!/usr/bin/env python3`), not through the stage's shell.
    func shebangScript(of run: RunInstruction) -> Heredoc? {
        guard let heredoc = loneHeredoc(of: run), heredoc.content.hasPrefix("#!") else { return nil }
        return heredoc
    }

    /// `--security=insecure` needs `--allow security.insecure`; `--device` (CDI) has no
    /// equivalent here. Both are refused with the reason rather than ignored.
    private func checkPrivileges(_ run: RunInstruction, location: Frontend.SourceLocation) throws {
        if !run.devices.isEmpty {
            throw EngineError.unsupported(
                message: "RUN --device=\(run.devices.map(\.name).joined(separator: ",")): CDI devices are not available in "
                    + "Reprise's sandbox", location: location)
        }
        if run.security == .insecure, !request.entitlements.contains(.securityInsecure) {
            throw EngineError.invalidInstruction(
                message: "RUN --security=insecure needs the entitlement: pass --allow security.insecure",
                location: location)
        }
    }

    /// The image's environment, plus build arguments in scope that ENV does not set, plus any
    /// environment variation.
    func runEnvironment(_ context: StageContext) -> [String] {
        var environment = context.state.environment
        let defined = Set(environment.map { String($0.split(separator: "=", maxSplits: 1).first ?? "") })
        for (name, value) in context.argumentEnvironment.sorted(by: { $0.key < $1.key }) where !defined.contains(name) {
            environment.append("\(name)=\(value)")
        }
        for (name, value) in request.variations.extraEnvironment.sorted(by: { $0.key < $1.key }) {
            environment.removeAll { $0.hasPrefix(name + "=") }
            environment.append("\(name)=\(value)")
        }
        if let timezone = request.variations.timezone { environment.append("TZ=\(timezone)") }
        if let locale = request.variations.locale { environment += ["LANG=\(locale)", "LC_ALL=\(locale)"] }
        return environment
    }

    /// The predefined proxy arguments given with `--build-arg` and not declared by an ARG: a RUN
    /// sees them without an ARG line, but, as in BuildKit, they stay out of the cache key, the
    /// image config, the history and the record (a proxy URL may carry credentials).
    func proxyEnvironment(_ context: StageContext) -> [String] {
        let declared = context.state.environmentValues.keys.reduce(into: Set(context.arguments.keys)) { $0.insert($1) }
        return PredefinedArgs.proxyEnvironment(buildArgs: request.buildArguments)
            .filter { !declared.contains($0.key) }
            .map { "\($0.key)=\($0.value)" }
    }

    func history(_ argv: [String]) -> String {
        "RUN " + argv.joined(separator: " ")
    }

    /// The last lines of a failed step's output, for the error message.
    static func tail(of bytes: [UInt8], lines count: Int = 12) -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        return Array(text.split(separator: "\n", omittingEmptySubsequences: true).suffix(count).map(String.init))
    }
}
