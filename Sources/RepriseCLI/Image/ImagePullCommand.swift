import ArgumentParser
import BuildJournal
import ContentStore
import Foundation
import OCIImage
import Registry

/// `reprise image pull REF`: an image from a registry into the journal, named by REF.
struct ImagePullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Pull an image from a registry into the journal (by tag or digest).",
        discussion: CommandHelp.discussion("image pull"))

    @OptionGroup var journalOptions: JournalOptions
    @OptionGroup var registryOptions: RegistryOptions
    @Argument(help: "HOST[:PORT]/REPOSITORY[:TAG|@DIGEST].") var reference: String
    @Option(help: "The platform to pick from an index (default: linux/amd64).") var platform: String?
    @Option(help: "Name to give the image (default: the reference).") var name: String?
    @Flag(name: .customLong("no-verify-layers"),
          help: "Check blob digests only (as skopeo copy does), not that each layer is the tar its diff id names.")
    var noVerifyLayers = false

    func run() async throws {
        try await CommandFailure.reporting {
            let reference = try ImageReference(parsing: self.reference)
            var wanted = Platform.linuxAMD64
            if let platform {
                guard let parsed = Platform(parsing: platform) else {
                    throw ValidationError("--platform \(platform): expected os/arch[/variant]")
                }
                wanted = parsed
            }
            let journal = try journalOptions.open()
            let verify = !noVerifyLayers
            let pulled = try await RegistryClient.using(registryOptions.configuration) { client in
                // Layers checked against the config's diff ids, as `image import` does.
                try await client.pull(reference, platform: wanted, into: journal.store, verifyLayers: verify)
            }
            try journal.registerImage(manifest: pulled.root.digest, config: pulled.image.configDescriptor.digest,
                                      source: "pull:\(pulled.reference)")
            let chosen = try name.map { try ImageReference(parsing: $0).description } ?? reference.description
            try journal.tag(chosen, manifest: pulled.root.digest)
            print("\(pulled.root.digest)  \(chosen)")
        }
    }
}
