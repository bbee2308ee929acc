import Foundation
import TestSupport
import Testing

/// `--network=default`: RUN steps reach the outside only through Reprise's recorder; a replay
/// serves what was recorded with no network; a rebuild that fetched other bytes is network
/// drift. The origin is a server on a host of its own (a network namespace), never the host.
@Suite(.serialized) struct NetworkRecordingTests {
    let workspace: BuildWorkspace
    var journal: String { workspace.journal }

    init() throws { workspace = try BuildWorkspace("netrec-cli") }

    var served: String { workspace.sub("served") }

    func serve(_ files: [String: String]) throws -> NamespacedHTTPServer {
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        for (name, content) in files { try content.write(toFile: served + "/" + name, atomically: true, encoding: .utf8) }
        return try NamespacedHTTPServer(serving: served)
    }

    func buildID(_ arguments: [String]) throws -> (id: String, result: RepriseProcess.Result) {
        let metadata = workspace.sub("metadata-\(UInt32.random(in: 0...UInt32.max)).json")
        let result = try workspace.build(["--progress", "quiet", "--metadata-file", metadata] + arguments)
        let values = (try? BuildMetadata(path: metadata)) ?? .empty
        let id = try values["reprise.build.id"] ?? workspace.latestBuild()
        return (id, result)
    }

