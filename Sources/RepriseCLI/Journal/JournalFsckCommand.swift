import ArgumentParser
import BuildJournal

/// `reprise journal fsck`: re-hash every blob and check every reference; non-zero on damage.
struct JournalFsckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck", abstract: "Verify every blob and every reference in the journal.")

    @OptionGroup var journalOptions: JournalOptions

    func run() async throws {
        let report = try await CommandFailure.reporting {
            try journalOptions.open(create: false).fsck { done, total in
                if Terminal.stderrIsTTY && done % 256 == 0 { Terminal.progress("checking blobs \(done)/\(total)") }
            }
        }
        for digest in report.corrupt { print("corrupt: \(digest) (content does not match its name)") }
        for (referrer, digest) in report.missing { print("missing: \(digest) (named by \(referrer))") }
        print("\(report.blobsChecked) blobs, \(Formatting.bytes(report.bytesChecked)) checked: "
              + (report.isClean ? "no damage" : "\(report.corrupt.count) corrupt, \(report.missing.count) missing"))
        if report.staleIngestFiles > 0 {
            print("\(report.staleIngestFiles) unfinished ingest file(s) from interrupted writers; 'reprise journal gc' removes them")
        }
        if !report.isClean { throw ExitCode(1) }
    }
}
