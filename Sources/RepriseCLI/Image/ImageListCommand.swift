import ArgumentParser
import BuildJournal
import ContentStore
import Engine
import Foundation

/// `reprise image ls`: names and the images they point at, as `docker images` shows them.
struct ImageListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List named images.", discussion: CommandHelp.discussion("image ls"))

    @OptionGroup var journalOptions: JournalOptions
    @Flag(help: "Also list images without a name.") var all = false
    @Flag(help: "Print JSON.") var json = false

    struct Row: Encodable {
        var name: String?
        var digest: String
        var size: Int64
        var source: String?
    }

    func run() async throws {
        try await CommandFailure.reporting {
            let journal = try journalOptions.open(create: false)
            let images = try journal.images()
            var rows: [Row] = try journal.tags().map { tag in
                Row(name: Journal.familiarImageName(tag.name), digest: tag.manifestDigest,
                    size: try imageSize(tag.manifestDigest, journal),
                    source: images.first { $0.manifestDigest == tag.manifestDigest }?.source)
            }
            if all {
                let named = Set(rows.map(\.digest))
                for image in images where !named.contains(image.manifestDigest) {
                    rows.append(Row(name: nil, digest: image.manifestDigest,
                                    size: try imageSize(image.manifestDigest, journal), source: image.source))
                }
            }
            if json { return try Terminal.printJSON(rows) }
            var table = [["NAME", "DIGEST", "SIZE", "SOURCE"]]
            for row in rows {
                table.append([row.name ?? "<none>", String(row.digest.dropFirst(7).prefix(12)),
                              Formatting.bytes(row.size), row.source ?? "-"])
            }
            print(Formatting.table(table))
        }
    }

    /// Manifest, config and layers as stored (compressed), like `docker images` SIZE roughly.
    private func imageSize(_ manifest: String, _ journal: Journal) throws -> Int64 {
        guard let digest = Digest(manifest), let data = try? journal.store.read(digest) else { return 0 }
        struct Shape: Decodable {
            struct Item: Decodable { var size: Int64 }
            var config: Item?
            var layers: [Item]?
        }
        let shape = try? JSONDecoder().decode(Shape.self, from: data)
        return Int64(data.count) + (shape?.config?.size ?? 0) + (shape?.layers ?? []).reduce(0) { $0 + $1.size }
    }
}
