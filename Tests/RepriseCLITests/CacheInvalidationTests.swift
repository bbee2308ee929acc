#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing

/// The stale-cache cases of the correctness issue, as a new user met them: a directory source
/// edited in place must never come back from the cache with yesterday's files. The differential
/// test (`CacheCorrectnessTests`) checks the same at random; these name each path.
@Suite(.serialized) struct CacheInvalidationTests {
    let workspace: BuildWorkspace

    init() throws { workspace = try BuildWorkspace("cache-invalidation") }

    /// Builds `directory` and returns the unpacked tree and the steps' outcomes by line.
    func build(_ directory: String, _ extra: [String] = []) throws -> (root: String, outcomes: [Int: String]) {
        let output = workspace.sub("out-\(UInt32.random(in: 0...UInt32.max))")
        let metadata = output + ".json"
        let result = try workspace.build(extra + ["--metadata-file", metadata, "--output", "type=local,dest=\(output)", directory])
        try #require(result.status == 0, "\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metadata))) as? [String: Any])
        let id = try #require(document["reprise.build.id"] as? String)
        var outcomes: [Int: String] = [:]
        for step in try workspace.steps(id) {
            if let location = step["location"] as? [String: Any], let line = location["startLine"] as? Int {
                outcomes[line] = step["outcome"] as? String
            }
        }
        return (output, outcomes)
    }

    func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Overwrites a file in place with content of the same size and gives it back its times, as
    /// a same-second edit leaves it.
    func editInPlace(_ path: String, _ content: String) throws {
        var info = stat()
        try #require(lstat(path, &info) == 0)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data(content.utf8))
        try handle.close()
        var times = [info.st_atim, info.st_mtim]
        try #require(utimensat(AT_FDCWD, path, &times, 0) == 0)
    }

    @Test func aDirectoryCopiedFromTheContextIsRebuiltAfterAnEditInside() throws {
        let directory = try workspace.context("""
            FROM busybox
            COPY src/ /app/
            COPY . /ctx/
            RUN cat /app/main.c /ctx/src/main.c > /both.txt
            """, files: ["src/main.c": "v1\n"])
        let first = try build(directory)
        #expect(read(first.root + "/both.txt") == "v1\nv1\n")
        try editInPlace(directory + "/src/main.c", "v2\n")
        let second = try build(directory)
        #expect(read(second.root + "/app/main.c") == "v2\n")
        #expect(read(second.root + "/both.txt") == "v2\nv2\n")
        #expect(second.outcomes[2] == "succeeded" && second.outcomes[3] == "succeeded")
        // Unchanged since: everything comes from the cache.
        let third = try build(directory)
        #expect(third.outcomes[2] == "cached" && third.outcomes[3] == "cached" && third.outcomes[4] == "cached")
    }

    @Test func aNamedContextAndAStageAreReadAfresh() throws {
        let library = workspace.sub("library")
        try FileManager.default.createDirectory(atPath: library + "/include", withIntermediateDirectories: true)
        try "#define VERSION 1\n".write(toFile: library + "/include/version.h", atomically: false, encoding: .utf8)
        let directory = try workspace.context("""
            FROM busybox AS generate
            COPY input.txt /input.txt
            RUN mkdir /out && tr a-z A-Z < /input.txt > /out/upper.txt

            FROM busybox
            COPY --from=lib / /usr/local/
            COPY --from=generate /out/ /generated/
            """, files: ["input.txt": "hello\n"])
        let flags = ["--build-context", "lib=\(library)"]
        let first = try build(directory, flags)
        #expect(read(first.root + "/usr/local/include/version.h") == "#define VERSION 1\n")
        #expect(read(first.root + "/generated/upper.txt") == "HELLO\n")
        try editInPlace(library + "/include/version.h", "#define VERSION 2\n")
        try editInPlace(directory + "/input.txt", "howdy\n")
        let second = try build(directory, flags)
        #expect(read(second.root + "/usr/local/include/version.h") == "#define VERSION 2\n")
        #expect(read(second.root + "/generated/upper.txt") == "HOWDY\n")
    }

