import Foundation
import TestSupport
import Testing

/// Two `reprise build` processes on one journal, sharing a cache id: `locked` makes the second
/// step wait for the first, `shared` lets them overlap, `private` gives the second its own
/// instance. Each step stamps the host's uptime (the sandbox has its own pid namespace but the
/// kernel's clock) into the cache when it starts and ends.
@Suite(.serialized) struct CacheSharingTests {
    let workspace: BuildWorkspace

    init() throws { workspace = try BuildWorkspace("cache-sharing") }

    struct Stamp {
        var event: String
        var who: String
        var uptime: Double
    }

    /// With `rendezvous`, each step waits (up to 60 s) until the other has started too, so
    /// that overlap does not hang on how fast a loaded machine starts the second build; a cache
    /// that serialised the steps would show as start, end, start, end all the same.
    func timelineDockerfile(id: String, sharing: String, rendezvous: Bool = false) -> String {
        let wait = rendezvous
            ? "for i in $(seq 600); do [ $(grep -c start /c/log) -ge 2 ] && break; sleep 0.1; done && sleep 1"
            : "sleep 3"
        return """
        FROM busybox
        ARG WHO
        RUN --mount=type=cache,target=/c,id=\(id),sharing=\(sharing) \\
            echo "start $WHO $(cut -d' ' -f1 /proc/uptime)" >> /c/log && \(wait) \\
            && echo "end $WHO $(cut -d' ' -f1 /proc/uptime)" >> /c/log && touch /c/$WHO
        """
    }

    /// Starts one build per name at once and waits for all of them.
    func buildConcurrently(_ directory: String, names: [String]) throws {
        let processes = try names.map { name in
            try RepriseProcess.start(workspace.buildArguments(["--build-arg", "WHO=\(name)", directory]))
        }
        for process in processes {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
    }

    /// The instance directories of cache `id` on the host, by instance number.
    func instances(of id: String) throws -> [Int: String] {
        let root = workspace.journal + "/cache-mounts"
        for name in try FileManager.default.contentsOfDirectory(atPath: root) {
            let directory = root + "/" + name
            guard (try? String(contentsOfFile: directory + "/id", encoding: .utf8)) == id else { continue }
            var found: [Int: String] = [:]
            for entry in try FileManager.default.contentsOfDirectory(atPath: directory) {
                if let number = Int(entry) { found[number] = directory + "/" + entry }
            }
            return found
        }
        return [:]
    }

    func timeline(_ path: String) throws -> [Stamp] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            let fields = line.split(separator: " ").map(String.init)
            return Stamp(event: fields[0], who: fields[1], uptime: Double(fields[2]) ?? -1)
        }
    }

    @Test func lockedRunsTheSecondStepAfterTheFirstEnds() throws {
        let directory = try workspace.context(timelineDockerfile(id: "timeline-locked", sharing: "locked"))
        try buildConcurrently(directory, names: ["a", "b"])
        let instance = try #require(try instances(of: "timeline-locked")[0])
        #expect(try instances(of: "timeline-locked").count == 1)
        let stamps = try timeline(instance + "/log")
        try #require(stamps.count == 4, "\(stamps)")
        #expect(stamps.map(\.event) == ["start", "end", "start", "end"])
        #expect(stamps[0].who == stamps[1].who && stamps[2].who == stamps[3].who && stamps[0].who != stamps[2].who)
        #expect(stamps[2].uptime >= stamps[1].uptime, "the second step started after the first ended")
    }

    @Test func sharedLetsBothStepsUseTheCacheAtOnce() throws {
        let directory = try workspace.context(timelineDockerfile(id: "timeline-shared", sharing: "shared", rendezvous: true))
        try buildConcurrently(directory, names: ["a", "b"])
        let instance = try #require(try instances(of: "timeline-shared")[0])
        let stamps = try timeline(instance + "/log")
        try #require(stamps.count == 4, "\(stamps)")
        #expect(stamps.map(\.event) == ["start", "start", "end", "end"], "the two steps overlapped: \(stamps)")
    }

    @Test func privateGivesABusyCacheASeparateInstance() throws {
        let seed = try workspace.context("""
            FROM busybox
            RUN --mount=type=cache,target=/c,id=timeline-private,sharing=private echo seed > /c/seed
            """)
        try #require(try workspace.build([seed]).status == 0)
        let directory = try workspace.context(timelineDockerfile(id: "timeline-private", sharing: "private"))
        try buildConcurrently(directory, names: ["a", "b"])
        let instances = try instances(of: "timeline-private")
        try #require(instances.count == 2, "\(instances)")
        let first = Set(try FileManager.default.contentsOfDirectory(atPath: try #require(instances[0])))
        let second = Set(try FileManager.default.contentsOfDirectory(atPath: try #require(instances[1])))
        #expect(first.contains("seed") && !second.contains("seed"), "the busy instance was not shared")
        #expect(first.intersection(["a", "b"]).count == 1 && second.intersection(["a", "b"]).count == 1)
        let stamps = try timeline(try #require(instances[1]) + "/log")
        #expect(stamps.map(\.event) == ["start", "end"])
        // The journal says which instance each step saw.
        let listing = try RepriseProcess.run(["journal", "ls", "-q", "--journal", workspace.journal])
        let builds = listing.stdout.split(separator: "\n").prefix(2).map(String.init)
        let seen = try Set(builds.flatMap { try workspace.mounts($0) }.compactMap { ($0["options"] as? [String: String])?["instance"] })
        #expect(seen.count == 2, "\(seen)")
    }
}
