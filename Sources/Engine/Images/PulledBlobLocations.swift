import BuildJournal
import ContentStore
import Foundation
import OCIImage
import Registry

/// Which repositories of a registry hold which blobs, as far as the journal knows from the
/// images it pulled (`pull:REF`, `base:REF`): what a push offers the registry as cross-repository
/// mounts, so a base layer is linked rather than sent again.
public enum PulledBlobLocations {
    /// Tells `client` where the blobs of every image the journal pulled from `host` came from.
    public static func remember(in client: RegistryClient, journal: Journal, host: String) {
        guard let images = try? journal.images() else { return }
        for row in images {
            guard let text = ["pull:", "base:"].lazy.compactMap({ row.source.hasPrefix($0) ? String(row.source.dropFirst($0.count)) : nil }).first,
                  let reference = try? ImageReference(parsing: text), reference.domain == host,
                  let digest = Digest(row.manifestDigest),
                  let root = try? journal.store.imageDescriptor(for: digest),
                  let closure = try? journal.store.imageClosure(of: root) else { continue }
            for descriptor in closure { client.rememberLocation(of: descriptor.digest, in: reference) }
        }
    }
}
