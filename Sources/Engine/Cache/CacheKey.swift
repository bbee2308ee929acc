import ContentStore
import Foundation

/// A step's cache key: a digest of everything that determines its result, chained from the
/// previous step's key, as BuildKit chains its op digests.
///
/// What goes in: the parent's key (so the base image and every earlier instruction count), the
/// instruction as expanded, and the inputs outside the Dockerfile that the step reads — the
/// tree digest of COPY sources and bind-mount sources, the environment a RUN sees (which carries
/// ARG values), network mode, secret and ssh ids, SOURCE_DATE_EPOCH. What stays out, following
/// BuildKit: cache-mount contents and secret values.
public struct CacheKey: Sendable, Hashable {
    public let digest: Digest

    private struct Material: Encodable {
        var version = 1
        var parent: String
        var kind: String
        var instruction: String
        var inputs: [String: String]
    }

    /// The key a stage starts from: its base (an image manifest, a stage's final key, or scratch)
    /// and the platform.
    public static func base(_ description: String, platform: String) -> CacheKey {
        CacheKey(digest: Digest(ofUTF8: "reprise-base-v1\n\(platform)\n\(description)"))
    }

    /// The key of the step that runs `instruction` on top of `parent` with `inputs`.
    public init(parent: CacheKey, kind: String, instruction: String, inputs: [String: String] = [:]) {
        let material = Material(parent: parent.digest.description, kind: kind, instruction: instruction,
                                inputs: inputs)
        // Encoding a struct of strings cannot fail; a crash here would be a programming error.
        digest = Digest(of: try! CanonicalJSON.encode(material))
    }

    private init(digest: Digest) {
        self.digest = digest
    }
}
