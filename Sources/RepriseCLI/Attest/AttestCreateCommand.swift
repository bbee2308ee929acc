import ArgumentParser
import BuildJournal
import ContentStore
import Engine
import Foundation
import OCIImage
import Provenance

/// `reprise attest BUILD [-o FILE] [--mode min|max] [--key KEY] [--attach LAYOUT]`: the SLSA v1
/// provenance of a recorded build as an in-toto statement, or signed, as a DSSE envelope; with
/// `--attach`, the envelope also goes into an OCI layout as a referrer of the image.
struct AttestCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Write the SLSA provenance of a recorded build.", discussion: CommandHelp.discussion("attest create"))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "A build id, a unique prefix of one, or an image tag.") var build: String
    @Option(name: [.short, .long], help: "Write to FILE instead of standard output.") var output: String?
    @Option(help: "min or max, as buildx's provenance modes.") var mode: ProvenanceMode = .max
    @Option(help: "Sign with this private key (from `reprise key generate`): writes a DSSE envelope.")
    var key: String?
    @Option(help: "Also attach the signed envelope to the image in this OCI layout directory, as an OCI 1.1 referrer.")
    var attach: String?

    func validate() throws {
        if attach != nil && key == nil { throw ValidationError("--attach needs --key: only signed envelopes are attached") }
    }

    func run() async throws {
        try await CommandFailure.reporting(status: 2) {
            let journal = try journalOptions.open(create: false)
            let record = try journal.build(id: journal.resolveBuild(named: build))
            let statement = try ProvenanceBuilder(journal: journal, mode: mode).statement(for: record)
            let payload = try statement.canonicalData()
            var document = payload
            if let key {
                let envelope = try DSSEEnvelope.signed(payload: payload, payloadType: InTotoStatement<SLSAProvenance>.mediaType,
                                                       with: try KeyFiles.signingKey(at: key))
                document = try envelope.canonicalData()
                if let attach, let manifest = record.manifest {
                    try attachReferrer(document, subject: manifest, journal: journal, layout: attach)
                }
            }
            if let output {
                // Absolute: the atomic write makes its temporary file beside the target's directory.
                try FileIO.writeFileAtomically(URL(fileURLWithPath: output).standardizedFileURL.path, document)
            } else {
                FileHandle.standardOutput.write(document + Data("\n".utf8))
            }
        }
    }

    /// Adds the envelope to the layout: the artifact manifest (its `subject` the image) and its
    /// blobs go through the store, then into the layout without a tag.
    private func attachReferrer(_ envelope: Data, subject manifest: Digest, journal: Journal, layout: String) throws {
        let image = try ImageLayout(at: layout)
        let imageBlob = try journal.store.imageDescriptor(for: manifest)
        guard image.contains(manifest) else {
            throw ValidationError("\(layout) does not hold the image \(manifest) of this build")
        }
        let referrer = try ReferrerManifest(store: journal.store).store(
            blob: envelope, mediaType: DSSEEnvelope.mediaType, artifactType: DSSEEnvelope.mediaType,
            annotations: [AttestationManifest.predicateTypeKey: SLSAProvenance.predicateType],
            subject: imageBlob)
        try ImageLayoutWriter(store: journal.store).writeDirectory(at: layout, entries: [LayoutEntry(descriptor: referrer)])
    }
}

extension ProvenanceMode: ExpressibleByArgument {}
