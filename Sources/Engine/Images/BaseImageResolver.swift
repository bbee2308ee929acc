import BuildJournal
import ContentStore
import Foundation
import OCIImage
import Synchronization

/// Finds the image a `FROM` (or `COPY --from`, `--mount from=`) names that is not a stage: a
/// named context first, then the journal's local images. There is no registry to pull from.
struct BaseImageResolver {
    let journal: Journal
    let platform: Platform
    /// Named contexts that are images, already imported: name as given → image.
    let imageContexts: [String: ResolvedImage]
    /// A replay's images by recorded manifest digest, which win over any name lookup.
    var pinned: [String: Digest] = [:]
    /// The build's images already found in the journal by name, so that the five places that
    /// ask for a stage's base (facts, ONBUILD, reach, the FROM itself...) read and decode its
    /// manifest and config once per build (nil: look up every time).
    var memo: LocalImageMemo? = nil

    /// Local images found by name and platform during one build. A build sees one image per
    /// name, even if the name is moved to another image while it runs.
    final class LocalImageMemo: Sendable {
        struct Key: Hashable { var name: String; var platform: Platform }
        let images = Mutex<[Key: ResolvedImage]>([:])
        init() {}
    }

    enum Resolution {
        case image(ResolvedImage, source: String)
        case notFound
    }

    func resolve(_ name: String) throws -> Resolution {
        if let digest = pinned[name] {
            let descriptor = try journal.store.imageDescriptor(for: digest)
            return .image(try journal.store.resolveImage(descriptor, platform: platform), source: "pinned:\(name)")
        }
        if let image = imageContexts[name] { return .image(try forPlatform(image), source: "context:\(name)") }
        let normalized = try? ImageReference(parsing: name)
        if let normalized {
            for (contextName, image) in imageContexts where (try? ImageReference(parsing: contextName)) == normalized {
                return .image(try forPlatform(image), source: "context:\(contextName)")
            }
        }
        var candidates = [name]
        if let normalized { candidates.insert(normalized.description, at: 0) }
        for candidate in candidates {
            if let image = try localImage(candidate) { return .image(image, source: "local:\(candidate)") }
        }
        if let digest = normalized?.digest, journal.store.contains(digest) {
            let descriptor = try journal.store.imageDescriptor(for: digest)
            return .image(try journal.store.resolveImage(descriptor, platform: platform), source: "local:\(digest)")
        }
        return .notFound
    }

    private func localImage(_ name: String) throws -> ResolvedImage? {
        let key = LocalImageMemo.Key(name: name, platform: platform)
        if let known = memo?.images.withLock({ $0[key] }) { return known }
        guard let digest = try? journal.resolveImage(name) else { return nil }
        let image = try journal.store.resolveImage(journal.store.imageDescriptor(for: digest), platform: platform)
        memo?.images.withLock { $0[key] = image }
        return image
    }

    /// A named context was imported for the build's platform; a stage of another platform
    /// (`FROM --platform=$BUILDPLATFORM`) takes that platform's manifest of the same index,
    /// which the import copied too.
    private func forPlatform(_ image: ResolvedImage) throws -> ResolvedImage {
        guard image.root.digest != image.manifestDescriptor.digest,
              !image.configuration.platform.matches(platform) else { return image }
        return try journal.store.resolveImage(image.root, platform: platform)
    }
}
