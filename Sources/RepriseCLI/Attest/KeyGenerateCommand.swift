import ArgumentParser
import ContentStore
import Foundation
import Provenance

/// `reprise key generate -o KEY`: a PKCS#8 PEM private key readable by its owner only, and
/// `KEY.pub` beside it. An existing file is never overwritten: losing a signing key by a typo
/// cannot be undone.
struct KeyGenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate a signing key pair (KEY and KEY.pub).", discussion: CommandHelp.discussion("key generate"))

    @Option(name: [.short, .long], help: "Where to write the private key; the public key goes to OUTPUT.pub.")
    var output: String
    @Option(help: "ecdsa-p256 (as cosign) or ed25519.")
    var algorithm: String = SigningKey.Algorithm.ecdsaP256.rawValue

    func validate() throws {
        guard SigningKey.Algorithm(rawValue: algorithm) != nil else {
            throw ValidationError("--algorithm must be one of "
                + SigningKey.Algorithm.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    func run() async throws {
        try await CommandFailure.reporting(status: 2) {
            let key = SigningKey.generate(SigningKey.Algorithm(rawValue: algorithm)!)
            for path in [output, output + ".pub"] where FileIO.exists(path) {
                throw ValidationError("\(path) exists; not overwriting a key")
            }
            try KeyFiles.writeNew(output, Data(key.pemRepresentation.utf8), mode: 0o600)
            try KeyFiles.writeNew(output + ".pub", Data(key.publicKey.pemRepresentation.utf8), mode: 0o644)
            print(key.publicKey.keyID)
        }
    }
}
