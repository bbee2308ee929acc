import ArgumentParser

/// `reprise key …`: signing keys for attestations.
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Make keys that sign attestations.", discussion: CommandHelp.discussion("key"),
        subcommands: [KeyGenerateCommand.self]
    )
}
