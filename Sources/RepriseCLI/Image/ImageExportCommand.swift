import ArgumentParser
import BuildJournal
import Engine
import OCIImage

/// `reprise image export NAME --output type=oci,dest=PATH[,tar=false]`: the same `--output` as build.
struct ImageExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write an image from the journal as an OCI layout (tar or directory).", discussion: CommandHelp.discussion("image export"))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "An image name or digest.") var image: String
    @Option(name: [.short, .long], help: "PATH (a layout tar if it ends in .tar, else a layout directory) or type=oci|docker,dest=PATH[,tar=false], as for build.") var output: String

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open(create: false)
            let digest = try journal.resolveImage(named: image)
            // A bare path is an OCI layout here (an image, not a filesystem): a tar when it ends
            // in .tar, else a layout directory.
            let bare = !output.contains("=") && output != "-"
            var spec = bare ? OutputSpec(type: .oci, destination: output, tar: output.hasSuffix(".tar"))
                            : try OutputSpec(parsing: output)
            if spec.names.isEmpty, let name = try? Journal.normalizedImageName(image), (try? journal.resolveImage(name)) != nil {
                spec.names = [name]
            }
            let result = try ImageExporter(store: journal.store).export(digest, to: spec)
            Terminal.progress("exported \(result.descriptor.digest) to \(result.destination)")
        }
    }
}
