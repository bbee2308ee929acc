import ArgumentParser
import BuildJournal
import Foundation

/// `--journal DIR`, shared by every command that reads or writes the journal.
struct JournalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The journal directory (default: $REPRISE_JOURNAL, else ./.reprise).", valueName: "dir"))
    var journal: String?

    /// Absolute, since sandboxes and overlay mounts need absolute paths.
    var path: String {
        var chosen = FileManager.default.currentDirectoryPath + "/.reprise"
        if let journal {
            chosen = journal
        } else if let fromEnvironment = ProcessInfo.processInfo.environment["REPRISE_JOURNAL"], !fromEnvironment.isEmpty {
            chosen = fromEnvironment
        }
        return URL(fileURLWithPath: chosen).standardizedFileURL.path
    }

    /// Opens the journal; commands that only read pass `create: false` so a typo in a path is an
    /// error rather than a new empty journal.
    func open(create: Bool = true, index: Journal.IndexPolicy = .require) throws -> Journal {
        try Journal(root: path, create: create, index: index)
    }
}
