#if canImport(Glibc)
import Glibc
#endif
import CSandbox
import Foundation
import Synchronization

/// One execution of a ``SandboxSpec``, from preparing scratch to reaping the sandbox, run
/// synchronously on a dedicated thread.
///
/// The thread matters: the child's PR_SET_PDEATHSIG fires when the *thread* that cloned it exits,
/// so the cloning thread must outlive the child; and waiting must not hold a thread of Swift's
/// small cooperative pool for the length of a build step.
final class SandboxRun: Sendable {
    private struct CancellationState {
        var pidfd: Int32?
        var cancelled = false
    }

    private let spec: SandboxSpec
    private let scratchParent: String
    private let controlGroupHost: ControlGroupHost
    private let output: (@Sendable (StepOutputChunk) -> Void)?
    private let cancellation = Mutex(CancellationState())

    init(spec: SandboxSpec, scratchParent: String, controlGroupHost: ControlGroupHost,
         output: (@Sendable (StepOutputChunk) -> Void)?)
    {
        self.spec = spec
        self.scratchParent = scratchParent
        self.controlGroupHost = controlGroupHost
        self.output = output
    }

    /// Kills the sandbox (SIGKILL to its pid 1 takes the whole pid namespace down). Safe to call
    /// from any thread, before, during or after the run.
    func cancel() {
        cancellation.withLock { state in
            state.cancelled = true
            if let pidfd = state.pidfd { _ = csb_pidfd_send_signal(pidfd, SIGKILL) }
        }
    }

    /// Runs on a new thread and resumes with the outcome.
    func start(completion: @escaping @Sendable (Result<StepResult, any Error>) -> Void) {
        let thread = Thread { [self] in
            completion(Result { try self.execute() })
        }
        thread.name = "reprise-sandbox"
        thread.start()
    }

    /// Prepares, runs and cleans up; blocks until the sandbox has been reaped.
    func execute() throws -> StepResult {
        try validate()
        let scratch = try RunScratch.create(in: scratchParent)
        defer { scratch.remove() }
        let view = LayeredRootView(layers: [spec.upperDirectory] + spec.lowerDirectories, lowerData: spec.lowerData)
        let user: ResolvedUser
        do {
            user = try UserDatabase(view: view).resolve(spec.user)
        } catch let error as UserDatabase.LookupError {
            throw SandboxError.unknownUser(error.description)
        }
        var scaffold = MountPointScaffold(view: view, directory: scratch.scaffold)
        try scaffold.prepareKernelFilesystemMountPoints()
        // Files on a private tmpfs rather than binds of scratch files: a bind's source path
        // (under the journal) would show in the step's /proc/self/mountinfo.
        let builtIn: [SandboxMount] = [
            SandboxMount(target: "/etc/hosts", kind: .file(contents: Array(spec.effectiveHostsFile.utf8),
                                                           mode: 0o644, uid: 0, gid: 0, readOnly: false)),
            SandboxMount(target: "/etc/hostname", kind: .file(contents: Array((spec.hostname + "\n").utf8),
                                                              mode: 0o644, uid: 0, gid: 0, readOnly: false)),
        ]
        for mount in builtIn + spec.mounts { try scaffold.prepare(mount) }
        for appendix in spec.fileAppendices { try scaffold.prepare(appendix) }
        try scaffold.finish()

        if cancellation.withLock({ $0.cancelled }) { throw CancellationError() }
        let controlGroup = try StepControlGroup.create(limits: spec.limits, host: controlGroupHost)
        defer { controlGroup?.remove() }
        let clock = ContinuousClock()
        let started = clock.now
        let outcome = try launchAndWait(inputs: NativeLaunchConfiguration.Inputs(
            spec: spec, user: user, rootMountPoint: scratch.rootMountPoint,
            stageDirectory: scratch.stage, scaffoldDirectory: scratch.scaffold, mounts: scaffold.prepared,
            stdoutDescriptor: -1, stderrDescriptor: -1,
            controlGroupDescriptors: controlGroup?.descriptors ?? []))
        let duration = clock.now - started
        try AppendixStripper(upperDirectory: spec.upperDirectory, extended: scaffold.extended).strip()
        let limitReached = controlGroup?.limitHit()
        let notice = controlGroupHost.unenforced(spec.limits)

        if let failure = outcome.setupFailure {
            let target = failure.step == Int32(CSB_STEP_MOUNT.rawValue)
                && scaffold.prepared.indices.contains(Int(failure.detail))
                ? scaffold.prepared[Int(failure.detail)].mount.target : nil
            var step = String(cString: csb_step_name(failure.step))
            if failure.step == Int32(CSB_STEP_RLIMIT.rawValue), spec.limits.ulimits.indices.contains(Int(failure.detail)) {
                // Name the --ulimit: raising a hard limit fails without CAP_SYS_RESOURCE.
                step += " " + spec.limits.ulimits[Int(failure.detail)].description
            }
            throw SandboxError.setupFailed(step: step, errno: failure.error_number, mountTarget: target)
        }
        guard let status = outcome.payloadStatus else {
            if cancellation.withLock({ $0.cancelled }) { throw CancellationError() }
            // The OOM killer may pick the sandbox's init too: that is still the step's limit.
            if let limitReached {
                return StepResult(status: .signaled(SIGKILL), stdout: outcome.stdout, stderr: outcome.stderr,
                                  duration: duration, limitReached: limitReached, limitsNotice: notice)
            }
            throw SandboxError.sandboxKilled(signal: outcome.initStatus & 0x7f)
        }
        return StepResult(status: ExitStatus(waitStatus: status), stdout: outcome.stdout,
                          stderr: outcome.stderr, duration: duration, limitReached: limitReached,
                          limitsNotice: notice)
    }

