import ArgumentParser

/// `reprise key …`: signing keys for attestations.
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Make keys that sign attestations.",
        subcommands: [KeyGenerateCommand.self]
    )
}
