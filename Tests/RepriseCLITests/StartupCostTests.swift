import Foundation
import TestSupport
import Testing

/// What a fully cached build costs at the level of the process: which libraries it loads.
@Suite struct StartupCostTests {
    /// The dynamic loader's own account (`LD_DEBUG=files`) of the libraries a run loaded.
    private func loadedLibraries(_ result: RepriseProcess.Result) -> [String] {
        result.stderr.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "file=") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != " " && $0 != ";" })
        }
    }

    /// libarchive (and libxml2, ICU, nettle... behind it) is loaded by the first tar a build
    /// writes or reads; a build whose steps are all cached reads none and never loads it.
    @Test func aFullyCachedBuildDoesNotLoadLibarchive() throws {
        let workspace = try BuildWorkspace("cached-no-libarchive")
        let context = try workspace.context("FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\n",
                                            files: ["a.txt": "a\n"])
        let arguments = ["--progress", "quiet", "--build-arg", "SOURCE_DATE_EPOCH=1700000000", context]
        let cold = try workspace.build(arguments, environment: ["LD_DEBUG": "files"])
        try #require(cold.status == 0, "\(cold.stderr.suffix(2000))")
        // The check can see libarchive when it is loaded: the cold build's COPY writes a tar.
        #expect(loadedLibraries(cold).contains { $0.contains("libarchive.so") }, "\(loadedLibraries(cold))")
        let cached = try workspace.build(arguments, environment: ["LD_DEBUG": "files"])
        try #require(cached.status == 0, "\(cached.stderr.suffix(2000))")
        let libraries = loadedLibraries(cached)
        #expect(!libraries.isEmpty, "LD_DEBUG=files printed nothing: \(cached.stderr.prefix(500))")
        #expect(!libraries.contains { $0.contains("libarchive") || $0.contains("libxml2") || $0.contains("libicu") },
                "\(libraries)")
        let outcomes = try workspace.steps(try workspace.latestBuild()).map { $0["outcome"] as? String }
        // FROM is never "cached" (nothing runs for it); the COPY and the RUN are.
        #expect(outcomes.count == 3 && outcomes.dropFirst().allSatisfy { $0 == "cached" }, "\(outcomes)")
        // Same image either way (the digest is the last line of stdout).
        #expect(cold.stdout.split(separator: "\n").last == cached.stdout.split(separator: "\n").last
                && cold.stdout.contains("sha256:"), "\(cold.stdout) / \(cached.stdout)")
    }

    /// Without libarchive, a build that needs a tar stops with an error that names it and says
    /// what to install, with status 1 like every reprise error (it was an abort, 134); what the
    /// journal held stays intact.
    @Test func aMissingLibarchiveIsAnErrorNotACrash() throws {
        let workspace = try BuildWorkspace("no-libarchive")
        let context = try workspace.context("FROM busybox\nCOPY a.txt /a.txt\n", files: ["a.txt": "a\n"])
        let result = try workspace.build(["--progress", "quiet", "--network", "none", context],
                                         environment: ["REPRISE_LIBARCHIVE": "/nonexistent/libarchive.so.13"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("cannot load libarchive (/nonexistent/libarchive.so.13)")
                && result.stderr.contains("apt-get install libarchive13"), "\(result.stderr)")
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
        let retried = try workspace.build(["--progress", "quiet", "--network", "none", context])
        #expect(retried.status == 0, "\(retried.stderr)")
    }

    /// A build leaves the index's WAL for the next process (no checkpoint on close), but one that
    /// finds it at 128 KiB or more checkpoints and removes it: repeated builds keep it small.
    @Test func theIndexLogBuildsKeepStaysSmall() throws {
        let workspace = try BuildWorkspace("kept-log-bound")
        let context = try workspace.context("FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\n",
                                            files: ["a.txt": "a\n"])
        let wal = workspace.journal + "/index.sqlite-wal"
        var sizes: [Int] = []
        for _ in 0..<9 {
            let build = try workspace.build(["--progress", "quiet", context])
            try #require(build.status == 0, "\(build.stderr)")
            sizes.append((try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0)
        }
        // Kept after most builds, folded away at least once, never much over the limit (one
        // cached build adds ~33 KiB, a cold one more).
        #expect(sizes.filter { $0 > 0 }.count >= 5, "\(sizes)")
        #expect(sizes.contains(0), "\(sizes)")
        #expect(sizes.allSatisfy { $0 < (128 + 96) << 10 }, "\(sizes)")
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
    }
}
