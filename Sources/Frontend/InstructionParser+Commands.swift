/// `RUN`, `CMD`, `ENTRYPOINT`, `SHELL` and `HEALTHCHECK`: instructions that carry a command.
extension InstructionParser {
    func parseRun(_ context: ArgumentContext) throws(InstructionFailure) -> RunInstruction {
        let flags = try context.flags(["mount": .strings, "network": .string, "security": .string,
                                       "device": .strings])
        var mounts: [RunMount] = []
        for (spec, offset) in zip(flags.strings("mount"), flags.valueOffsets["mount"] ?? []) {
            do throws(InstructionFailure) {
                if let mount = try RunMount.parse(spec, deferringVariables: true, expand: { value in value }) {
                    mounts.append(mount)
                }
            } catch {
                throw InstructionFailure(error.message, at: offset)
            }
        }
        var network: NetworkMode? = nil
        if let value = flags.string("network") {
            guard let mode = NetworkMode(rawValue: value) else {
                throw InstructionFailure(
                    "unsupported network mode \"\(value)\": expected default, none or host",
                    at: flags.offsets["network"])
            }
            network = mode
        }
        var security: SecurityMode? = nil
        if let value = flags.string("security") {
            guard let mode = SecurityMode(rawValue: value) else {
                throw InstructionFailure("security \"\(value)\" is not valid: expected sandbox or insecure",
                                         at: flags.offsets["security"])
            }
            security = mode
        }
        var devices: [RunDevice] = []
        for (value, offset) in zip(flags.strings("device"), flags.valueOffsets["device"] ?? []) {
            do throws(InstructionFailure) {
                devices.append(try RunDevice.parse(value))
            } catch {
                throw InstructionFailure(error.message, at: offset)
            }
        }
        // BuildKit accepts a RUN with nothing to run; the shell then runs an empty script.
        let command = context.arguments.text.isEmpty ? .shell("") : try context.commandForm()
        return RunInstruction(mounts: mounts, network: network, security: security,
                              devices: devices, command: command,
                              heredocs: context.raw.heredocs)
    }

    /// `CMD` and `ENTRYPOINT` arguments; empty arguments mean an empty exec form.
    func parseCommandForm(_ context: ArgumentContext) throws(InstructionFailure) -> CommandForm {
        context.arguments.text.isEmpty ? .exec([]) : try context.commandForm()
    }

    func parseShell(_ context: ArgumentContext) throws(InstructionFailure) -> ShellInstruction {
        _ = try context.flags([:])
        switch try context.commandForm() {
        case .exec(let words) where !words.isEmpty:
            return ShellInstruction(shell: words)
        case .exec:
            throw InstructionFailure("SHELL requires at least one argument", at: context.arguments.offset)
        case .shell:
            throw InstructionFailure(
                "SHELL requires the arguments to be in JSON form, e.g. SHELL [\"/bin/sh\", \"-c\"]",
                at: context.arguments.offset)
        }
    }

    func parseHealthcheck(_ context: ArgumentContext) throws(InstructionFailure) -> HealthcheckInstruction {
        let text = Array(context.arguments.text.utf8)
        var separator = 0
        while separator < text.count, !text[separator].isASCIIWhitespace { separator += 1 }
        guard separator > 0 else {
            throw InstructionFailure("HEALTHCHECK requires at least one argument: NONE or CMD",
                                     at: context.arguments.offset)
        }
        var restStart = separator
        while restStart < text.count, text[restStart].isASCIIWhitespace { restStart += 1 }
        let type = String(decoding: text[0..<separator], as: UTF8.self).uppercased()
        let rest = Token(text: String(decoding: text[restStart...], as: UTF8.self),
                         offset: context.arguments.offset + restStart)
        if type == "NONE" {
            _ = try context.flags([:])
            guard rest.text.isEmpty else {
                throw InstructionFailure("HEALTHCHECK NONE takes no arguments", at: rest.offset)
            }
            return HealthcheckInstruction(kind: .none)
        }
        let flags = try context.flags(["interval": .string, "timeout": .string, "start-period": .string,
                                       "start-interval": .string, "retries": .string])
        guard type == "CMD" else {
            throw InstructionFailure("Unknown type \"\(type)\" in HEALTHCHECK (try CMD)", at: context.arguments.offset)
        }
        let commandContext = ArgumentContext(flags: [], arguments: rest, raw: context.raw)
        let command = try commandContext.commandForm()
        if case .exec(let words) = command, words.isEmpty {
            throw InstructionFailure("Missing command after HEALTHCHECK CMD", at: rest.offset)
        }
        if case .shell(let text) = command, text.isEmpty {
            throw InstructionFailure("Missing command after HEALTHCHECK CMD", at: rest.offset)
        }
        func duration(_ name: String) throws(InstructionFailure) -> Int64? {
            guard let value = flags.string(name), !value.isEmpty else { return nil }
            guard let nanoseconds = GoSyntax.parseDuration(value) else {
                throw InstructionFailure("invalid duration \"\(value)\" for --\(name): expected e.g. 30s, 1m30s",
                                         at: flags.offsets[name])
            }
            if nanoseconds == 0 { return 0 }
            guard nanoseconds >= 1_000_000 else {
                throw InstructionFailure("Interval \"\(name)\" cannot be less than 1ms", at: flags.offsets[name])
            }
            return nanoseconds
        }
        var retries: Int? = nil
        if let value = flags.string("retries"), !value.isEmpty {
            guard let parsed = Int32(value) else {
                throw InstructionFailure("invalid value \"\(value)\" for --retries: expected an integer",
                                         at: flags.offsets["retries"])
            }
            guard parsed >= 0 else {
                throw InstructionFailure("--retries cannot be negative (\(parsed))", at: flags.offsets["retries"])
            }
            retries = Int(parsed)
        }
        return HealthcheckInstruction(
            kind: .command(command), intervalNanoseconds: try duration("interval"),
            timeoutNanoseconds: try duration("timeout"), startPeriodNanoseconds: try duration("start-period"),
            startIntervalNanoseconds: try duration("start-interval"), retries: retries)
    }
}
