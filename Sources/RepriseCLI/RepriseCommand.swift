import ArgumentParser

/// The root of `reprise`: record, replay and explain container image builds.
public struct RepriseCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "reprise",
        abstract: "Record container image builds, replay them in isolation, explain nondeterminism.",
        version: RepriseVersion.current,
        subcommands: [ImageCommand.self, JournalCommand.self]
    )

    public init() {}

    /// Parses the command line and runs the chosen subcommand; the executable's whole job.
    public static func execute() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// The version recorded in every build's host facts.
public enum RepriseVersion {
    public static let current = "0.1.0"
}
