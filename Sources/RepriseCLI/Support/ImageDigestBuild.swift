import BuildJournal

/// A build named by the image it made: `sha256:HEX` (or a unique HEX prefix of 12 or more, as
/// `image ls` and `journal ls` show them) resolves to the newest original build whose image has
/// that manifest digest. Tried before build ids and tags by `journal show` and `diff`.
enum ImageDigestBuild {
    static func resolve(_ text: String, in journal: Journal) -> String? {
        let hex = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        guard hex.count >= 12, hex.count <= 64, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        guard let builds = try? journal.listBuilds() else { return nil }
        let matching = builds.filter { build in
            guard let manifest = build.manifestDigest else { return false }
            return manifest.dropFirst(7).hasPrefix(hex)
        }
        // Distinct images only: a prefix that names two images names none.
        guard Set(matching.compactMap(\.manifestDigest)).count == 1 else { return nil }
        // listBuilds is newest first; an original build rather than a replay of it.
        return (matching.first { $0.replayOf == nil } ?? matching.first)?.id
    }
}
