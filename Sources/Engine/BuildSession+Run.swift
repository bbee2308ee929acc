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

    /// `RUN`: its key is the command, the environment it sees and every mount's recorded
    /// input; running it is the sandbox over the stage's layers, whose overlay upper is the layer.
    func prepareRun(_ run: RunInstruction, instruction: PlannedInstruction, context: StageContext) async throws -> PreparedStep {
        let located = instruction.source
        try checkPrivileges(run, location: located.location)
        let argv = arguments(of: run, shell: context.state.shell)
        let network = runNetwork(run)
        let environment = runEnvironment(context)
        let proxies = proxyEnvironment(context)
        let chosenHostname = request.buildArguments[PredefinedArgs.sandboxHostnameArg].flatMap { $0.isEmpty ? nil : $0 }
        let hostname = request.variations.hostname ?? chosenHostname ?? Self.defaultHostname
        let mounts = try await prepareMounts(run.mounts, context: context, location: located.location)

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
        // As BuildKit: extra hosts are part of the exec's definition, so of its key.
        if !request.extraHosts.isEmpty { inputs["hosts"] = request.extraHosts.map(\.description).joined(separator: ",") }

        let state = context.state
        let vertex = stepLabel(context, text: located.original, location: located.location).vertex
        let stepIndex = context.stepIndex
        let recordingRunFollows = recordingRunAhead(context, includingCurrent: false)
        var prepared = PreparedStep(kind: "RUN", keyText: located.original, keyInputs: inputs, history: history(argv))
        prepared.details = StepDetails(argv: argv, network: network, hostname: hostname, mounts: mounts.records)
        prepared.cleanup = { mounts.cleanup() }
        prepared.execute = { details in
            let directory = self.scratch + "/run-\(stepIndex)"
            let upper = directory + "/upper"
            let work = directory + "/work"
            try FileIO.makeDirectories(upper)
            try FileIO.makeDirectories(work)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // A step that may mount (--security=insecure) gets complete lowers: a metadata-only
            // lower is mounted over the blobs first, and one more overlay in its root would leave
            // the step's own overlays over the kernel's stacking limit.
            let lowers = try self.layers.runLowers(for: state.layers, metadataOnly: run.security != .insecure)
            var spec = SandboxSpec(
                lowerDirectories: lowers.directories,
                upperDirectory: upper, workDirectory: work, arguments: argv,
                environment: environment + proxies + mounts.environment,
                workingDirectory: state.workingDirectory, user: SandboxUser(state.user),
                hostname: hostname, domainName: self.request.variations.domainName,
                network: network == "host" ? .host : .none, umask: self.request.variations.umask ?? 0o022,
                cpuAffinity: self.request.variations.cpuCount.map { Array(0..<$0) },
                disableASLR: self.request.variations.disableASLR, mounts: mounts.sandboxMounts)
            spec.limits = limits
            spec.lowerData = lowers.data
            if !self.request.extraHosts.isEmpty {
                spec.hostsFile = spec.effectiveHostsFile + self.request.extraHosts.map { $0.hostsLine + "\n" }.joined()
            }
            if network == "host", FileManager.default.fileExists(atPath: "/etc/resolv.conf") {
                spec.mounts.insert(.hostResolvConf, at: 0)
            }
            if run.security == .insecure { spec.capabilities = .all }
            let onRecordingNetwork = network == Self.recordingNetwork
            let recorder = onRecordingNetwork
                ? try await self.attachRecordingNetwork(to: &spec, step: stepIndex, anotherFollows: recordingRunFollows) : nil
            defer { recorder?.finish() }
            if let script {
                // BuildKit's place for a script heredoc: a read-only /dev/pipes, outside the layer.
                let pipes = directory + "/pipes"
                try FileIO.makeDirectories(pipes)
                try FileIO.writeFileAtomically(pipes + "/" + script.name, Data(script.content.utf8))
                chmod(pipes + "/" + script.name, 0o755)
                spec.mounts.append(.bind(pipes, to: Self.scriptDirectory, readOnly: true))
            }
            let result = try await self.runInSandbox(spec, vertex: vertex)
            details.stdout = try self.journal.store.ingest(Data(result.stdout)).digest
            details.stderr = try self.journal.store.ingest(Data(result.stderr)).digest
            mounts.recordAfter(into: &details.mounts)
            let unserved = onRecordingNetwork ? self.detachRecordingNetwork(recorder, into: &details) : nil
            switch result.status {
            case .exited(let code): details.exitCode = code
            case .signaled(let signal): details.signal = signal
            }
            guard result.succeeded, unserved == nil else {
                throw StepExecutionFailure(details: details,
                                           status: [unserved, result.succeeded ? nil : result.failureDescription]
                                               .compactMap { $0 }.joined(separator: "; "),
                                           outputTail: Self.tail(of: result.stdout + result.stderr))
            }
            let layer = try OverlayUpperConverter(writer: LayerWriter(sourceDateEpoch: self.request.sourceDateEpoch))
                .convert(upperDirectory: upper, into: self.journal.store)
            try self.layers.adopt(upper, as: layer.diffID)
            return layer.imageLayer
        }
        return prepared
    }

    /// What a sandboxed step printed (secrets masked, as it streamed to the progress display
    /// and as it is stored) and how it ended.
    struct SandboxOutcome {
        var stdout: [UInt8]
        var stderr: [UInt8]
        var status: ExitStatus
        var succeeded: Bool
        var failureDescription: String
    }

    private func runInSandbox(_ spec: SandboxSpec, vertex: Int) async throws -> SandboxOutcome {
        let events = engine.events
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
        return SandboxOutcome(stdout: secretMasker.mask(result.stdout), stderr: secretMasker.mask(result.stderr),
                              status: result.status, succeeded: result.status.succeeded,
                              failureDescription: result.failureDescription)
    }

    /// The network a RUN gets: its own `--network`, where `default` is the default network (the
    /// recorder, never the host's; none when the whole build has none), else the build's `--network`.
    func runNetwork(_ run: RunInstruction) -> String {
        switch run.network {
        case .some(.host): return "host"
        case .some(.none): return "none"
        case .some(.default): return request.network == "none" ? "none" : Self.recordingNetwork
        case nil: return request.network
        }
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
