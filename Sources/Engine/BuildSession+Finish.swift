import BuildJournal
import ContentStore
import Foundation
import LayerArchive
import OCIImage

/// The end of a build: the image, its names, the outputs asked for, the metadata file.
extension BuildSession {
    func finish(_ final: StageResult) async throws {
        var state = final.state
        if !request.labels.isEmpty {
            // As buildx: `--label` wins over the Dockerfile's LABEL, and never changes a step's key.
            state.containerConfig.labels = (state.containerConfig.labels ?? [:]).merging(request.labels) { $1 }
        }
        let manifestAnnotations = ImageAnnotation.values(request.annotations, for: .manifest, platform: request.platform)
        let assembled = try ImageAssembler(store: journal.store)
            .assemble(state, created: createdTimestamp, annotations: manifestAnnotations)
        let manifest = assembled.manifest.digest
        try journal.registerImage(manifest: manifest, config: assembled.config.digest, source: "build:\(record.id)")
        recorder.update { record in
            record.manifest = manifest
            record.config = assembled.config.digest
        }
        for tag in request.tags where !request.partOfMultiPlatform {
            try journal.tag(try ImageReference(parsing: tag).description, manifest: manifest)
        }
        // Exports and pushes can take long: a build killed during them is recorded with its image.
        if !request.outputs.isEmpty || request.attestor != nil { try recorder.save() }
        // The image manifest stays what it is; attestations only add an index around it, which
        // is what the layout then names.
        var exported = manifest
        let descriptorAnnotations = ImageAnnotation.values(request.annotations, for: .manifestDescriptor,
                                                           platform: request.platform)
        var layoutAnnotations = descriptorAnnotations
        if let attestor = request.attestor {
            exported = try AttestationManifest(store: journal.store).attach(
                attestor.statements(for: record, journal: journal), to: manifest,
                platform: request.platform,
                annotations: ImageAnnotation.values(request.annotations, for: .index),
                manifestAnnotations: descriptorAnnotations).digest
            layoutAnnotations = ImageAnnotation.values(request.annotations, for: .indexDescriptor)
        }
        exportedImage = try journal.store.imageDescriptor(for: exported)
        exportedImage?.annotations = layoutAnnotations.isEmpty ? nil : layoutAnnotations

        for (offset, output) in request.outputs.enumerated() {
            let vertex = numbering.total + 1 + offset
            let begun = Date()
            let what = "exporting to \(output.type.rawValue) \(output.destination ?? "-")"
            if output.type == .image {
                // An image output is the journal's own image, named; with push=true (or
                // type=registry) it is also pushed, byte for byte, to each name.
                let names = output.names.isEmpty ? request.tags : output.names
                for name in names { try journal.tag(try ImageReference(parsing: name).description, manifest: manifest) }
                guard output.push else { continue }
                emit(.exporting(vertex: vertex, what: "pushing \(names.joined(separator: ", "))"))
                var image = exported
                if let options = try ExportOptions(output) {
                    image = try converted(manifest, with: options, baseLayers: final.baseLayers).digest
                    exportedImage = try journal.store.imageDescriptor(for: image)
                }
                let pushed = try await push(image, to: names)
                emit(.exported(vertex: vertex, what: "pushed \(pushed.joined(separator: ", "))",
                               seconds: Date().timeIntervalSince(begun)))
                continue
            }
            emit(.exporting(vertex: vertex, what: what))
            try export(state, manifest: exported, image: manifest, to: output, annotations: layoutAnnotations,
                       baseLayers: final.baseLayers)
            emit(.exported(vertex: vertex, what: what, seconds: Date().timeIntervalSince(begun)))
        }
        try recorder.save { record in
            record.status = .succeeded
            record.finishedAt = Date().timeIntervalSince1970
        }
        if let path = request.metadataFile { try writeMetadata(to: path, config: assembled.config.digest) }
        emit(.buildFinished(buildID: record.id, manifest: manifest.description,
                            seconds: Date().timeIntervalSince(started)))
    }

