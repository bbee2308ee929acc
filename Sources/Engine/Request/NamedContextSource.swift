import Foundation

/// A `--build-context NAME=VALUE`: a local directory, an image in an OCI layout
/// (`oci-layout:///PATH[:TAG|@sha256:…]`) or an image in a registry (`docker-image://REF`).
public struct NamedContextSource: Sendable, Hashable {
    public enum Origin: Sendable, Hashable {
        case directory(String)
        /// The text after `oci-layout://`, parsed by the OCI module where it is used.
        case ociLayout(String)
        /// The reference after `docker-image://`, pulled (and recorded by digest) when the build starts.
        case registryImage(String)
    }

    public var name: String
    public var origin: Origin

    public init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }

    public init(parsing text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw RequestError.badFlag("--build-context", text,
                                       "expected NAME=PATH, NAME=oci-layout://PATH[:TAG|@DIGEST] or NAME=docker-image://REF")
        }
        name = parts[0]
        let value = parts[1]
        if value.hasPrefix("oci-layout://") {
            origin = .ociLayout(String(value.dropFirst("oci-layout://".count)))
        } else if value.hasPrefix("docker-image://") {
            origin = .registryImage(String(value.dropFirst("docker-image://".count)))
        } else if value.hasPrefix("target:") || value.contains("://") {
            throw RequestError.badFlag("--build-context", text,
                                       "only local directories, oci-layout:// and docker-image:// are supported")
        } else {
            origin = .directory(value)
        }
    }

    /// Whether the context is a local directory (snapshotted) rather than an image.
    var isDirectory: Bool {
        if case .directory = origin { return true }
        return false
    }

    /// How the context appears in records and messages.
    public var originText: String {
        switch origin {
        case .directory(let path): path
        case .ociLayout(let reference): "oci-layout://" + reference
        case .registryImage(let reference): "docker-image://" + reference
        }
    }
}
