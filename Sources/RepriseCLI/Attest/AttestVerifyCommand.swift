import ArgumentParser
import ContentStore
import Foundation
import OCIImage
import Provenance

/// `reprise attest verify FILE|LAYOUT --key KEY.pub [--image LAYOUT|DIGEST]`: checks a signed
/// provenance (signature over PAE, statement and predicate structure, subjects against the
/// image). A LAYOUT argument verifies every signed referrer of its image. Exit 0 when valid, 1
/// when not, 2 when it could not be checked.
struct AttestVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify a signed provenance (exit 0 valid, 1 invalid, 2 error).", discussion: CommandHelp.discussion("attest verify", exitStatus: "Exit status: 0 valid, 1 invalid, 2 error."))

    @Argument(help: "A DSSE envelope (JSON), or an OCI layout directory whose image has signed referrers.")
    var envelope: String
    @Option(help: "The public key (KEY.pub).") var key: String
    @Option(help: "The image the provenance must be about: an OCI layout (DIR or DIR:TAG) or a manifest digest.")
    var image: String?

    func run() async throws {
        let (documents, subjects) = try await CommandFailure.reporting(status: 2) { () throws -> ([(String, Data)], [Digest]?) in
            if FileIO.exists(envelope + "/oci-layout") {
                let (manifest, referrers) = try Self.signedReferrers(layout: envelope, tag: nil)
                let wanted = try image.map(Self.imageDigests) ?? [manifest]
                guard !referrers.isEmpty else {
                    throw ValidationError("\(envelope): no signed attestation refers to the image \(manifest)")
                }
                return (referrers, wanted)
            }
            guard let data = FileManager.default.contents(atPath: envelope) else {
                throw ValidationError("\(envelope) cannot be read")
            }
            return ([(envelope, data)], try image.map(Self.imageDigests))
        }
        let verificationKey = try await CommandFailure.reporting(status: 2) { try KeyFiles.verificationKey(at: key) }
        var valid = true
        for (name, data) in documents {
            let report = AttestationVerifier(key: verificationKey).verify(envelope: data, image: subjects)
            if report.isValid {
                Terminal.progress("\(name): valid (\(report.predicateType ?? "?"), key \(verificationKey.keyID))")
            } else {
                valid = false
                Terminal.progress("\(name): INVALID")
                for problem in report.problems { Terminal.progress("  - \(problem)") }
            }
        }
        if !valid { throw ExitCode(1) }
    }

    /// `DIR[:TAG]` → the image manifest digest (an index resolves to the host platform's manifest);
    /// `sha256:…` → itself.
    static func imageDigests(_ text: String) throws -> [Digest] {
        if let digest = Digest(text) { return [digest] }
        let (path, tag) = splitTag(text)
        let layout = try ImageLayout(at: path)
        return [try layout.resolve(tag.map { .tag($0) } ?? defaultSelector(layout)).manifestDescriptor.digest]
    }

    /// The layout's image manifest and the DSSE envelopes of the referrers whose subject it is.
    static func signedReferrers(layout path: String, tag: String?) throws -> (Digest, [(String, Data)]) {
        let layout = try ImageLayout(at: path)
        let manifest = try layout.resolve(tag.map { .tag($0) } ?? defaultSelector(layout)).manifestDescriptor.digest
        var found: [(String, Data)] = []
        for entry in layout.index.manifests where entry.artifactType == DSSEEnvelope.mediaType {
            let artifact = try CanonicalJSON.decode(ImageManifest.self,
                                                    from: layout.readBlob(entry, referencedBy: "index.json"))
            guard artifact.subject?.digest == manifest else { continue }
            for layer in artifact.layers where layer.mediaType == DSSEEnvelope.mediaType {
                found.append(("\(path)@\(entry.digest)", try layout.readBlob(layer, referencedBy: entry.digest.description)))
            }
        }
        return (manifest, found)
    }

    /// The one tagged image of a layout (referrers are listed untagged beside it).
    static func defaultSelector(_ layout: ImageLayout) -> ImageSelector? {
        let tags = layout.tags
        return tags.count == 1 ? .tag(tags[0]) : nil
    }

    static func splitTag(_ text: String) -> (String, String?) {
        guard let colon = text.lastIndex(of: ":"), !text[colon...].contains("/") else { return (text, nil) }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
