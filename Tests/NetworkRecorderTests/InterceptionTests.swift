import BuildJournal
import ContentStore
import Foundation
import NetworkRecorder
import Testing
import TestSupport

/// HTTPS through CONNECT: intercepted with the journal's authority (recorded and replayed like
/// HTTP), or, without interception, tunnelled and logged by host as not replayable. The origin
/// is a TLS server with a CA the test makes with openssl. Needs root.
@Suite(.serialized)
struct InterceptionTests {
    let directory: TemporaryDirectory
    let store: BlobStore

    init() throws {
        directory = try TemporaryDirectory("netrec-tls")
        store = try BlobStore(root: directory.sub("store"))
    }

    /// A test CA and a server certificate for `address`, as PEM files.
    func certificates(for address: String) throws -> (ca: String, certificate: String, key: String) {
        let ca = directory.sub("test-ca.pem"), caKey = directory.sub("test-ca.key")
        let certificate = directory.sub("server.pem"), key = directory.sub("server.key")
        try Tool.check(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", caKey, "-out", ca, "-days", "2", "-subj", "/CN=reprise test origin CA"])
        try Tool.check(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", directory.sub("server.csr"), "-subj", "/CN=\(address)"])
        let extensions = directory.sub("server.ext")
        try "subjectAltName=IP:\(address)\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        try Tool.check(["openssl", "x509", "-req", "-in", directory.sub("server.csr"), "-CA", ca, "-CAkey", caKey,
                        "-CAcreateserial", "-out", certificate, "-days", "2", "-extfile", extensions])
        return (ca, certificate, key)
    }

    /// Python's urllib in the step's namespace: https_proxy → CONNECT; trusts `caFile`.
    func download(_ url: String, in network: RecordingNetwork, caFile: String) throws -> ToolOutput {
        var environment: [String: String] = [:]
        for entry in network.environment {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            environment[parts[0]] = parts[1]
        }
        environment["SSL_CERT_FILE"] = caFile
        return try Tool.run(["ip", "netns", "exec", network.namespace.name, "python3", "-c", """
            import sys, urllib.request
            sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())
            """, url], environment: environment)
    }

    func serve(_ content: String) throws -> (NamespacedHTTPServer, String) {
        let served = directory.sub("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try content.write(toFile: served + "/secure.txt", atomically: true, encoding: .utf8)
        // The address is chosen by the server; make the certificate after, then restart on it.
        let probe = try NamespacedHTTPServer(serving: served)
        let address = probe.address
        probe.stop()
        let files = try certificates(for: address)
        let server = try NamespacedHTTPServer(serving: served, certificate: files.certificate, key: files.key, address: address)
        return (server, files.ca)
    }

    @Test func interceptsHTTPSRecordsItAndReplaysItOffline() throws {
        let content = "secure content \(UInt64.random(in: 0...UInt64.max))\n"
        let (server, testCA) = try serve(content)
        defer { server.stop() }
        let url = server.baseURL + "/secure.txt"
        let authority = try InterceptionAuthority.loadOrCreate(in: directory.sub("ca"))
        let authorityFile = directory.sub("ca/ca.pem")

        let recorder = try RecordingNetwork(mode: .record(DestinationPolicy()), store: store, authority: authority,
                                            extraTrustRoots: [testCA])
        let fetched = try download(url, in: recorder, caFile: authorityFile)
        let transcript = recorder.finish()
        #expect(fetched.succeeded, "\(fetched)")
        #expect(fetched.stdout == content)
        let fetch = try #require(transcript.fetches.first { $0.kind == .https }, "\(transcript.fetches)")
        #expect(fetch.url == url)
        #expect(fetch.body == Digest(of: Data(content.utf8)), "\(fetch)")
        #expect(transcript.replayable)
        // The step trusted only the journal's authority, never the origin's own CA.
        let direct = try download(url, in: try RecordingNetwork(mode: .record(DestinationPolicy()), store: store,
                                                             authority: authority), caFile: testCA)
        #expect(!direct.succeeded)

        server.stop()
        let replayer = try RecordingNetwork(mode: .replay(transcript.fetches), store: store, authority: authority)
        let again = try download(url, in: replayer, caFile: authorityFile)
        let replayed = replayer.finish()
        #expect(again.succeeded, "\(again)")
        #expect(again.stdout == content)
        #expect(replayed.misses.isEmpty)
    }

    @Test func withoutInterceptionTunnelsAreLoggedByHostAndNotReplayable() throws {
        let content = "tunnelled \(UInt64.random(in: 0...UInt64.max))\n"
        let (server, testCA) = try serve(content)
        defer { server.stop() }
        let recorder = try RecordingNetwork(mode: .record(DestinationPolicy()), store: store)
        let fetched = try download(server.baseURL + "/secure.txt", in: recorder, caFile: testCA)
        let transcript = recorder.finish()
        #expect(fetched.succeeded, "\(fetched)")
        #expect(fetched.stdout == content)
        #expect(transcript.fetches.contains { $0.kind == .tunnel && $0.url == "\(server.address):\(server.port)" })
        #expect(!transcript.replayable)
    }
}
