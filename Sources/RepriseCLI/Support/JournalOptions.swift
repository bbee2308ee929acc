import ArgumentParser
import BuildJournal
import Foundation

/// `--journal DIR`, shared by every command that reads or writes the journal.
struct JournalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The journal directory (default: $REPRISE_JOURNAL, else /var/lib/reprise as root, "
            + "$XDG_DATA_HOME/reprise otherwise).", valueName: "dir"))
    var journal: String?

    /// Absolute, since sandboxes and overlay mounts need absolute paths.
    var path: String {
        let environment = ProcessInfo.processInfo.environment
        var chosen = Self.defaultLocation(environment: environment, isRoot: geteuid() == 0)
        if let journal {
            chosen = journal
        } else if let fromEnvironment = environment["REPRISE_JOURNAL"], !fromEnvironment.isEmpty {
            chosen = fromEnvironment
        }
        return URL(fileURLWithPath: chosen).standardizedFileURL.path
    }

    /// Where builders keep their state, never the directory a build runs in (which is usually
    /// its context): `/var/lib/reprise` for root, as `/var/lib/buildkit`; else the user's data
    /// directory by the XDG rules.
    static func defaultLocation(environment: [String: String], isRoot: Bool) -> String {
        if isRoot { return "/var/lib/reprise" }
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/reprise" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/reprise"
    }

    /// Opens the journal; commands that only read pass `create: false` so a typo in a path is an
    /// error rather than a new empty journal.
    /// `indexLog`: see ``Journal/IndexLog`` (builds keep the index's WAL for the next process).
    func open(create: Bool = true, index: Journal.IndexPolicy = .require,
              indexLog: Journal.IndexLog = .checkpointOnClose) throws -> Journal {
        try Journal(root: path, create: create, index: index, indexLog: indexLog)
    }
}
