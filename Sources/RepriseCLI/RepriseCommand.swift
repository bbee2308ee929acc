import ArgumentParser

/// The root of `reprise`: record, replay and explain container image builds.
public struct RepriseCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "reprise",
        abstract: "Record container image builds, replay them in isolation, explain nondeterminism.",
        subcommands: []
    )
    public init() {}
}
