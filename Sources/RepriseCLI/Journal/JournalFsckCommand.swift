import ArgumentParser
import BuildJournal
import ContentStore
import DisplayText

/// `reprise journal fsck`: re-hash every blob and check every reference; non-zero on damage.
struct JournalFsckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck", abstract: "Verify every blob and every reference in the journal.", discussion: CommandHelp.discussion("journal fsck", exitStatus: "Exit status: 0 when every blob and reference checks out, 1 when something is damaged (each problem is listed)."))

    @OptionGroup var journalOptions: JournalOptions
    @Flag(help: "Also make every COPY/ADD layer kept as a recipe again (into hashers, nothing is written) and check its digest: what an export or push would get with this machine's zlib.")
    var deep = false
    @Option(help: "Progress on stderr: auto (one line redrawn when stderr is a terminal, else none), tty, plain or quiet.")
    var progress: TaskProgressMeter.Mode = .auto

    func run() async throws {
        // `.inspect`: a missing or unreadable index is damage to report, not a reason to refuse.
        let meter = TaskProgressMeter(progress, title: "fsck")
        let report = try await CommandFailure.reporting {
            defer { meter.finish() }
            let report = try journalOptions.open(create: false, index: .inspect).fsck(deep: deep) { done, total in
                meter.handler?(WorkProgress(phase: "checking blobs", done: done, total: total))
            }
            meter.handler?(WorkProgress(phase: "checking blobs", done: report.blobsChecked, total: report.blobsChecked,
                                        bytes: report.bytesChecked))
            return report
        }
        func show(_ line: String) { print(DisplayText.escaped(line)) }
        for digest in report.corrupt { show("corrupt: \(digest) (content does not match its name)") }
        for (digest, reason) in report.unmakableDeltas { show("delta cannot be made: \(digest): \(reason)") }
        for (referrer, digest) in report.missing { show("missing: \(digest) (named by \(referrer))") }
        for ref in report.damagedRefs { show("damaged ref: \(ref)") }
        for record in report.unreadableRecords { show("unreadable record: \(record)") }
        if let damage = report.indexDamage { show("damaged index: \(damage)") }
        for (digest, reason) in report.unremakable { show("layer not remade: \(digest): \(reason)") }
        let problems = report.corrupt.count + report.missing.count + report.damagedRefs.count
            + report.unreadableRecords.count + (report.indexDamage == nil ? 0 : 1) + report.unremakable.count
            + report.unmakableDeltas.count
        print("\(report.blobsChecked) blobs, \(Formatting.bytes(report.bytesChecked)) checked: "
              + (report.isClean ? "no damage" : "\(report.corrupt.count) corrupt, \(report.missing.count) missing, "
                 + "\(problems - report.corrupt.count - report.missing.count) other problem(s)"))
        if deep {
            print("\(report.layersRemade) layer(s) kept as recipes made again and matched"
                  + (report.unremakable.isEmpty ? "" : "; \(report.unremakable.count) did not"))
        }
        if !report.unindexed.isEmpty {
            show("\(report.unindexed.count) ref(s) not in the index yet (\(report.unindexed.prefix(3).joined(separator: ", "))); "
                 + "'reprise journal reindex' catches it up")
        }
        if report.staleIngestFiles > 0 {
            print("\(report.staleIngestFiles) unfinished ingest file(s) from interrupted writers; 'reprise journal gc' removes them")
        }
        if !report.isClean {
            print("'reprise journal reindex' rebuilds the index and restores damaged refs where the blobs allow")
            throw ExitCode(1)
        }
    }
}
