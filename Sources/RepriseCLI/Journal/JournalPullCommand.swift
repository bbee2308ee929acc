import ArgumentParser
import Foundation
import OCIImage
import Registry
import Replay

/// `reprise journal pull REF`: a build bundle from a registry into the journal, ready to replay.
struct JournalPullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Pull a build bundle (or the newest bundle referring to an image) from a registry into the journal.",
        discussion: CommandHelp.discussion("journal pull"))

    @OptionGroup var journalOptions: JournalOptions
    @OptionGroup var registryOptions: RegistryOptions
    @Argument(help: "The bundle, or an image with a bundle referrer: HOST[:PORT]/REPOSITORY[:TAG|@DIGEST].")
    var reference: String

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open()
            let source = try ImageReference(parsing: reference)
            let id = try await RegistryClient.using(registryOptions.configuration) { client in
                try await BundleRegistry(journal: journal, client: client).pull(source)
            }
            print(id)
        }
    }
}
