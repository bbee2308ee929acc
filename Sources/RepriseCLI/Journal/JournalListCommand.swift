import ArgumentParser
import DisplayText
import BuildJournal

/// `reprise journal ls`: the recorded builds, newest first.
struct JournalListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List recorded builds.")

    @OptionGroup var journalOptions: JournalOptions
    @Flag(help: "Print JSON.") var json = false
    @Flag(name: .shortAndLong, help: "Print build ids only.") var quiet = false

    func run() async throws {
        try await CommandFailure.reporting {
            let builds = try journalOptions.open(create: false).listBuilds()
            if json { return try Terminal.printJSON(builds) }
            if quiet { return builds.forEach { print(DisplayText.escaped($0.id)) } }
            var rows = [["BUILD", "KIND", "STATUS", "STARTED", "DOCKERFILE", "IMAGE"]]
            for build in builds {
                rows.append([build.id, build.kind + (build.replayOf.map { " of \($0)" } ?? ""), build.status,
                             Formatting.timestamp(build.startedAt), build.dockerfilePath,
                             build.manifestDigest.map { String($0.dropFirst(7).prefix(12)) } ?? "-"])
            }
            print(Formatting.table(rows))
        }
    }
}
