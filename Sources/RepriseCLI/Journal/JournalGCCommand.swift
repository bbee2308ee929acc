import ArgumentParser
import BuildJournal
import Engine

/// `reprise journal gc`: delete blobs no build or tag reaches.
struct JournalGCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Delete blobs that no recorded build or image name reaches.", discussion: CommandHelp.discussion("journal gc"))

    @OptionGroup var journalOptions: JournalOptions
    @Option(help: "Progress on stderr: auto (one line redrawn when stderr is a terminal, else none), tty, plain or quiet.")
    var progress: TaskProgressMeter.Mode = .auto

    func run() async throws {
        try await CommandFailure.reporting {
            let meter = TaskProgressMeter(progress, title: "gc")
            let collected = try journalOptions.open(create: false).collectGarbage(progress: meter.handler)
            meter.finish()
            guard let report = collected else {
                throw ValidationError("another reprise process is using the journal; run gc when it has finished")
            }
            // Killed builds' metadata-only lowers on /dev/shm (kernel memory until removed).
            let lowers = MetadataLowerHome.reclaimAbandoned()
            print("removed \(report.sweep.removedBlobs.count) blob(s), \(Formatting.bytes(report.sweep.removedBytes)); "
                  + "kept \(report.kept); removed \(report.sweep.removedIngestFiles) unfinished ingest file(s) "
                  + "and \(report.removedLayerDirectories) extracted layer(s); "
                  + "reclaimed \(report.removedScratchDirectories) scratch director(ies) of killed builds"
                  + (lowers > 0 ? " and \(lowers) of their lower directories in /dev/shm" : ""))
        }
    }
}
