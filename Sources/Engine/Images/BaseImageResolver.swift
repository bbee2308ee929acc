import BuildJournal
import ContentStore
import Foundation
import OCIImage

/// Finds the image a `FROM` (or `COPY --from`, `--mount from=`) names that is not a stage: a
/// named context first, then the journal's local images. There is no registry to pull from.
struct BaseImageResolver {
    let journal: Journal
    let platform: Platform
    /// Named contexts that are images, already imported: name as given → image.
    let imageContexts: [String: ResolvedImage]
    /// A replay's images by recorded manifest digest, which win over any name lookup.
    var pinned: [String: Digest] = [:]

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
            if let digest = try? journal.resolveImage(candidate) {
                let descriptor = try journal.store.imageDescriptor(for: digest)
                let image = try journal.store.resolveImage(descriptor, platform: platform)
                return .image(image, source: "local:\(candidate)")
            }
        }
        if let digest = normalized?.digest, journal.store.contains(digest) {
            let descriptor = try journal.store.imageDescriptor(for: digest)
            return .image(try journal.store.resolveImage(descriptor, platform: platform), source: "local:\(digest)")
        }
        return .notFound
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
