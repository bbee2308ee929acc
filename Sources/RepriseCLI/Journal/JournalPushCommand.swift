import ArgumentParser
import Foundation
import OCIImage
import Registry
import Replay

/// `reprise journal push BUILD REF`: the build's bundle as an OCI artifact in a registry, a
/// referrer of the image the build made (pushed too, by digest).
struct JournalPushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push a build's bundle to a registry as an OCI artifact referring to the build's image.",
        discussion: CommandHelp.discussion("journal push"))

    @OptionGroup var journalOptions: JournalOptions
    @OptionGroup var registryOptions: RegistryOptions
    @Argument(help: "A build id, a unique prefix of one, or an image tag.") var build: String
    @Argument(help: "HOST[:PORT]/REPOSITORY[:TAG] to push the bundle to.") var reference: String

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open(create: false)
            let id = try journal.resolveBuild(named: build)
            let target = try ImageReference(parsing: reference)
            let pushed = try await RegistryClient.using(registryOptions.configuration) { client in
                try await BundleRegistry(journal: journal, client: client).push(id, to: target)
            }
            Terminal.progress("pushed build \(id): image \(target.name)@\(pushed.image.digest)")
            print("\(target.name)@\(pushed.bundle.digest)")
        }
    }
}
