import BuildJournal
import ContentStore
import Foundation
import LayerArchive
import OCIImage

/// The end of a build: the image, its names, the outputs asked for, the metadata file.
extension BuildSession {
    func finish(_ final: StageResult) async throws {
        let assembled = try ImageAssembler(store: journal.store).assemble(final.state, created: createdTimestamp)
        let manifest = assembled.manifest.digest
        try journal.registerImage(manifest: manifest, config: assembled.config.digest, source: "build:\(record.id)")
        record.manifest = manifest
        record.config = assembled.config.digest
        for tag in request.tags {
            try journal.tag(try ImageReference(parsing: tag).description, manifest: manifest)
        }
        try journal.save(record)
        // The image manifest stays what it is; attestations only add an index around it, which
        // is what the layout then names.
        var exported = manifest
        if let attestor = request.attestor {
            exported = try AttestationManifest(store: journal.store).attach(
                attestor.statements(for: record, journal: journal), to: manifest,
                platform: request.platform).digest
        }

        for (offset, output) in request.outputs.enumerated() {
            let vertex = nextStepIndex + 1 + offset
            let begun = Date()
            let what = "exporting to \(output.type.rawValue) \(output.destination ?? "-")"
            if output.type == .image {
                // An image output is the journal's own image, named; with push=true (or
                // type=registry) it is also pushed, byte for byte, to each name.
                let names = output.names.isEmpty ? request.tags : output.names
                for name in names { try journal.tag(try ImageReference(parsing: name).description, manifest: manifest) }
                guard output.push else { continue }
                emit(.exporting(vertex: vertex, what: "pushing \(names.joined(separator: ", "))"))
                let pushed = try await push(exported, to: names)
                emit(.exported(vertex: vertex, what: "pushed \(pushed.joined(separator: ", "))",
                               seconds: Date().timeIntervalSince(begun)))
                continue
            }
            emit(.exporting(vertex: vertex, what: what))
            try export(final.state, manifest: exported, to: output)
            emit(.exported(vertex: vertex, what: what, seconds: Date().timeIntervalSince(begun)))
        }
        record.status = .succeeded
        record.finishedAt = Date().timeIntervalSince1970
        try journal.save(record)
        if let path = request.metadataFile { try writeMetadata(to: path, config: assembled.config.digest) }
        emit(.buildFinished(buildID: record.id, manifest: manifest.description,
                            seconds: Date().timeIntervalSince(started)))
    }

    private func export(_ state: ImageState, manifest: Digest, to output: OutputSpec) throws {
        switch output.type {
        case .oci, .docker:
            var spec = output
            if spec.names.isEmpty, let tag = request.tags.first { spec.names = [tag] }
            // Without a name, the image is tagged `latest` in the layout, as buildx does.
            try ImageExporter(store: journal.store, archiveTimestamp: request.sourceDateEpoch ?? 0)
                .export(manifest, to: spec, refName: spec.names.isEmpty ? "latest" : nil)
        case .local:
            guard let destination = output.destination, destination != "-" else {
                throw EngineError.unsupported(message: "type=local needs dest=DIRECTORY", location: nil)
            }
            try FileIO.makeDirectories(destination)
            // Device nodes are exported as nodes, as BuildKit's local exporter does as root
            // (every debootstrapped base has /dev/console and friends). Builds run as root only.
            for layer in state.layers {
                _ = try LayerApplier(mode: .merge, allowDevices: geteuid() == 0, symlinks: .clampToRoot)
                    .apply(blob: layer.descriptor.digest, in: journal.store, to: destination)
            }
        case .tar, .image:
            throw EngineError.unsupported(
                message: "--output type=\(output.type.rawValue) is not supported: use type=oci, type=docker or type=local",
                location: nil)
        }
    }

    /// buildx's `--metadata-file`: the image digests and our build id.
    private func writeMetadata(to path: String, config: Digest) throws {
        var metadata: [String: String] = [
            "containerimage.config.digest": config.description,
            "reprise.build.id": record.id,
        ]
        if let manifest = record.manifest { metadata["containerimage.digest"] = manifest.description }
        if let name = request.tags.first { metadata["image.name"] = name }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(metadata).write(to: URL(fileURLWithPath: path))
    }
}
