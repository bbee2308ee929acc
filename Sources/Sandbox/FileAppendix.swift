/// Bytes added at the end of files the image already has, for one step only: the recording
/// network's CA at the end of the image's own trust bundles, so that clients that read only the
/// system store (apt, curl without options) trust it.
///
/// The extended copy lives in the sandbox's scaffold (a lower layer, see ``MountPointScaffold``),
/// never in the step's layer, and it is not a mount: a step that replaces the file (`mv -f`, as
/// `update-ca-certificates` does) or deletes it behaves exactly as without it. A step that
/// changes the file in place (`cat extra.pem >> bundle`, `chmod`) gets it copied up; after the
/// run the appendix is cut out of that copy again (``AppendixStripper``), so the layer holds what
/// the step would have written without it. Candidates that the image lacks are left alone: nothing
/// is created for them, in the layer or in the step's view.
public struct FileAppendix: Sendable, Hashable {
    /// Absolute paths in the image; symbolic links are followed inside the image, and two
    /// candidates naming the same file extend it once.
    public var candidates: [String]
    public var bytes: [UInt8]

    public init(candidates: [String], bytes: [UInt8]) {
        self.candidates = candidates
        self.bytes = bytes
    }
}
