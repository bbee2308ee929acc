import BuildJournal
import ContentStore
import Foundation
import LayerArchive
import TestSupport

/// A journal holding one recorded build, written with the journal's own API: a Dockerfile blob,
/// a main context snapshot with two files, a named image context, a base image, a secret, a
/// cache mount and an ADD of a URL. What the provenance builder reads, without running a build
/// (the end-to-end tests in RepriseCLITests do that in the sandbox).
struct RecordedBuildFixture {
    let directory: TemporaryDirectory
    let journal: Journal
    var record: BuildRecord
    let contextTree: Digest
    let fileDigests: [String: Digest]
    let manifest: Digest

    init() throws {
        directory = try TemporaryDirectory("provenance")
        journal = try Journal(root: directory.sub("journal"))
        let store = journal.store
        let dockerfile = try store.ingest(Data("FROM busybox\nCOPY . /app\n".utf8)).digest
        var files: [String: Digest] = [:]
        var entries: [TreeEntry] = []
        for (path, content) in [("a.txt", "alpha"), ("dir/b.txt", "beta")] {
            let digest = try store.ingest(Data(content.utf8)).digest
            files[path] = digest
            entries.append(TreeEntry(path: path, kind: .file, mode: 0o644, size: Int64(content.utf8.count), digest: digest))
        }
        entries.append(TreeEntry(path: "dir", kind: .directory, mode: 0o755))
        contextTree = try TreeSnapshot(root: TreeEntry(path: "", kind: .directory, mode: 0o755), entries: entries).store(in: store)
        fileDigests = files
        let fetched = try store.ingest(Data("fetched".utf8)).digest
        let sources = try TreeSnapshot(root: TreeEntry(path: "", kind: .directory, mode: 0o755), entries: [
            TreeEntry(path: "https://example.com/tool.tgz", kind: .file, mode: 0o600, size: 7, digest: fetched),
        ]).store(in: store)
        let cacheState = try TreeSnapshot(root: TreeEntry(path: "", kind: .directory, mode: 0o755), entries: []).store(in: store)
        manifest = Digest(ofUTF8: "the image manifest")
        record = BuildRecord(
            id: journal.makeBuildID(), status: .succeeded, dockerfile: dockerfile,
            dockerfilePath: "/src/app/Dockerfile",
            contexts: [.init(name: "context", origin: "/src/app", tree: contextTree),
                       .init(name: "tools", origin: "oci-layout:///images/tools:1", image: Digest(ofUTF8: "tools image"))],
            buildArguments: ["VERSION": "1.2"], target: "final", sourceDateEpoch: 0,
            secrets: [.init(id: "token", digest: "hmac-sha256:00", key: "k")], ssh: ["default"],
            tags: ["app:1"], baseImages: ["busybox": Digest(ofUTF8: "busybox manifest")],
            manifest: manifest, config: Digest(ofUTF8: "config"),
            host: .init(kernel: "6.1.0", architecture: "x86_64", repriseVersion: "0.test"),
            startedAt: 1_700_000_000.5, finishedAt: 1_700_000_042.9)
        try journal.save(record)
        let add = StepRecord(buildID: record.id, index: 0, stage: "0", instruction: "ADD",
                             text: "ADD https://example.com/tool.tgz /", location: .init(file: "Dockerfile", startLine: 2, endLine: 2),
                             cacheKey: Digest(ofUTF8: "key0"), sources: sources, outcome: .succeeded,
                             startedAt: 1_700_000_001, durationSeconds: 1)
        let run = StepRecord(buildID: record.id, index: 1, stage: "0", instruction: "RUN", text: "RUN --mount=type=cache,target=/c true",
                             location: .init(file: "Dockerfile", startLine: 3, endLine: 3), cacheKey: Digest(ofUTF8: "key1"),
                             mounts: [MountRecord(kind: .cache, target: "/c", treeBefore: cacheState, id: "c")],
                             outcome: .succeeded, startedAt: 1_700_000_002, durationSeconds: 1)
        try journal.append(add, to: &record)
        try journal.append(run, to: &record)
    }
}
