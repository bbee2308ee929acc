import ArgumentParser
import BuildJournal
import ContentStore
import Engine
import Foundation
import OCIImage
import Registry

/// `reprise image push NAME REF`: an image of the journal to a registry, byte for byte (the
/// pushed digest is the journal's digest).
struct ImagePushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push an image held in the journal to a registry; prints REF@DIGEST.",
        discussion: CommandHelp.discussion("image push"))

    @OptionGroup var journalOptions: JournalOptions
    @OptionGroup var registryOptions: RegistryOptions
    @Argument(help: "The image: a name in the journal, a digest or a unique digest prefix.") var image: String
    @Argument(help: "Where to push: HOST[:PORT]/REPOSITORY[:TAG].") var destination: String

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open(create: false)
            let digest = try journal.resolveImage(named: image)
            let target = try ImageReference(parsing: destination)
            let root = try journal.store.imageDescriptor(for: digest)
            let (pushed, statistics) = try await RegistryClient.using(registryOptions.configuration) { client in
                PulledBlobLocations.remember(in: client, journal: journal, host: target.domain)
                return (try await client.push(root, from: journal.store, to: target), client.statistics)
            }
            FileHandle.standardError.write(Data(("pushed \(statistics.blobsUploaded) blobs (\(statistics.bytesUploaded) bytes), "
                + "\(statistics.blobsAlreadyPresent) already there, \(statistics.blobsMounted) mounted\n").utf8))
            print("\(target.name)@\(pushed.digest)")
        }
    }
}
