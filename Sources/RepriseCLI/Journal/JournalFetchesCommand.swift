import ArgumentParser
import BuildJournal
import ContentStore
import DisplayText
import Foundation

/// `reprise journal fetches BUILD`: what the build's steps fetched through the network recorder.
struct JournalFetchesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetches", abstract: "List what a build's steps fetched from the network, in order.",
        discussion: CommandHelp.discussion("journal fetches"))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "A build id, a unique prefix of one, or an image tag.") var build: String
    @Flag(help: "Print the fetches as JSON.") var json = false
    @Flag(help: "Include DNS answers.") var dns = false

    struct Entry: Encodable {
        var step: Int
        var line: Int?
        var instruction: String
        var fetch: FetchRecord
    }

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open(create: false)
            let record = try journal.build(id: journal.resolveBuild(named: build))
            let entries = try journal.steps(of: record).flatMap { step in
                (step.fetches ?? []).filter { dns || $0.kind != .dns }.map {
                    Entry(step: step.index, line: step.location?.startLine, instruction: step.text, fetch: $0)
                }
            }
            if json { return try Terminal.printJSON(entries) }
            print(FetchTable.render(entries.map { ($0.step, $0.fetch) }))
        }
    }
}

/// The table `journal fetches` prints and the lines `journal show` lists under a step.
enum FetchTable {
    static func line(_ fetch: FetchRecord) -> String {
        let status = fetch.status.map(String.init) ?? (fetch.kind == .refused ? "refused" : fetch.kind == .tunnel ? "tunnel" : "-")
        var text = "\(fetch.method) \(fetch.url) \(status)"
        if let body = fetch.body { text += " \(body.short)" }
        if let size = fetch.size { text += " (\(Formatting.bytes(size)))" }
        if let note = fetch.note { text += " — \(note)" }
        return DisplayText.escaped(text)
    }

    static func render(_ rows: [(step: Int, fetch: FetchRecord)]) -> String {
        guard !rows.isEmpty else { return "no fetches recorded" }
        var lines = ["STEP  KIND     METHOD  STATUS   SIZE       DIGEST        URL"]
        for (step, fetch) in rows {
            let status = fetch.status.map(String.init) ?? (fetch.kind == .refused ? "refused" : "-")
            let size = fetch.size.map { Formatting.bytes($0) } ?? "-"
            let digest = fetch.body?.short ?? "-"
            let url = DisplayText.escaped(fetch.url) + (fetch.note.map { "  (\(DisplayText.escaped($0)))" } ?? "")
            lines.append(pad(String(step), 6) + pad(fetch.kind.rawValue, 9) + pad(fetch.method, 8) + pad(status, 9)
                         + pad(size, 11) + pad(digest, 14) + url)
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
