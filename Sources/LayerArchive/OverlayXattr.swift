/// The overlayfs extended attributes LayerArchive reads and writes.
///
/// overlayfs keeps its metadata in `trusted.overlay.*`, or `user.overlay.*` when mounted with
/// `userxattr` (rootless). Opaque directories carry `opaque=y`; `opaque=x` (kernel 6.7+) only
/// marks a directory that holds "xwhiteouts" for data-only lowers, which image builds never use.
enum OverlayXattr {
    static let trustedOpaque = "trusted.overlay.opaque"
    static let userOpaque = "user.overlay.opaque"
    /// Present only when redirect_dir or metacopy are on; their meaning needs the lower layers,
    /// which a layer cannot express.
    static let unsupportedFeatures = ["redirect", "metacopy"]
    /// A metadata-only file in a lower layer: its data is the file `trustedRedirect` names in a
    /// data-only lower layer (absolute, from that layer's root). Only the engine's own lowers
    /// made by ``LayerMaterializer`` in ``LayerMaterializer/ContentPlacement/redirected`` carry
    /// them; layers never do (extraction drops every overlay attribute).
    static let trustedMetacopy = "trusted.overlay.metacopy"
    static let trustedRedirect = "trusted.overlay.redirect"

    static func isOverlayAttribute(_ name: String) -> Bool {
        name.hasPrefix("trusted.overlay.") || name.hasPrefix("user.overlay.")
    }
}
