import ContentStore
import Foundation
import GRDB

/// Adopting a build recorded elsewhere (a bundle from `journal export`), once its blobs are here.
extension Journal {
    /// Sets the build's ref and indexes it, its steps and the images it names, in one go.
    public func adoptImportedBuild(_ build: BuildRecord) throws {
        let digest = try putRecord(build)
        let steps = try build.steps.map { ($0, try getRecord(StepRecord.self, $0)) }
        try refs.set(build.id, in: .builds, to: digest)
        try database.write { db in
            try Journal.index(build, digest: digest, in: db)
            for (stepDigest, step) in steps { try Journal.index(step, digest: stepDigest, in: db) }
        }
        var images: [Digest: String] = [:]
        if let manifest = build.manifest { images[manifest] = "build:\(build.id)" }
        for (name, manifest) in build.baseImages where images[manifest] == nil { images[manifest] = "base:\(name)" }
        for (manifest, source) in images.sorted(by: { $0.key < $1.key }) {
            guard let data = try? store.read(manifest),
                  let config = try? JSONDecoder().decode(ConfigProbe.self, from: data).config.digest else { continue }
            try registerImage(manifest: manifest, config: config, source: source)
        }
    }
}

private struct ConfigProbe: Decodable {
    struct Config: Decodable { var digest: Digest }
    var config: Config
}
