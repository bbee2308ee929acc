import ArgumentParser
import Engine

/// The root of `reprise`: record, replay and explain container image builds.
public struct RepriseCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "reprise",
        abstract: "Record container image builds, replay them in isolation, explain nondeterminism.", discussion: CommandHelp.discussion("reprise"),
        version: RepriseVersion.current,
        subcommands: [BuildCommand.self, ReplayCommand.self, VerifyCommand.self, DiffCommand.self, ImageCommand.self,
                      JournalCommand.self, AttestCommand.self, KeyCommand.self, BisectCommand.self, RunCommand.self]
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

