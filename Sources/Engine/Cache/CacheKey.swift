import ContentStore
import Foundation

/// A step's cache key: a digest of everything that determines its result.
///
/// What goes in: the image state the step starts from (so the base image and every earlier
/// instruction count, through what they produced), the
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

    /// The key of the step that runs `instruction` on the image state `state` with `inputs`.
    ///
    /// The parent counts by what it is (its layers and configuration), not by how it was made:
    /// a step re-run with other inputs that gives the same layer leaves every later key as it
    /// was, as BuildKit's content-based cache keys do, and nothing a key omits can reach a later
    /// step except through the state it hands on.
    init(state: ImageState, kind: String, instruction: String, inputs: [String: String] = [:]) {
        self.init(parent: CacheKey(state: state), kind: kind, instruction: instruction, inputs: inputs)
    }

    /// The key of an image state: its layers by diff id and its configuration without the
    /// history and creation time, which record when rather than what.
    init(state: ImageState) {
        var configuration = state.configuration
        configuration.created = nil
        configuration.history = nil
        configuration.rootfs.diffIDs = state.diffIDs
        // Encoding plain Codable values cannot fail; a crash here would be a programming error.
        digest = Digest(of: Data("reprise-state-v1\n".utf8) + (try! CanonicalJSON.encode(configuration)))
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