    private func validate() throws {
        guard !spec.arguments.isEmpty else { throw SandboxError.invalidSpec("empty command") }
        for (name, path) in [("upper directory", spec.upperDirectory),
                             ("work directory", spec.workDirectory)]
            + spec.lowerDirectories.map({ ("lower directory", $0) })
            + (spec.lowerData.map { [("lower data directory", $0.directory)] } ?? [])
        {
            var isDirectory: ObjCBool = false
            guard path.hasPrefix("/"),
                  FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
                  isDirectory.boolValue
            else { throw SandboxError.invalidSpec("\(name) \(path) is not an absolute directory") }
        }
        guard spec.workingDirectory.hasPrefix("/") else {
            throw SandboxError.invalidSpec("working directory \(spec.workingDirectory) is relative")
        }
    }

    /// Clones the sandbox, collects its output and reports, and reaps it.
    private func launchAndWait(inputs: NativeLaunchConfiguration.Inputs) throws -> SandboxOutcome {
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        guard csb_pipe2(&stdoutPipe, O_CLOEXEC) == 0 else { throw SandboxError.spawnFailed(errno: errno) }
        let stderrResult = csb_pipe2(&stderrPipe, O_CLOEXEC)
        guard stderrResult == 0 else {
            close(stdoutPipe[0]); close(stdoutPipe[1])
            throw SandboxError.spawnFailed(errno: -stderrResult)
        }
        var inputs = inputs
        do {
            inputs.seccompProgram = inputs.spec.seccomp ? try SeccompFilter.program.get() : nil
        } catch {
            close(stdoutPipe[0]); close(stdoutPipe[1]); close(stderrPipe[0]); close(stderrPipe[1])
            throw error
        }
        inputs.stdoutDescriptor = stdoutPipe[1]
        inputs.stderrDescriptor = stderrPipe[1]
        var namespaceDescriptor: Int32 = -1
        if let path = inputs.spec.networkNamespacePath, inputs.spec.network == .none {
            namespaceDescriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard namespaceDescriptor >= 0 else {
                let error = errno
                close(stdoutPipe[0]); close(stdoutPipe[1]); close(stderrPipe[0]); close(stderrPipe[1])
                throw SandboxError.spawnFailed(errno: error)
            }
            inputs.networkNamespaceDescriptor = namespaceDescriptor
        }
        defer { if namespaceDescriptor >= 0 { close(namespaceDescriptor) } }
        var process = csb_process()
        let spawnResult = withExtendedLifetime(NativeLaunchConfiguration(inputs)) { native in
            var config = native.config
            return csb_spawn(&config, &process)
        }
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard spawnResult == 0 else {
            close(stdoutPipe[0]); close(stderrPipe[0])
            throw SandboxError.spawnFailed(errno: -spawnResult)
        }
        cancellation.withLock { state in
            state.pidfd = process.pidfd
            if state.cancelled { _ = csb_pidfd_send_signal(process.pidfd, SIGKILL) }
        }
        var collector = SandboxOutputCollector(
            errorDescriptor: process.error_fd, statusDescriptor: process.status_fd,
            stdoutDescriptor: stdoutPipe[0], stderrDescriptor: stderrPipe[0],
            pidfd: process.pidfd, output: output)
        collector.collect()
        var initStatus: Int32 = 0
        let waitResult = csb_pidfd_wait(process.pidfd, &initStatus)
        // Forget the pidfd before closing it, so a late cancel cannot signal a reused number.
        cancellation.withLock { $0.pidfd = nil }
        close(process.pidfd)
        guard waitResult == 0 else { throw SandboxError.spawnFailed(errno: -waitResult) }
        return SandboxOutcome(setupFailure: collector.setupFailure,
                              payloadStatus: collector.payloadStatus, initStatus: initStatus,
                              stdout: collector.stdout, stderr: collector.stderr)
    }
}

/// What the parent learned from one sandbox.
struct SandboxOutcome {
    var setupFailure: csb_setup_error?
    var payloadStatus: Int32?
    var initStatus: Int32
    var stdout: [UInt8]
    var stderr: [UInt8]
}
