import BuildJournal
import ContentStore
import Foundation
import NetworkRecorder
import Testing
import TestSupport

/// The recorder on its own: clients run in the step's namespace with `ip netns exec`, the origin
/// is a server on a host of its own (``NamespacedHTTPServer``). Needs root.
@Suite(.serialized)
struct RecordingNetworkTests {
    let directory: TemporaryDirectory
    let store: BlobStore

    init() throws {
        directory = try TemporaryDirectory("netrec")
        store = try BlobStore(root: directory.sub("store"))
    }

    /// Random file contents, with the seed printed.
    func payload(_ label: String) -> Data {
        let seed = SeededRandom.seedFromEnvironment()
        print("\(label): seed \(seed) (REPRISE_SEED=\(seed) repeats it)")
        var random = SeededRandom(seed: seed)
        return Data((0..<4096).map { _ in UInt8.random(in: 32...126, using: &random) })
    }

    func inside(_ network: RecordingNetwork, _ argv: [String], proxy: Bool = true) throws -> ToolOutput {
        var environment: [String: String] = [:]
        if proxy {
            for entry in network.environment {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                environment[parts[0]] = parts[1]
            }
        }
        return try Tool.run(["ip", "netns", "exec", network.namespace.name] + argv, environment: environment)
    }

    @Test func recordsThroughTheProxyVariablesAndReplaysWithNoNetwork() throws {
        let content = payload("recordsThroughTheProxyVariables")
        let served = directory.sub("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try content.write(to: URL(fileURLWithPath: served + "/hello.txt"))
        let server = try NamespacedHTTPServer(serving: served)
        defer { server.stop() }
        let url = server.baseURL + "/hello.txt"

        let recorder = try RecordingNetwork(mode: .record(DestinationPolicy()), store: store)
        let fetched = try inside(recorder, ["busybox", "wget", "-q", "-O", "-", url])
        let transcript = recorder.finish()
        #expect(fetched.succeeded, "\(fetched)")
        #expect(Data(fetched.stdout.utf8) == content)
        let fetch = try #require(transcript.fetches.first { $0.kind == .http })
        #expect(fetch.method == "GET")
        #expect(fetch.url == url)
        #expect(fetch.status == 200)
        #expect(fetch.body == Digest(of: content))
        #expect(fetch.addresses == [server.address])
        #expect(transcript.replayable)

        server.stop()
        let replayer = try RecordingNetwork(mode: .replay(transcript.fetches), store: store)
        let again = try inside(replayer, ["busybox", "wget", "-q", "-O", "-", url])
        let missing = try inside(replayer, ["busybox", "wget", "-q", "-O", "-", server.baseURL + "/other.txt"])
        let replayed = replayer.finish()
        #expect(again.succeeded, "\(again)")
        #expect(Data(again.stdout.utf8) == content)
        #expect(!missing.succeeded)
        #expect(replayed.misses == ["GET \(server.baseURL)/other.txt"])
    }

    @Test func capturesToolsThatIgnoreTheProxyAndRefusesWhatItCannotRecord() throws {
        let content = payload("capturesToolsThatIgnoreTheProxy")
        let served = directory.sub("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try content.write(to: URL(fileURLWithPath: served + "/raw.txt"))
        let server = try NamespacedHTTPServer(serving: served)
        defer { server.stop() }

        let recorder = try RecordingNetwork(mode: .record(DestinationPolicy()), store: store)
        // A raw socket straight to the server's address, no proxy: redirected to the recorder.
        let raw = try inside(recorder, ["python3", "-c", """
            import socket, sys
            s = socket.create_connection(("\(server.address)", \(server.port)), 5)
            s.sendall(b"GET /raw.txt HTTP/1.0\\r\\nHost: \(server.address):\(server.port)\\r\\n\\r\\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                data += chunk
            sys.stdout.write(data.split(b"\\r\\n\\r\\n", 1)[1].decode())
            """], proxy: false)
        // Something that is not HTTP (as busybox nc would send): refused, and logged.
        let notHTTP = try inside(recorder, ["python3", "-c", """
            import socket
            s = socket.create_connection(("\(server.address)", 7000), 5)
            s.sendall(b"HELLO THERE\\r\\n\\r\\n")
            print(repr(s.recv(100)))
            """], proxy: false)
        // The host itself is out of bounds.
        let host = try inside(recorder, ["busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:9/"])
        let transcript = recorder.finish()
        #expect(raw.succeeded, "\(raw)")
        #expect(Data(raw.stdout.utf8) == content)
        #expect(transcript.fetches.contains { $0.kind == .http && $0.url == server.baseURL + "/raw.txt" })
        #expect(transcript.refusals.contains { $0.method == "TCP" && $0.url == "\(server.address):7000" },
                "\(transcript.fetches)")
        #expect(!host.succeeded)
        #expect(transcript.refusals.contains { $0.url == "http://127.0.0.1:9/" && ($0.note ?? "").contains("loopback") })
        #expect(notHTTP.stdout.contains("b''") || !notHTTP.succeeded)
    }

    @Test func answersNamesFromItsOwnResponder() throws {
        let recorder = try RecordingNetwork(mode: .record(DestinationPolicy()), store: store)
        let query = try inside(recorder, ["python3", "-c", """
            import socket, struct
            q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
            q += b"".join(bytes([len(p)]) + p.encode() for p in "deb.example.test".split(".")) + b"\\0"
            q += struct.pack("!HH", 1, 1)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
            s.sendto(q, ("127.0.0.1", 53))
            r = s.recv(512)
            print(socket.inet_ntoa(r[-4:]), struct.unpack("!H", r[6:8])[0])
            """], proxy: false)
        let transcript = recorder.finish()
        #expect(query.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "198.18.0.1 1", "\(query)")
        #expect(transcript.fetches.contains { $0.kind == .dns && $0.url == "deb.example.test" && $0.addresses == ["198.18.0.1"] })
    }

    /// `megabytes` MiB of seeded random bytes (the seed printed).
    func largePayload(_ label: String, megabytes: Int) -> Data {
        let seed = SeededRandom.seedFromEnvironment()
        print("\(label): seed \(seed) (REPRISE_SEED=\(seed) repeats it)")
        var random = SeededRandom(seed: seed)
        var words = [UInt64](repeating: 0, count: megabytes << 17)
        for index in words.indices { words[index] = random.next() }
        return words.withUnsafeBytes { Data($0) }
    }

    @Test func recordsAMultiMebibytePlainHTTPBodyWithItsDigestAndReplaysItByteIdentical() throws {
        let content = largePayload("recordsAMultiMebibytePlainHTTPBody", megabytes: 24)
        let served = directory.sub("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try content.write(to: URL(fileURLWithPath: served + "/large.bin"))
        let server = try NamespacedHTTPServer(serving: served)
        defer { server.stop() }
        let url = server.baseURL + "/large.bin"

        // Most of the body goes by the fast path (its first read burst goes through NIO). On a
        // loaded machine the step can drain so slowly that the kernel's buffers take the whole
        // body first, and NIO relays it (correctly, recorded the same): up to three recordings,
        // every one checked, and at least one must have spliced most of the body.
        var attempts: [(spliced: Int64, transcript: NetworkTranscript)] = []
        let recordedCopy = directory.sub("recorded.bin")
        while attempts.count < 3, !attempts.contains(where: { $0.spliced > Int64(content.count / 2) }) {
            let recorder = try RecordingNetwork(mode: .record(DestinationPolicy()), store: store, splicePlainBodies: true)
            let fetched = try inside(recorder, ["busybox", "wget", "-q", "-O", recordedCopy, url])
            let spliced = recorder.splicedBodyBytes
            attempts.append((spliced, recorder.finish()))
            #expect(fetched.succeeded, "\(fetched)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: recordedCopy)) == content)
        }
        #expect(attempts.contains { $0.spliced > Int64(content.count / 2) },
                "spliced \(attempts.map(\.spliced)) of \(content.count) bytes")
        for attempt in attempts {
            let fetch = try #require(attempt.transcript.fetches.first { $0.url == url })
            #expect(fetch.body == Digest(of: content) && fetch.size == Int64(content.count) && fetch.note == nil)
        }
        let transcript = try #require(attempts.last).transcript
        let fetch = try #require(transcript.fetches.first { $0.url == url })
        #expect(fetch.status == 200)
        #expect(fetch.body == Digest(of: content))
        #expect(fetch.size == Int64(content.count))
        #expect(fetch.note == nil)
        #expect(fetch.responseHeaders.contains { $0.name.lowercased() == "content-length" && $0.value == String(content.count) })

        server.stop()
        let replayer = try RecordingNetwork(mode: .replay(transcript.fetches), store: store)
        let replayedCopy = directory.sub("replayed.bin")
        let again = try inside(replayer, ["busybox", "wget", "-q", "-O", replayedCopy, url])
        _ = replayer.finish()
        #expect(again.succeeded, "\(again)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: replayedCopy)) == content)
    }

    @Test func anOriginThatClosesMidBodyLeavesARecordOfTheTruncatedBodyAndTheStepSeesTheBreak() throws {
        let content = largePayload("anOriginThatClosesMidBody", megabytes: 8)
        let served = directory.sub("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try content.write(to: URL(fileURLWithPath: served + "/cut.bin"))
        let cut = 3 << 20
        let server = try NamespacedHTTPServer(serving: served, cutAfter: cut)
        defer { server.stop() }
        let url = server.baseURL + "/cut.bin"

        let recorder = try RecordingNetwork(mode: .record(DestinationPolicy()), store: store, splicePlainBodies: true)
        let copy = directory.sub("cut.bin")
        let fetched = try inside(recorder, ["busybox", "wget", "-q", "-O", copy, url])
        let transcript = recorder.finish()
        // The step must not take a short body for a whole one.
        #expect(!fetched.succeeded, "\(fetched)")
        let received = (try? Data(contentsOf: URL(fileURLWithPath: copy))) ?? Data()
        #expect(received.count < content.count)
        #expect(received == content.prefix(received.count))
        let fetch = try #require(transcript.fetches.first { $0.url == url })
        #expect(fetch.body == nil, "a truncated body is never recorded as the response: \(fetch)")
        let note = try #require(fetch.note)
        #expect(note.contains("\(cut) of \(content.count) bytes"), "\(note)")
        #expect(!fetch.isServable)
    }

    @Test func aStepThatHangsUpMidBodyIsRecordedClearlyAndTheRecorderGoesOn() throws {
        let content = largePayload("aStepThatHangsUpMidBody", megabytes: 32)
        let served = directory.sub("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try content.write(to: URL(fileURLWithPath: served + "/big.bin"))
        try Data("after\n".utf8).write(to: URL(fileURLWithPath: served + "/after.txt"))
        let server = try NamespacedHTTPServer(serving: served)
        defer { server.stop() }
        let url = server.baseURL + "/big.bin"

        let recorder = try RecordingNetwork(mode: .record(DestinationPolicy()), store: store, splicePlainBodies: true)
        // Through the proxy by hand: read 4 MiB of the body, then hang up (RST: unread data).
        let hangUp = try inside(recorder, ["python3", "-c", """
            import os, socket
            host, port = os.environ["http_proxy"].split("//")[1].strip("/").rsplit(":", 1)
            s = socket.create_connection((host, int(port)), 10)
            s.sendall(b"GET \(url) HTTP/1.1\\r\\nHost: \(server.address):\(server.port)\\r\\n\\r\\n")
            got = 0
            while got < 4 << 20:
                chunk = s.recv(65536)
                if not chunk: break
                got += len(chunk)
            s.close()
            print(got)
            """])
        let after = try inside(recorder, ["busybox", "wget", "-q", "-O", "-", server.baseURL + "/after.txt"])
        let transcript = recorder.finish()
        #expect(hangUp.succeeded, "\(hangUp)")
        #expect(after.succeeded && after.stdout == "after\n", "\(after)")
        let fetch = try #require(transcript.fetches.first { $0.url == url })
        print("aStepThatHangsUpMidBody: \(fetch.note ?? "the whole body was recorded")")
        // Either the whole body was recorded (the origin read to its end, NIO's relay) or the
        // record says the step hung up and how much it had: never a short body as a whole one.
        if let body = fetch.body {
            #expect(body == Digest(of: content))
            #expect(fetch.note == nil)
        } else {
            let note = try #require(fetch.note)
            #expect(note.contains("the step closed the connection after") && note.contains("of \(content.count) bytes"), "\(note)")
        }
    }
}
