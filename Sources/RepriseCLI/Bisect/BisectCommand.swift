import ArgumentParser
import Bisect
import BuildJournal
import Engine
import Foundation

/// `reprise bisect`: find the input change (or the commit) that flipped a build's outcome.
struct BisectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bisect",
        abstract: "Find the input change or commit that broke a build or made it differ.",
        discussion: """
            With --good A --bad B (two recorded builds), the difference between their inputs is \
            split into changes (context files, Dockerfile hunks, build args, base images, cache-mount \
            states…) and delta debugging finds a minimal set that flips the outcome; every probe is a \
            hybrid build assembled from the journal alone and built with the step cache. With --git \
            REPO, --good and --bad are revisions and the first-parent range is binary-searched as \
            `git bisect run` does, each revision's tree built as the context. Predicates and options: \
            `reprise bisect run --help` (`run` may be left out); Docs/bisect.md describes the report.

            """ + CommandHelp.discussion("bisect", exitStatus: CommandHelp.bisectExitStatus),
        subcommands: [BisectRunCommand.self, BisectLogCommand.self],
        defaultSubcommand: BisectRunCommand.self)
}
