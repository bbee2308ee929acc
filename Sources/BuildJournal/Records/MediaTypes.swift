/// The media types of the records Reprise keeps as blobs. They make a record recognisable on its
/// own (reindex finds them by it) and let a build be exported as an OCI artifact.
public enum RecordMediaType {
    public static let build = "application/vnd.reprise.build.v1+json"
    public static let step = "application/vnd.reprise.step.v1+json"
}
