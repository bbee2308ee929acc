import ArgumentParser
import BuildJournal

/// `reprise journal gc`: delete blobs no build or tag reaches.
struct JournalGCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Delete blobs that no recorded build or image name reaches.", discussion: CommandHelp.discussion("journal gc"))

    @OptionGroup var journalOptions: JournalOptions

    func run() async throws {
        try await CommandFailure.reporting {
            guard let report = try journalOptions.open(create: false).collectGarbage() else {
                throw ValidationError("another reprise process is using the journal; run gc when it has finished")
            }
            print("removed \(report.sweep.removedBlobs.count) blob(s), \(Formatting.bytes(report.sweep.removedBytes)); "
                  + "kept \(report.kept); removed \(report.sweep.removedIngestFiles) unfinished ingest file(s) "
                  + "and \(report.removedLayerDirectories) extracted layer(s); "
                  + "reclaimed \(report.removedScratchDirectories) scratch director(ies) of killed builds")
        }
    }
}
