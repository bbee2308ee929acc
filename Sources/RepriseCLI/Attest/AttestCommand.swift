import ArgumentParser

/// `reprise attest …`: SLSA provenance of recorded builds, signed or not, and its verification.
/// `reprise attest BUILD` is `reprise attest create BUILD`.
struct AttestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest",
        abstract: "Write and verify SLSA provenance of recorded builds.", discussion: CommandHelp.discussion("attest"),
        subcommands: [AttestCreateCommand.self, AttestVerifyCommand.self, AttestRebuildCommand.self],
        defaultSubcommand: AttestCreateCommand.self
    )
}