    @Test func recordsFetchesReplaysThemOfflineAndNamesNetworkDrift() throws {
        let seed = SeededRandom.seedFromEnvironment()
        print("recordsFetchesReplaysThemOffline: seed \(seed) (REPRISE_SEED=\(seed) repeats it)")
        var random = SeededRandom(seed: seed)
        let first = String((0..<2000).map { _ in Character(UnicodeScalar(UInt8.random(in: 97...122, using: &random))) })
        let server = try serve(["package.txt": first])
        defer { server.stop() }
        let url = server.baseURL + "/package.txt"
        let context = try workspace.context("""
            FROM busybox
            RUN wget -q -O /package.txt \(url) && wc -c /package.txt
            """)

        // Record.
        let recorded = try buildID(["--network", "default", "--build-arg", "SOURCE_DATE_EPOCH=0", "--output", "type=oci,dest=\(workspace.sub("a"))", context])
        try #require(recorded.result.status == 0, "\(recorded.result.stderr)")
        let fetches = try RepriseProcess.run(["journal", "fetches", "--json", "--journal", journal, recorded.id])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(fetches.stdout.utf8)) as? [[String: Any]])
        let fetch = try #require(entries.first?["fetch"] as? [String: Any], "\(fetches.stdout)")
        #expect(fetch["url"] as? String == url)
        #expect(fetch["method"] as? String == "GET")
        #expect(fetch["status"] as? Int == 200)
        let firstDigest = try #require(fetch["body"] as? String)
        #expect(firstDigest == "sha256:" + sha256(first))
        let table = try RepriseProcess.run(["journal", "fetches", "--journal", journal, recorded.id])
        #expect(table.stdout.contains(url) && table.stdout.contains("GET"), "\(table.stdout)")
        let show = try RepriseProcess.run(["journal", "show", "--journal", journal, recorded.id])
        #expect(show.stdout.contains("fetches: 1") && show.stdout.contains(url), "\(show.stdout)")

        // The package changes on the server. A replay is served from the record, with no
        // route out, so it still makes the same image.
        try first.uppercased().write(toFile: served + "/package.txt", atomically: true, encoding: .utf8)
        let replay = try RepriseProcess.run(["replay", "--journal", journal, "--progress", "quiet", "--json", recorded.id])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as? [String: Any])
        #expect(report["reproducible"] as? Bool == true)
        #expect(report["recordedManifest"] as? String != nil)
        #expect(report["recordedManifest"] as? String == report["replayedManifest"] as? String)

        // A rebuild fetches the new package: the images differ, and the differ says why.
        let rebuilt = try buildID(["--network", "default", "--build-arg", "SOURCE_DATE_EPOCH=0", "--no-cache", context])
        try #require(rebuilt.result.status == 0, "\(rebuilt.result.stderr)")
        let diff = try RepriseProcess.run(["diff", "--json", "--journal", journal, recorded.id, rebuilt.id])
        #expect(diff.status == 1, "\(diff.stderr)")
        #expect(diff.stdout.contains("network-drift"), "\(diff.stdout.prefix(3000))")
        #expect(diff.stdout.contains(url))
        #expect(diff.stdout.contains(firstDigest))
        #expect(diff.stdout.contains("sha256:" + sha256(first.uppercased())))
        let text = try RepriseProcess.run(["diff", "--journal", journal, recorded.id, rebuilt.id])
        #expect(text.stdout.contains("network drift"), "\(text.stdout.prefix(3000))")
    }

    @Test func aStepThatFetchedTheSameBytesIsNotBlamedOnTheNetwork() throws {
        // Every RUN on the default network is recorded; when both records show the same (here
        // no) fetches, the differ does not name the network as a cause of the difference.
        let context = try workspace.context("FROM busybox\nRUN head -c 16 /dev/urandom | od -An -tx1 > /stamp\n")
        let first = try buildID([context])
        let second = try buildID(["--no-cache", context])
        try #require(first.result.status == 0 && second.result.status == 0, "\(first.result.stderr)\(second.result.stderr)")
        let diff = try RepriseProcess.run(["diff", "--json", "--journal", journal, first.id, second.id])
        #expect(diff.status == 1, "\(diff.stderr)")
        #expect(diff.stdout.contains("/stamp"), "\(diff.stdout.prefix(3000))")
        #expect(!diff.stdout.contains("\"kind\" : \"network\""), "\(diff.stdout)")
        // With the host's network (unrecorded), the network stays a possible cause.
        let hostA = try buildID(["--network", "host", "--allow", "network.host", "--no-cache", context])
        let hostB = try buildID(["--network", "host", "--allow", "network.host", "--no-cache", context])
        try #require(hostA.result.status == 0 && hostB.result.status == 0, "\(hostA.result.stderr)")
        let hostDiff = try RepriseProcess.run(["diff", "--json", "--journal", journal, hostA.id, hostB.id])
        #expect(hostDiff.stdout.contains("\"kind\" : \"network\""), "\(hostDiff.stdout)")
    }

    @Test func aReplayFailsARequestThatIsNotInTheRecordNamingIt() throws {
        let server = try serve(["index.txt": "hello"])
        defer { server.stop() }
        let context = try workspace.context("""
            FROM busybox
            RUN wget -q -O /index.txt "\(server.baseURL)/index.txt?nonce=$(cat /proc/sys/kernel/random/uuid)"
            """)
        let recorded = try buildID(["--network", "default", context])
        try #require(recorded.result.status == 0, "\(recorded.result.stderr)")
        let replay = try RepriseProcess.run(["replay", "--journal", journal, "--progress", "plain", recorded.id])
        #expect(replay.status != 0)
        let output = replay.stdout + replay.stderr
        #expect(output.contains("not in the record: GET \(server.baseURL)/index.txt?nonce="), "\(output)")
    }

    /// busybox nc ignores the proxy variables: HTTP it sends is still recorded (the namespace's
    /// packet filter hands it to the recorder), and anything else is refused and logged.
    @Test func toolsThatIgnoreTheProxyAreRecordedOrRefusedNeverUnrecorded() throws {
        let server = try serve(["raw.txt": "raw bytes\n"])
        defer { server.stop() }
        let context = try workspace.context("""
            FROM busybox
            RUN printf 'GET /raw.txt HTTP/1.0\\r\\nHost: \(server.address):\(server.port)\\r\\n\\r\\n' \\
                  | nc \(server.address) \(server.port) > /raw.out \\
             && grep -q 'raw bytes' /raw.out \\
             && (echo hello | nc \(server.address) 7000 > /nc.out; test ! -s /nc.out)
            """)
        let recorded = try buildID(["--network", "default", "--progress", "plain", context])
        try #require(recorded.result.status == 0, "\(recorded.result.stderr)")
        #expect(recorded.result.stderr.contains("refused TCP \(server.address):7000"), "\(recorded.result.stderr)")
        let fetches = try RepriseProcess.run(["journal", "fetches", "--json", "--journal", journal, recorded.id])
        #expect(fetches.stdout.contains("\"url\" : \"\(server.baseURL)/raw.txt\""), "\(fetches.stdout)")
        #expect(fetches.stdout.contains("\"kind\" : \"refused\""))
    }

    /// ADD <url> on the recording network goes through the same record: a replay serves it from
    /// the journal (the server's newer bytes are never fetched), and provenance lists every
    /// recorded fetch, ADD's and RUN's, as a resolved dependency.
    @Test func addURLIsRecordedReplayedFromTheRecordAndInProvenance() throws {
        let server = try serve(["added.txt": "added v1\n", "run.txt": "run v1\n"])
        defer { server.stop() }
        let context = try workspace.context("""
            FROM busybox
            ADD \(server.baseURL)/added.txt /added.txt
            RUN wget -q -O /run.txt \(server.baseURL)/run.txt
            """)
        let recorded = try buildID(["--network", "default", "--build-arg", "SOURCE_DATE_EPOCH=0", context])
        try #require(recorded.result.status == 0, "\(recorded.result.stderr)")
        let fetches = try RepriseProcess.run(["journal", "fetches", "--journal", journal, recorded.id])
        #expect(fetches.stdout.contains("\(server.baseURL)/added.txt") && fetches.stdout.contains("\(server.baseURL)/run.txt"),
                "\(fetches.stdout)")

        try "added v2\n".write(toFile: served + "/added.txt", atomically: true, encoding: .utf8)
        let replay = try RepriseProcess.run(["replay", "--journal", journal, "--progress", "quiet", "--json", recorded.id])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as? [String: Any])
        #expect(report["reproducible"] as? Bool == true)

        let statement = try RepriseProcess.run(["attest", recorded.id, "--journal", journal])
        try #require(statement.status == 0, "\(statement.stderr)")
        #expect(statement.stdout.contains("fetch:\(server.baseURL)/run.txt"), "\(statement.stdout.prefix(3000))")
        #expect(statement.stdout.contains("sha256\" : \"" + sha256("run v1\n")) || statement.stdout.contains(sha256("run v1\n")))
        #expect(statement.stdout.contains("\(server.baseURL)/added.txt"))
    }

    /// As buildx, a build without `--network` has a network: here the recorder's, so what it
    /// fetches is recorded; `--network none` has none. A replayed step that fetched nothing runs
    /// with no network at all (no recorder: only loopback), with the same variables.
    @Test func theDefaultNetworkIsTheRecorderAndAReplayOfAStepThatFetchedNothingHasNoNetwork() throws {
        let server = try serve(["default.txt": "fetched by default\n"])
        defer { server.stop() }
        let fetching = try workspace.context("""
            FROM busybox
            RUN wget -q -O /default.txt \(server.baseURL)/default.txt
            """)
        let recorded = try buildID([fetching])
        try #require(recorded.result.status == 0, "\(recorded.result.stderr)")
        let fetches = try RepriseProcess.run(["journal", "fetches", "--journal", journal, recorded.id])
        #expect(fetches.stdout.contains("\(server.baseURL)/default.txt"), "\(fetches.stdout)")
        let show = try RepriseProcess.run(["journal", "show", "--json", "--journal", journal, recorded.id])
        #expect(show.stdout.contains("\"network\" : \"record\""), "\(show.stdout.prefix(2000))")
        let none = try buildID(["--network", "none", "--no-cache", fetching])
        #expect(none.result.status != 0, "a build with --network none fetched: \(none.result.stderr)")

        let quiet = try workspace.context("""
            FROM busybox
            RUN echo "interfaces: $(ls /sys/class/net | tr '\\n' ' ')proxy: $http_proxy" && echo quiet > /quiet
            """)
        let silent = try buildID(["--progress", "plain", "--build-arg", "SOURCE_DATE_EPOCH=0", quiet])
        try #require(silent.result.status == 0, "\(silent.result.stderr)")
        let recordedLog = try RepriseProcess.run(["journal", "show", "--logs", "--journal", journal, silent.id]).stdout
        #expect(recordedLog.contains("interfaces: lo rp0 rp1 proxy: http://127.0.0.1:3128"), "\(recordedLog)")
        let replay = try RepriseProcess.run(["replay", "--journal", journal, "--progress", "quiet", "--json", silent.id])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as? [String: Any])
        #expect(report["recordedManifest"] as? String == report["replayedManifest"] as? String)
        let replayID = try #require(report["replay"] as? String)
        let replayedLog = try RepriseProcess.run(["journal", "show", "--logs", "--journal", journal, replayID]).stdout
        #expect(replayedLog.contains("interfaces: lo proxy: http://127.0.0.1:3128"), "\(replayedLog)")
    }

    /// The namespaces in /run/netns that reprise process `pid` made (`reprise-PID-…`).
    func namespaces(of pid: Int32) throws -> [String] {
        try Tool.check(["ip", "netns", "list"]).stdout.split(separator: "\n")
            .map { String($0.split(separator: " ")[0]) }.filter { $0.hasPrefix("reprise-\(pid)-") }.sorted()
    }

    /// Polls until `condition` holds, or fails the test after `seconds`.
    func waitUntil(_ seconds: Double, _ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try !condition() {
            try #require(Date() < deadline, "timed out waiting for \(what)")
            usleep(20_000)
        }
    }

    /// The recording network is made ahead of the RUN, but only when a RUN runs: a fully cached
    /// build makes no namespace and starts no process (strace sees no execve but its own, no
    /// unshare, no mount), and a cold one makes it in-process (unshare and a bind mount) with one
    /// tool, iptables-restore, run by its absolute path (no `ip`, no /usr/bin/env).
    @Test func aFullyCachedBuildMakesNoNamespaceAndAColdOneRunsOnlyIptablesRestore() throws {
        let context = try workspace.context("""
            FROM busybox
            COPY greeting.txt /greeting.txt
            RUN cat /greeting.txt > /copy.txt && ls /sys/class/net > /interfaces.txt && echo "$http_proxy" >> /interfaces.txt
            """, files: ["greeting.txt": "hello \(UInt32.random(in: 0...UInt32.max))\n"])
        func traced(_ label: String) throws -> (RepriseProcess.Result, [String]) {
            let trace = workspace.sub("strace-\(label).txt")
            let output = try Tool.run(["strace", "-f", "-qq", "-o", trace, "-e", "trace=execve,unshare,mount",
                                       RepriseProcess.executable] + workspace.buildArguments(["--progress", "quiet", context]))
            let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
            return (RepriseProcess.Result(status: output.status, stdout: output.stdout, stderr: output.stderr), lines)
        }
        let (cold, coldCalls) = try traced("cold")
        try #require(cold.status == 0, "\(cold.stderr)")
        let executed = coldCalls.filter { $0.contains("execve(") && !$0.contains("ENOENT") }
        // (The step's own programs run too: the shell, busybox.)
        #expect(executed.filter { $0.contains("execve(\"/usr/sbin/iptables-restore\"") || $0.contains("execve(\"/sbin/iptables-restore\"") }.count == 1,
                "\(executed)")
        #expect(!executed.contains { $0.contains("execve(\"/usr/bin/env\"") || $0.contains("bin/ip\"") }, "\(executed)")
        #expect(coldCalls.contains { $0.contains("unshare(CLONE_NEWNET)") }, "\(coldCalls)")
        #expect(coldCalls.contains { $0.contains("mount(\"/proc/self/task/") && $0.contains("/run/netns/reprise-") }, "\(coldCalls)")

        let (cached, cachedCalls) = try traced("cached")
        try #require(cached.status == 0, "\(cached.stderr)")
        let id = try workspace.latestBuild()
        let steps = try workspace.steps(id)
        #expect(steps.count == 3 && steps.dropFirst().allSatisfy { ($0["outcome"] as? String) == "cached" }, "\(steps)")
        #expect(cachedCalls.filter { $0.contains("execve(") }.count == 1, "\(cachedCalls)")
        #expect(!cachedCalls.contains { $0.contains("unshare(") || $0.contains("mount(") }, "\(cachedCalls)")
    }

    /// A namespace made ahead for a later RUN that never runs (the build failed before it) is
    /// removed at the end of the build, as is the failed step's own.
    @Test func aFailedBuildLeavesNoNamespaceNotEvenOneMadeAheadForALaterRun() throws {
        let context = try workspace.context("""
            FROM busybox
            RUN echo failing \(UInt32.random(in: 0...UInt32.max)) && false
            RUN echo never runs
            """)
        let process = try RepriseProcess.start(workspace.buildArguments([context]))
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(try namespaces(of: process.processIdentifier).isEmpty)
    }

    /// Ctrl-C (SIGINT) in a RUN on the recorder, with the next RUN's namespace made ahead: the
    /// build ends and leaves neither. SIGKILL leaves both, and the next build that records a RUN
    /// removes them (their process is gone), and only them.
    @Test func anInterruptedBuildLeavesNoNamespaceAndAKilledBuildsAreReclaimed() throws {
        for signal in [SIGINT, SIGKILL] {
            let context = try workspace.context("""
                FROM busybox
                RUN sleep 30 # \(signal) \(UInt32.random(in: 0...UInt32.max))
                RUN echo never runs
                """)
            let process = try RepriseProcess.start(workspace.buildArguments([context]))
            let pid = process.processIdentifier
            // The sleeping step's namespace and the one made ahead for the next RUN.
            try waitUntil(60, "two namespaces of build \(pid)") { try namespaces(of: pid).count == 2 }
            usleep(200_000)
            kill(pid, signal)
            process.waitUntilExit()
            let left = try namespaces(of: pid)
            if signal == SIGKILL {
                // A killed build cannot remove its namespaces (a build another suite runs meanwhile may
                // already have reclaimed them: what counts is that none is left after the next one).
                print("SIGKILL left \(left)")
                let next = try workspace.build([try workspace.context("FROM busybox\nRUN echo reclaim \(pid)\n")])
                #expect(next.status == 0, "\(next.stderr)")
                let remaining = try namespaces(of: pid)
                #expect(remaining.isEmpty, "not reclaimed: \(remaining)")
            } else {
                #expect(process.terminationStatus != 0)
                #expect(left.isEmpty, "left behind: \(left)")
            }
        }
    }

    /// Two stages that run at the same time each have a RUN on the recorder: each step gets a
    /// namespace of its own (made ahead for each), with the recorder's network in it.
    @Test func twoRunsOnTheRecorderAtOnceEachHaveTheirOwnNamespace() throws {
        let context = try workspace.context("""
            FROM busybox AS one
            RUN sleep 1 && echo "$(readlink /proc/self/ns/net) $(ls /sys/class/net | tr '\\n' ' ')$http_proxy" > /seen
            FROM busybox AS two
            RUN sleep 1 && echo "$(readlink /proc/self/ns/net) $(ls /sys/class/net | tr '\\n' ' ')$http_proxy" > /seen
            FROM busybox
            COPY --from=one /seen /one
            COPY --from=two /seen /two
            RUN cat /one /two # \(UInt32.random(in: 0...UInt32.max))
            """)
        let built = try buildID(["--progress", "plain", context])
        try #require(built.result.status == 0, "\(built.result.stderr)")
        let steps = try workspace.steps(built.id).filter { $0["instruction"] as? String == "RUN" }
        let spans = steps.prefix(2).compactMap { step -> ClosedRange<Double>? in
            guard let text = step["startedAt"] as? String, let duration = step["durationSeconds"] as? Double else { return nil }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.date(from: text).map { $0.timeIntervalSince1970...($0.timeIntervalSince1970 + duration) }
        }
        try #require(spans.count == 2 && spans[0].overlaps(spans[1]), "the two RUNs did not run at once: \(spans)")
        let log = try RepriseProcess.run(["journal", "show", "--logs", "--journal", journal, built.id]).stdout
        let seen = log.split(separator: "\n").filter { $0.contains("net:[") }.map { String($0[$0.range(of: "net:[")!.lowerBound...]) }
        try #require(seen.count == 2, "\(log)")
        #expect(seen.allSatisfy { $0.hasSuffix(" lo rp0 rp1 http://127.0.0.1:3128") }, "\(seen)")
        #expect(seen[0].split(separator: " ")[0] != seen[1].split(separator: " ")[0], "the same namespace twice: \(seen)")
    }

    /// A replayed step that fetched nothing gets no network at all: nothing is made ahead for it
    /// either (strace sees no namespace pinned in /run/netns and no iptables-restore).
    @Test func aReplayOfAStepThatFetchedNothingMakesNoNamespaceAhead() throws {
        let context = try workspace.context("""
            FROM busybox
            COPY marker /marker
            RUN echo quiet > /quiet
            """, files: ["marker": "\(UInt32.random(in: 0...UInt32.max))\n"])
        let recorded = try buildID(["--build-arg", "SOURCE_DATE_EPOCH=0", context])
        try #require(recorded.result.status == 0, "\(recorded.result.stderr)")
        let trace = workspace.sub("strace-replay.txt")
        let replay = try Tool.run(["strace", "-f", "-qq", "-o", trace, "-e", "trace=execve,mount",
                                   RepriseProcess.executable, "replay", "--journal", journal, "--progress", "quiet",
                                   "--json", recorded.id])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        let calls = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        #expect(calls.contains { $0.contains("execve(\"/bin/sh\"") }, "the step did not run: \(calls)")
        #expect(!calls.contains { $0.contains("/run/netns/") || $0.contains("iptables-restore") }, "\(calls)")
    }

    func sha256(_ text: String) -> String {
        (try? Tool.check(["sha256sum"], input: Data(text.utf8)).stdout.split(separator: " ").first.map(String.init)) ?? ""
    }
}
