import BuildJournal
import ContentStore
import OCIImage

/// What users type to name images and builds, resolved against the journal: image names are
/// kept normalised (`docker.io/library/busybox:latest`), so `busybox`, `busybox:latest` and
/// `docker.io/library/busybox` are one name, as in Docker.
///
/// This is the journal's resolution; it lives here rather than in BuildJournal because the
/// journal must not depend on OCIImage, whose `ImageReference` is the one parser of image names.
extension Journal {
    /// A name as the journal stores it; throws when it is not an image reference.
    public static func normalizedImageName(_ text: String) throws -> String {
        try ImageReference(parsing: text).description
    }

    /// A stored name as people write it (`busybox:latest`).
    public static func familiarImageName(_ stored: String) -> String {
        (try? ImageReference(parsing: stored).familiarDescription) ?? stored
    }

    /// An image name as the user typed it (normalised first), or a digest or a prefix of one.
    public func resolveImage(named text: String) throws -> Digest {
        if let name = try? Self.normalizedImageName(text), let digest = try? resolveImage(name) {
            return digest
        }
        return try resolveImage(text)
    }

    /// A build named by its id, a unique prefix of it, or an image name it produced (as `-t`
    /// gave it, in any spelling of the name).
    public func resolveBuild(named text: String) throws -> String {
        do {
            return try resolveBuild(text)
        } catch JournalError.noSuchBuild {
            guard let normalized = try? Self.normalizedImageName(text), normalized != text else {
                throw JournalError.noSuchBuild(text)
            }
            do {
                return try resolveBuild(normalized)
            } catch JournalError.noSuchBuild {
                throw JournalError.noSuchBuild(text)
            }
        }
    }

    /// Removes an image name given in any spelling; returns the name removed, as stored.
    @discardableResult
    public func untag(named text: String) throws -> String {
        let normalized = (try? Self.normalizedImageName(text)) ?? text
        do {
            try untag(normalized)
            return normalized
        } catch JournalError.noSuchImage {
            try untag(text)
            return text
        }
    }
}
