/// Where the bytes of a step's metadata-only lowers are: overlayfs's data-only lower layer.
///
/// A regular file in one of `redirectingLowers` that carries `trusted.overlay.metacopy` and
/// `trusted.overlay.redirect` = `/NAME` shows the bytes of `directory/NAME` with its own metadata.
/// The engine makes such lowers for COPY layers (their files' bytes are the store's blobs), so a
/// RUN step sees them without a copy. Redirects are followed in these lowers only: an image's
/// layers are never read with metacopy on.
public struct LowerData: Sendable, Hashable {
    public var directory: String
    /// Lowers (as in ``SandboxSpec/lowerDirectories``) made of metadata-only files.
    public var redirectingLowers: Set<String>

    public init(directory: String, redirectingLowers: Set<String>) {
        self.directory = directory
        self.redirectingLowers = redirectingLowers
    }
}
