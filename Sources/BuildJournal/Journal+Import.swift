import ContentStore
import Foundation
import GRDB

/// Adopting builds recorded elsewhere (a bundle from `journal export`), once their blobs are here.
extension Journal {
    /// Sets the builds' refs and indexes them, their steps and the images they name: all of
    /// them or none. Every blob they name must already be in the store. When anything fails,
    /// the refs set so far are put back as they were, so a failed import leaves no ref behind.
    public func adoptImportedBuilds(_ builds: [BuildRecord]) throws {
        var previous: [(id: String, digest: Digest?)] = []
        var intent: ImportIntent?
        do {
            var prepared: [(BuildRecord, Digest, [(Digest, StepRecord)])] = []
            for build in builds {
                let digest = try putRecord(build)
                let steps = try build.steps.map { ($0, try getRecord(StepRecord.self, $0)) }
                prepared.append((build, digest, steps))
            }
            // Refs are files set one by one; the intent lets a later process undo a kill between.
            let before = try prepared.map { ImportIntent.Entry(id: $0.0.id, previous: try refs.get($0.0.id, in: .builds)) }
            intent = try ImportIntent(directory: root + "/tmp", entries: before)
            for (build, digest, _) in prepared {
                previous.append((build.id, try refs.get(build.id, in: .builds)))
                try refs.set(build.id, in: .builds, to: digest)
                try Journal.importFault(previous.count)
            }
            try database.write { db in
                for (build, digest, steps) in prepared {
                    try Journal.index(build, digest: digest, in: db)
                    for (stepDigest, step) in steps { try Journal.index(step, digest: stepDigest, in: db) }
                }
            }
        } catch {
            for (id, digest) in previous.reversed() {
                if let digest { try? refs.set(id, in: .builds, to: digest) } else { try? refs.remove(id, in: .builds) }
            }
            intent?.finish()
            throw error
        }
        intent?.finish()
        for build in builds {
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

    /// Undoes imports whose process was killed while setting refs (see ``ImportIntent``): each
    /// listed ref goes back to what it was, and the index follows. Returns the ids restored.
    @discardableResult
    func rollBackAbandonedImports() -> [String] {
        var restored: [String] = []
        for (path, entries, release) in ImportIntent.abandoned(in: root + "/tmp") {
            for entry in entries {
                if let digest = entry.previous {
                    try? refs.set(entry.id, in: .builds, to: digest)
                    if let build = try? getRecord(BuildRecord.self, digest) {
                        try? database.write { db in try Journal.index(build, digest: digest, in: db) }
                    }
                } else {
                    try? refs.remove(entry.id, in: .builds)
                    try? database.write { db in
                        for table in ["mount", "step", "context"] {
                            try db.execute(sql: "DELETE FROM \(table) WHERE buildID = ?", arguments: [entry.id])
                        }
                        try db.execute(sql: "DELETE FROM build WHERE id = ?", arguments: [entry.id])
                    }
                }
                restored.append(entry.id)
            }
            unlink(path)
            release()
        }
        return restored
    }

    /// One build: see `adoptImportedBuilds`.
    public func adoptImportedBuild(_ build: BuildRecord) throws {
        try adoptImportedBuilds([build])
    }

    /// Fault injection for the all-or-nothing test: `REPRISE_TEST_FAIL_IMPORT_AFTER_REFS=N`
    /// makes the import fail right after its N-th ref is set, as a full disk or a bad index would.
    /// `REPRISE_TEST_KILL_IMPORT_AFTER_REFS=N` SIGKILLs the process there instead.
    private static func importFault(_ refsSet: Int) throws {
        let environment = ProcessInfo.processInfo.environment
        if let text = environment["REPRISE_TEST_KILL_IMPORT_AFTER_REFS"], let limit = Int(text), refsSet >= limit {
            kill(getpid(), SIGKILL)
        }
        guard let text = environment["REPRISE_TEST_FAIL_IMPORT_AFTER_REFS"],
              let limit = Int(text), refsSet >= limit else { return }
        throw InjectedFault(description: "injected failure after setting \(refsSet) ref(s) (REPRISE_TEST_FAIL_IMPORT_AFTER_REFS)")
    }
}

private struct InjectedFault: Error, CustomStringConvertible {
    var description: String
}

private struct ConfigProbe: Decodable {
    struct Config: Decodable { var digest: Digest }
    var config: Config
}
