import Sandbox
import Testing

/// Parent of every suite that uses the real sandbox, as root. Serialized as a whole: the host-side
/// checks (mount table, child processes, scratch) would otherwise see other suites' sandboxes.
@Suite(.serialized,
       .enabled(if: NamespaceStepRunner.isSupported,
                "the real sandbox needs root (clone with new namespaces, mount); run the tests as root"))
struct RealSandboxTests {}
