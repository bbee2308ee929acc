import BuildJournal
import ContentStore
import Foundation
import OCIImage

/// Brings a bundle written by `BuildBundle.export` into a journal: every blob is checked against
/// its digest and size as it is copied in, then the build's ref is set and it is indexed, so it
/// can be shown and replayed as if it had been recorded here.
public struct BundleImporter {
    public let journal: Journal

    public init(journal: Journal) {
        self.journal = journal
    }

    /// Imports every build the bundle holds; returns their ids.
    public func importBundle(at path: String) throws -> [String] {
        let layout = try ImageLayout(at: path)
        var imported: [String] = []
        for entry in layout.index.manifests {
            let data = try layout.readBlob(entry, referencedBy: "index.json")
            let manifest = try JSONDecoder().decode(ImageManifest.self, from: data)
            guard manifest.artifactType == BuildBundle.artifactType,
                  manifest.config.mediaType == RecordMediaType.build else {
                throw ReplayError.badBundle(path: path, reason: "\(entry.digest) is not a build record artifact")
            }
            // Children first, the record last: a half-imported bundle never has a record that
            // names a missing blob.
            for descriptor in manifest.layers + [manifest.config] where !journal.store.contains(descriptor.digest) {
                let blob = try layout.readBlob(descriptor, referencedBy: entry.digest.description)
                let stored = try journal.store.ingest(blob).digest
                guard stored == descriptor.digest else {
                    throw ReplayError.badBundle(path: path, reason: "blob \(descriptor.digest) holds \(stored)")
                }
            }
            let record = try journal.getRecord(BuildRecord.self, manifest.config.digest)
            try journal.adoptImportedBuild(record)
            imported.append(record.id)
        }
        guard !imported.isEmpty else { throw ReplayError.badBundle(path: path, reason: "it holds no build") }
        try journal.synchronize()
        return imported
    }
}
