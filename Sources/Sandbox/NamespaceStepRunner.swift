import Foundation
import Synchronization

/// The real ``StepRunner``: runs each command as pid 2 of fresh mount, pid, uts, ipc and (unless
/// the network is `host`) network namespaces, on an overlay of the spec's layers. Needs root.
///
/// What happens on the host: a scratch directory per run below ``scratchDirectory`` (an empty
/// mount point, the scaffold layer, the hosts/hostname files), removed when the run ends. All
/// mounts exist only in the sandbox's mount namespace and vanish with it. The sandbox is killed
/// when the task is cancelled, and by the kernel when this process dies (parent-death signal), so
/// nothing keeps running; call ``removeAbandonedScratch()`` at start-up to sweep the scratch of a
/// process that was SIGKILLed.
///
/// After `run` returns, the spec's upper directory holds exactly the command's changes (overlayfs
/// format: whiteouts as 0/0 character devices, opaque directories by `trusted.overlay.opaque`;
/// overlayfs may also set other `trusted.overlay.*` xattrs on copied-up entries, which a layer
/// must not carry). The work directory is overlayfs's own and can be deleted.
public struct NamespaceStepRunner: StepRunner {
    /// Parent directory of the per-run scratch directories.
    public let scratchDirectory: String
    /// How steps get their cgroups (``ControlGroupHost/current`` unless a test says otherwise).
    /// Detected at the first step that runs, not when the runner is made: a fully cached build
    /// runs nothing and should not read mountinfo or make cgroup directories.
    public var controlGroupHost: ControlGroupHost { chosenControlGroupHost ?? .current }
    private let chosenControlGroupHost: ControlGroupHost?
    /// The "limits not enforced" warning is given with the first step only.
    private let noticeGiven = NoticeFlag()

    /// - Parameter scratchDirectory: where per-run scratch goes; default
    ///   `$TMPDIR/reprise-sandbox`. It holds only small files; the step's writes go to the upper.
    public init(scratchDirectory: String? = nil, controlGroupHost: ControlGroupHost? = nil) {
        self.scratchDirectory = scratchDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("reprise-sandbox").path
        self.chosenControlGroupHost = controlGroupHost
    }

    /// Whether this process can create sandboxes (it must be root).
    public static var isSupported: Bool {
        geteuid() == 0
    }

    public func run(_ spec: SandboxSpec, output: (@Sendable (StepOutputChunk) -> Void)?)
        async throws -> StepResult
    {
        try Task.checkCancellation()
        let run = SandboxRun(spec: spec, scratchParent: scratchDirectory, controlGroupHost: controlGroupHost,
                             output: output)
        var result = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                run.start { continuation.resume(with: $0) }
            }
        } onCancel: {
            run.cancel()
        }
        if result.limitsNotice != nil, noticeGiven.state.exchange(true, ordering: .relaxed) {
            result.limitsNotice = nil
        }
        return result
    }

    /// Removes scratch directories left by processes that no longer exist (e.g. SIGKILLed).
    /// Returns what was removed.
    @discardableResult
    public func removeAbandonedScratch() -> [String] {
        RunScratch.sweepAbandoned(in: scratchDirectory)
    }
}

/// Whether a one-time notice was given (a class, so copies of the runner share it).
private final class NoticeFlag: Sendable {
    let state = Atomic<Bool>(false)
}
