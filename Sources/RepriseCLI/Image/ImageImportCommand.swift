import ArgumentParser
import BuildJournal
import ContentStore
import Engine
import Foundation
import OCIImage

/// `reprise image import SOURCE --name NAME`: an OCI layout (dir or tar,
/// `oci-layout://PATH[:TAG|@DIGEST]`), a `docker save` tar or a rootfs tar into the journal.
struct ImageImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an OCI layout, a docker-archive tar or a rootfs tar into the journal.")

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "PATH or oci-layout://PATH[:TAG|@DIGEST].") var source: String
    @Option(help: "Name to give the image (default: the layout's tag name, if any).") var name: String?

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open()
            let importer = ImageImporter(store: journal.store)
            let image: ResolvedImage
            if source.hasPrefix("oci-layout://") {
                image = try importer.importImage(from: LayoutReference(parsing: String(source.dropFirst(13))))
            } else {
                guard FileManager.default.fileExists(atPath: source) else {
                    throw ValidationError("\(source): no such file or directory")
                }
                image = try importer.importImage(at: source)
            }
            try journal.registerImage(manifest: image.root.digest, config: image.configDescriptor.digest,
                                      source: "import:\(source)")
            let chosen = name ?? image.root.annotations?["io.containerd.image.name"]
                ?? image.root.annotations?["org.opencontainers.image.ref.name"].flatMap { tag in
                    tag.contains(":") || tag.contains("/") ? tag : nil
                }
            if let chosen {
                try journal.tag(Journal.normalizedImageName(chosen), manifest: image.root.digest)
                print("\(image.root.digest)  \(Journal.familiarImageName(try Journal.normalizedImageName(chosen)))")
            } else {
                print(image.root.digest)
            }
        }
    }
}