    /// `manifest` is what the outputs name (the index when attested), `plainImage` the image
    /// manifest itself, which an output's ``ExportOptions`` re-encode.
    private func export(_ state: ImageState, manifest: Digest, image plainImage: Digest, to output: OutputSpec,
                        annotations: [String: String], baseLayers: Int) throws {
        switch output.type {
        case .oci, .docker:
            var spec = output
            // Every -t names the image (docker's manifest.json lists them all in RepoTags).
            if spec.names.isEmpty { spec.names = request.tags }
            var image = manifest
            if let options = try ExportOptions(output) {
                image = try converted(plainImage, with: options, baseLayers: baseLayers).digest
                exportedImage = try journal.store.imageDescriptor(for: image)
                exportedImage?.annotations = annotations.isEmpty ? nil : annotations
            }
            // Without a name, the image is tagged `latest` in the layout, as buildx does.
            try ImageExporter(store: journal.store, archiveTimestamp: request.sourceDateEpoch ?? 0)
                .export(image, to: spec, refName: spec.names.isEmpty ? "latest" : nil,
                        descriptorAnnotations: annotations)
        case .local:
            guard let destination = output.destination, destination != "-" else {
                throw EngineError.unsupported(message: "type=local needs dest=DIRECTORY", location: nil)
            }
            try FileIO.makeDirectories(destination)
            try unpack(state, into: destination)
        case .tar:
            // BuildKit's tar exporter: the root filesystem as one tar, here written as layers are
            // (sorted, numeric ids, mtimes clamped to SOURCE_DATE_EPOCH), so it is reproducible.
            guard let destination = output.destination else {
                throw EngineError.unsupported(message: "type=tar needs dest=FILE or dest=-", location: nil)
            }
            let root = scratch + "/export-tar-\(UInt32.random(in: 0...UInt32.max))"
            try FileIO.makeDirectories(root)
            defer { try? FileManager.default.removeItem(atPath: root) }
            try unpack(state, into: root)
            try FileExport.write(to: destination) { write in
                _ = try LayerWriter(compression: .none, sourceDateEpoch: request.sourceDateEpoch)
                    .write(directory: root, to: write)
            }
        case .image:
            throw EngineError.unsupported(
                message: "--output type=\(output.type.rawValue) is not supported: use type=oci, type=docker or type=local",
                location: nil)
        }
    }

    /// The image manifest `manifest` re-encoded for an output's ``ExportOptions``, in a new
    /// attestation index when the build is attested (the statements' subject is then the
    /// re-encoded manifest: the image that output holds). `rewrite-timestamp` needs
    /// SOURCE_DATE_EPOCH; without one it does nothing but warn, as BuildKit does.
    private func converted(_ manifest: Digest, with options: ExportOptions, baseLayers: Int) throws -> Descriptor {
        var rewrite: (epoch: Int64, baseLayers: Int)?
        if options.rewriteTimestamp {
            if let epoch = request.sourceDateEpoch {
                rewrite = (epoch, baseLayers)
            } else {
                emit(.warning("rewrite-timestamp is specified, but no SOURCE_DATE_EPOCH was given "
                    + "(--build-arg SOURCE_DATE_EPOCH=SECONDS or the environment): timestamps left as they are"))
            }
        }
        let image = try options.convert(manifest, in: journal.store, rewrite: rewrite)
        guard let attestor = request.attestor else { return image }
        var subject = record
        subject.manifest = image.digest
        return try AttestationManifest(store: journal.store).attach(
            attestor.statements(for: subject, journal: journal), to: image.digest, platform: request.platform,
            annotations: ImageAnnotation.values(request.annotations, for: .index),
            manifestAnnotations: ImageAnnotation.values(request.annotations, for: .manifestDescriptor,
                                                        platform: request.platform))
    }

    /// The image's layers applied one over the other into `directory`. Device nodes are kept
    /// as nodes, as BuildKit's local exporter does as root (every debootstrapped base has
    /// /dev/console and friends). Builds run as root only.
    private func unpack(_ state: ImageState, into directory: String) throws {
        for layer in state.layers {
            _ = try LayerApplier(mode: .merge, allowDevices: geteuid() == 0, symlinks: .clampToRoot)
                .apply(blob: layer.descriptor.digest, in: journal.store, to: directory)
        }
    }

    /// buildx's `--metadata-file`: the keys buildx writes (`containerimage.digest` is what the
    /// outputs name: the index when attestations wrap the image, as in buildx), plus ours.
    private func writeMetadata(to path: String, config: Digest) throws {
        var metadata: [String: Any] = [
            "containerimage.config.digest": config.description,
            "buildx.build.ref": "reprise/local/\(record.id)",
            "reprise.build.id": record.id,
        ]
        if let manifest = record.manifest { metadata["reprise.image.manifest"] = manifest.description }
        if let image = exportedImage {
            metadata["containerimage.digest"] = image.digest.description
            let encoded = try JSONSerialization.jsonObject(with: try CanonicalJSON.encode(image))
            metadata["containerimage.descriptor"] = encoded
        }
        try BuildRequest.writeMetadataFile(metadata, naming: request, to: path)
    }
}
