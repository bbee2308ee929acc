import BuildJournal
import ContentStore
import Foundation
import OCIImage

/// Brings a bundle written by `BuildBundle.export` into a journal: every blob is checked against
/// its digest and size as it is copied in, every id, name and path is validated
/// (``BundleValidator``), and only then are the builds' refs set and indexed, all together, so
/// they can be shown and replayed as if recorded here. A failed import sets no ref; blobs it
/// copied are unreferenced and go at the next `gc`.
public struct BundleImporter {
    public let journal: Journal

    public init(journal: Journal) {
        self.journal = journal
    }

    /// Imports every build the bundle holds; returns their ids.
    public func importBundle(at path: String) throws -> [String] {
        let layout = try ImageLayout(at: path)
        var records: [BuildRecord] = []
        for entry in layout.index.manifests {
            let data = try layout.readBlob(entry, referencedBy: "index.json")
            let manifest: ImageManifest
            do {
                manifest = try JSONDecoder().decode(ImageManifest.self, from: data)
            } catch {
                throw ReplayError.badBundle(path: path, reason: "\(entry.digest) is not a manifest: \(error)")
            }
            guard manifest.artifactType == BuildBundle.artifactType,
                  manifest.config.mediaType == RecordMediaType.build else {
                throw ReplayError.badBundle(path: path, reason: "\(entry.digest) is not a build record artifact")
            }
            // Bytes in hand are stored even when a recipe could make them: the recipe may not.
            for descriptor in manifest.layers + [manifest.config] where !journal.store.isStored(descriptor.digest) {
                let blob = try layout.readBlob(descriptor, referencedBy: entry.digest.description)
                let stored = try journal.store.ingest(blob).digest
                guard stored == descriptor.digest else {
                    throw ReplayError.badBundle(path: path, reason: "blob \(descriptor.digest) holds \(stored)")
                }
            }
            let record = try checkedRecord(manifest, source: path)
            guard !records.contains(where: { $0.id == record.id }) else {
                throw ReplayError.badBundle(path: path, reason: "it holds build \(record.id) twice")
            }
            records.append(record)
        }
        guard !records.isEmpty else { throw ReplayError.badBundle(path: path, reason: "it holds no build") }
        try journal.synchronize()
        try journal.adoptImportedBuilds(records)
        try journal.synchronize()
        return records.map(\.id)
    }

    /// Adopts a bundle artifact whose manifest and blobs a registry pull already put in the
    /// store (each verified on the way in); returns the build's id. `source` names it in errors.
    public func adoptPulledBundle(manifest data: Data, source: String) throws -> String {
        let manifest: ImageManifest
        do {
            manifest = try JSONDecoder().decode(ImageManifest.self, from: data)
        } catch {
            throw ReplayError.badBundle(path: source, reason: "not a manifest: \(error)")
        }
        guard manifest.artifactType == BuildBundle.artifactType, manifest.config.mediaType == RecordMediaType.build else {
            throw ReplayError.badBundle(path: source, reason: "not a build record artifact")
        }
        for descriptor in manifest.layers + [manifest.config] where !journal.store.contains(descriptor.digest) {
            throw ReplayError.badBundle(path: source, reason: "blob \(descriptor.digest) was not pulled")
        }
        let record = try checkedRecord(manifest, source: source)
        try journal.synchronize()
        try journal.adoptImportedBuilds([record])
        try journal.synchronize()
        return record.id
    }

    /// The build record a bundle manifest carries, with its steps, validated.
    private func checkedRecord(_ manifest: ImageManifest, source: String) throws -> BuildRecord {
        let record: BuildRecord
        let steps: [StepRecord]
        do {
            record = try journal.getRecord(BuildRecord.self, manifest.config.digest)
            steps = try record.steps.map { try journal.getRecord(StepRecord.self, $0) }
        } catch {
            throw ReplayError.badBundle(path: source, reason: "\(error)")
        }
        try BundleValidator(store: journal.store, bundlePath: source).validate(record, steps: steps)
        return record
    }
}
