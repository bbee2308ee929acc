import Foundation

/// Checks a layout with three independent clients. They catch different faults: only umoci
/// checks config `diff_ids` against the layers; skopeo does not mind a missing `oci-layout`;
/// oci-image-tool catches a corrupt blob. Other modules' tests can copy this helper.
public enum OCIValidators {
    /// `skopeo inspect oci:DIR:TAG` (manifest summary as JSON).
    public static func skopeoInspect(layout: String, tag: String) throws -> ToolOutput {
        try Tool.run(["skopeo", "inspect", "oci:\(layout):\(tag)"])
    }

    /// `skopeo inspect --config oci:DIR:TAG` (the config as JSON).
    public static func skopeoInspectConfig(layout: String, tag: String) throws -> ToolOutput {
        try Tool.run(["skopeo", "inspect", "--config", "oci:\(layout):\(tag)"])
    }

    /// `skopeo inspect --raw oci-archive:FILE:TAG` for a layout tar.
    public static func skopeoInspectArchive(_ file: String, tag: String) throws -> ToolOutput {
        try Tool.run(["skopeo", "inspect", "--raw", "oci-archive:\(file):\(tag)"])
    }

    /// `umoci unpack --image DIR:TAG BUNDLE`: applies every layer and checks diff_ids.
    public static func umociUnpack(layout: String, tag: String, bundle: String) throws -> ToolOutput {
        try Tool.run(["umoci", "unpack", "--image", "\(layout):\(tag)", bundle])
    }

    /// `oci-image-tool validate --type image --ref name=TAG DIR`.
    public static func ociImageToolValidate(layout: String, tag: String) throws -> ToolOutput {
        try Tool.run(["oci-image-tool", "validate", "--type", "image", "--ref", "name=\(tag)", layout])
    }

    /// All of them; returns the outputs that failed (empty when the layout is good).
    public static func failures(layout: String, tag: String, scratch: String) throws -> [ToolOutput] {
        let bundle = scratch + "/bundle-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        return try [
            skopeoInspect(layout: layout, tag: tag),
            skopeoInspectConfig(layout: layout, tag: tag),
            umociUnpack(layout: layout, tag: tag, bundle: bundle),
            ociImageToolValidate(layout: layout, tag: tag),
        ].filter { !$0.succeeded }
    }
}