    /// What `COPY --from=<stage>` selected is remembered by the stage's layers: a cached build
    /// reads the selection back instead of flattening the stage, so it does not read the base
    /// layer at all (with that blob damaged it still builds, and makes the same image); when the
    /// memo cannot be trusted it flattens the stage again, and the damage is found and named.
    @Test func aCopyFromAStageReadsWhatItSelectedFromTheMemoNotTheStagesLayers() throws {
        let directory = try workspace.context("""
            FROM busybox AS generate
            RUN mkdir /out && echo made > /out/made.txt

            FROM busybox
            COPY --from=generate /out/ /generated/
            """)
        let epoch = ["--build-arg", "SOURCE_DATE_EPOCH=1700000000", "--network", "none", "--progress", "quiet"]
        let first = try workspace.build(epoch + [directory])
        try #require(first.status == 0, "\(first.stderr)")
        let statcache = workspace.journal + "/statcache"
        let memos = try FileManager.default.contentsOfDirectory(atPath: statcache).filter { $0.hasPrefix("selection-") }
        try #require(memos.count == 1, "\(memos)")
        // Damage the base image's layer blob (same size, other bytes).
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try CorpusBaseImage.path() + "/index.json"))) as? [String: Any]
        let manifestDigest = try #require(((index?["manifests"] as? [[String: Any]])?.first?["digest"] as? String)?.dropFirst(7))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try CorpusBaseImage.path() + "/blobs/sha256/" + manifestDigest))) as? [String: Any]
        let layer = try #require(((manifest?["layers"] as? [[String: Any]])?.first?["digest"] as? String)?.dropFirst(7))
        let blob = workspace.journal + "/blobs/sha256/" + layer
        let size = try #require(try FileManager.default.attributesOfItem(atPath: blob)[.size] as? Int)
        chmod(blob, 0o600)
        try Data(count: size).write(to: URL(fileURLWithPath: blob))
        let cached = try workspace.build(epoch + [directory])
        #expect(cached.status == 0, "\(cached.stderr)")
        #expect(cached.stdout == first.stdout && first.stdout.hasPrefix("sha256:"))
        let copy = try workspace.steps(try workspace.latestBuild()).first { $0["instruction"] as? String == "COPY" }
        #expect(copy?["outcome"] as? String == "cached")
        // A memo whose tree names a content the store lost is not used: the stage is flattened
        // again, and the damage is found and named.
        let content = workspace.journal + "/blobs/sha256/" + ContentStoreDigest.of("made\n").dropFirst(7)
        try FileManager.default.removeItem(atPath: content)
        let result = try workspace.build(epoch + [directory])
        #expect(result.status != 0)
        #expect(result.stderr.contains("sha256:\(layer) is corrupt"), "\(result.stderr)")
    }

    @Test func aStepAfterOneThatMadeTheSameLayerStaysCached() throws {
        // Touching a file changes nothing once SOURCE_DATE_EPOCH clamps its time: the COPY runs
        // again or not, its layer is the same, and the RUN after it must come from the cache.
        let directory = try workspace.context("""
            FROM busybox
            COPY notes.txt /notes.txt
            RUN wc -c /notes.txt > /count.txt
            """, files: ["notes.txt": "twelve bytes"])
        let epoch = ["--build-arg", "SOURCE_DATE_EPOCH=1700000000"]
        _ = try build(directory, epoch)
        try #require(utimensat(AT_FDCWD, directory + "/notes.txt", nil, 0) == 0)
        let touched = try build(directory, epoch)
        #expect(touched.outcomes[2] == "cached")
        #expect(touched.outcomes[3] == "cached")
    }

    @Test func aBindMountOfAStageComesFromTheCacheWhenNothingChanged() throws {
        // Found by scripts/cache-correctness: the flattened stage's root was a directory made
        // afresh each build, so the mount's key never matched.
        let directory = try workspace.context("""
            FROM scratch AS vendor
            FROM busybox AS tools
            RUN mkdir /out && echo tool > /out/tool
            FROM busybox
            RUN --mount=type=bind,from=vendor,target=/v ls -A /v > /vendor.txt
            RUN --mount=type=bind,from=tools,source=/out,target=/t cat /t/tool > /tool.txt
            """)
        let first = try build(directory)
        #expect(read(first.root + "/tool.txt") == "tool\n")
        let again = try build(directory)
        #expect(again.outcomes[5] == "cached", "\(again.outcomes)")
        #expect(again.outcomes[6] == "cached", "\(again.outcomes)")
    }
}
