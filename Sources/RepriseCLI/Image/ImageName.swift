import BuildJournal
import ContentStore
import OCIImage

/// Image names as the journal keeps them: normalised (`docker.io/library/busybox:latest`), so
/// that `busybox`, `busybox:latest` and `docker.io/library/busybox` are one name, as in Docker.
enum ImageName {
    static func normalized(_ text: String) throws -> String {
        try ImageReference(parsing: text).description
    }

    static func familiar(_ stored: String) -> String {
        (try? ImageReference(parsing: stored).familiarDescription) ?? stored
    }

    /// A name as the user typed it (normalised first), or a digest or a prefix of one.
    static func resolve(_ image: String, in journal: Journal) throws -> Digest {
        if let name = try? normalized(image), let digest = try? journal.resolveImage(name) {
            return digest
        }
        return try journal.resolveImage(image)
    }
}

/// What users type to name a build: an id, a unique prefix, or an image name (as `-t` gave it).
enum BuildName {
    static func resolve(_ text: String, in journal: Journal) throws -> String {
        do {
            return try journal.resolveBuild(text)
        } catch JournalError.noSuchBuild {
            guard let normalized = try? ImageName.normalized(text), normalized != text else {
                throw JournalError.noSuchBuild(text)
            }
            do {
                return try journal.resolveBuild(normalized)
            } catch JournalError.noSuchBuild {
                throw JournalError.noSuchBuild(text)
            }
        }
    }
}
