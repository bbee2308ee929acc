import ContentStore

/// One image to list in a layout's `index.json`, with the names it goes by.
public struct LayoutEntry: Hashable, Sendable {
    /// The manifest or index in the store.
    public var descriptor: Descriptor
    /// The tag (`org.opencontainers.image.ref.name`); `skopeo inspect oci:DIR:TAG` finds it.
    public var refName: String?
    /// The full image name (`io.containerd.image.name`), as BuildKit and containerd write it.
    public var imageName: String?

    public init(descriptor: Descriptor, refName: String? = nil, imageName: String? = nil) {
        self.descriptor = descriptor
        self.refName = refName
        self.imageName = imageName
    }

    /// Names the entry after a reference as BuildKit's OCI exporter does: the tag becomes the
    /// ref name and the normalised reference the image name.
    public init(descriptor: Descriptor, reference: ImageReference) {
        self.init(descriptor: descriptor, refName: reference.tag ?? "latest",
                  imageName: reference.description)
    }

    /// The descriptor as `index.json` lists it.
    var indexDescriptor: Descriptor {
        var annotations = descriptor.annotations ?? [:]
        if let refName { annotations[AnnotationKey.refName] = refName }
        if let imageName { annotations[AnnotationKey.containerdImageName] = imageName }
        return Descriptor(mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size,
                          annotations: annotations.isEmpty ? nil : annotations,
                          platform: descriptor.platform, artifactType: descriptor.artifactType)
    }
}
