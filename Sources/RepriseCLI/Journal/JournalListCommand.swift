import ArgumentParser
import DisplayText
import BuildJournal

/// `reprise journal ls`: the recorded builds, newest first.
struct JournalListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List recorded builds.", discussion: CommandHelp.discussion("journal ls"))

    @OptionGroup var journalOptions: JournalOptions
    @Flag(help: "Print JSON.") var json = false
    @Flag(name: .shortAndLong, help: "Print build ids only.") var quiet = false

    func run() async throws {
        try await CommandFailure.reporting {
            let builds = try journalOptions.open(create: false).listBuilds()
            if json { return try Terminal.printJSON(builds) }
            if quiet { return builds.forEach { print(DisplayText.escaped($0.id)) } }
            // Fits 100 columns: ids as unique prefixes (any command takes them), minutes, and a
            // replay's Dockerfile (a temporary copy) shown as what it replays.
            var rows = [["BUILD", "KIND", "STATUS", "STARTED (UTC)", "DOCKERFILE", "IMAGE"]]
            for build in builds {
                let dockerfile = build.replayOf != nil ? "(recorded)" : Self.shortened(build.dockerfilePath, to: 14)
                rows.append([String(build.id.prefix(12)),
                             build.kind + (build.replayOf.map { " of " + String($0.prefix(12)) } ?? ""), build.status,
                             String(Formatting.timestamp(build.startedAt).prefix(16)).replacingOccurrences(of: "T", with: " "),
                             dockerfile, build.manifestDigest.map { String($0.dropFirst(7).prefix(10)) } ?? "-"])
            }
            print(Formatting.table(rows))
        }
    }

    /// The end of a long path, which names the file: `…/app/ctx/Dockerfile`.
    static func shortened(_ path: String, to width: Int) -> String {
        path.count <= width ? path : "…" + String(path.suffix(width - 1))
    }
}
