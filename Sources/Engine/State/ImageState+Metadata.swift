import Frontend
import OCIImage

/// The instructions that change only the image configuration, applied as BuildKit applies them.
extension ImageState {
    /// Applies a configuration-only instruction. Returns false for instructions that are not
    /// configuration-only (RUN, COPY, ADD, WORKDIR, FROM, ARG), which the engine runs itself.
    mutating func applyMetadata(_ instruction: Instruction, stage: inout StageFlags) -> Bool {
        var config = containerConfig
        switch instruction {
        case .env(let env):
            for pair in env.pairs { setEnvironment(pair.key, pair.value) }
            return true
        case .label(let label):
            var labels = config.labels ?? [:]
            for pair in label.pairs { labels[pair.key] = pair.value }
            config.labels = labels
        case .expose(let expose):
            var ports = config.exposedPorts ?? []
            for port in expose.ports { ports.insert(port.contains("/") ? port.lowercased() : port + "/tcp") }
            config.exposedPorts = ports
        case .volume(let volume):
            var volumes = config.volumes ?? []
            for path in volume.paths where !path.isEmpty { volumes.insert(path) }
            config.volumes = volumes
        case .user(let user):
            config.user = user.value
        case .stopSignal(let signal):
            config.stopSignal = signal.value
        case .maintainer(let maintainer):
            configuration.author = maintainer.value
            return true
        case .shell(let shell):
            config.shell = shell.shell
        case .cmd(let command):
            config.cmd = argv(command.command)
            config.argsEscaped = nil
            stage.cmdSet = true
        case .entrypoint(let command):
            config.entrypoint = argv(command.command)
            // An ENTRYPOINT resets a CMD inherited from the base image (not one set in this stage).
            if !stage.cmdSet { config.cmd = nil }
        case .healthcheck(let check):
            switch check.kind {
            case .none:
                config.healthcheck = ContainerConfig.Healthcheck(test: ["NONE"])
            case .command(let form):
                let test: [String] = switch form {
                case .exec(let words): ["CMD"] + words
                case .shell(let text): ["CMD-SHELL", text]
                }
                config.healthcheck = ContainerConfig.Healthcheck(
                    test: test, interval: check.intervalNanoseconds, timeout: check.timeoutNanoseconds,
                    startPeriod: check.startPeriodNanoseconds, startInterval: check.startIntervalNanoseconds,
                    retries: check.retries)
            }
        case .onbuild(let trigger):
            config.onBuild = (config.onBuild ?? []) + [trigger.expression]
        case .from, .run, .copy, .add, .workdir, .arg:
            return false
        }
        containerConfig = config
        return true
    }

    /// CMD/ENTRYPOINT/RUN arguments: exec form as written, shell form through the stage's SHELL.
    func argv(_ form: CommandForm) -> [String] {
        switch form {
        case .exec(let words): words
        case .shell(let text): shell + [text]
        }
    }
}

/// What a stage has done so far that changes how later instructions behave.
struct StageFlags: Sendable, Hashable {
    /// CMD was set in this stage (so ENTRYPOINT keeps it).
    var cmdSet = false
}
