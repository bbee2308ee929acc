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
            var command = try parsedBuild(Array(CommandLine.arguments.dropFirst())) ?? parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    /// `reprise build …`, parsed by `BuildCommand` alone. Parsed from the root, `build`'s set of
    /// about fifty options is built by reflection four times (the root's lenient pass asks
    /// whether `build` captures passthrough arguments, twice, then `build`'s own pass and its
    /// all-unrecognized check); alone, twice: about 3 ms of a 40 ms cached build. Whatever
    /// `build` alone does not accept (`--help`, `--version`, any error) returns nil and is
    /// parsed again from the root, so every message and every help text stay the root's.
    static func parsedBuild(_ arguments: [String]) -> ParsableCommand? {
        guard arguments.first == BuildCommand.configuration.commandName else { return nil }
        return try? BuildCommand.parseAsRoot(Array(arguments.dropFirst())) as? BuildCommand
    }
}

