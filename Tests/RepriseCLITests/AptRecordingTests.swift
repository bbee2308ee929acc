import Foundation
import TestSupport
import Testing

/// The real thing: `apt-get update && apt-get install` in a Debian image against an apt
/// repository the test builds from .deb files (dpkg-deb, apt-ftparchive) and serves from a host
/// of its own. Recorded, replayed with no network to the identical image, and after the
/// package changes, a rebuild differs by network drift naming the URL. About 30 s once the
/// Debian image is cached (its first debootstrap takes a minute or two and needs Debian's
/// archive); skipped when no Debian image can be made, or with `REPRISE_APT_TEST=0`. The HTTP and
/// HTTPS tests run in the suite; the one against Debian's own archive only with `REPRISE_APT_TEST=1`
/// (`scripts/test-netrec-apt` runs all three).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["REPRISE_APT_TEST"] != "0"
                                 && CorpusDebianImage.layout != nil))
struct AptRecordingTests {
    let scratch: TemporaryDirectory
    var journal: String { scratch.sub("journal") }
    var repository: String { scratch.sub("repository") }

    init() throws { scratch = try TemporaryDirectory("netrec-apt") }

    /// Builds `reprise-hello_VERSION_all.deb` holding /usr/share/reprise-hello/hello.txt and
    /// (re)writes the repository's indexes.
    func publish(version: String, text: String) throws {
        let package = scratch.sub("pkg-\(version)")
        try FileManager.default.createDirectory(atPath: package + "/DEBIAN", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: package + "/usr/share/reprise-hello", withIntermediateDirectories: true)
        try """
            Package: reprise-hello
            Version: \(version)
            Architecture: all
            Maintainer: Reprise tests <tests@reprise.invalid>
            Description: a package made by Reprise's tests

            """.write(toFile: package + "/DEBIAN/control", atomically: true, encoding: .utf8)
        try text.write(toFile: package + "/usr/share/reprise-hello/hello.txt", atomically: true, encoding: .utf8)
        let pool = repository + "/pool"
        try? FileManager.default.removeItem(atPath: pool)
        try FileManager.default.createDirectory(atPath: pool, withIntermediateDirectories: true)
        try Tool.check(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", package,
                        pool + "/reprise-hello_\(version)_all.deb"], environment: ["SOURCE_DATE_EPOCH": "0"])
        let packages = try Tool.check(["apt-ftparchive", "packages", "pool"], in: repository).stdout
        try packages.write(toFile: repository + "/Packages", atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: repository + "/Release")
        let release = try Tool.check(["apt-ftparchive", "release", "."], in: repository).stdout
        try release.write(toFile: repository + "/Release", atomically: true, encoding: .utf8)
    }

    func build(_ context: String, _ extra: [String] = []) throws -> (id: String, status: Int32, stderr: String) {
        let metadata = scratch.sub("metadata-\(UInt32.random(in: 0...UInt32.max)).json")
        let result = try RepriseProcess.run(["build", "--journal", journal, "--progress", "plain", "--no-cache",
                                             "--network", "default", "--build-arg", "SOURCE_DATE_EPOCH=0",
                                             "--metadata-file", metadata] + extra + [context])
        let values = (try? BuildMetadata(path: metadata)) ?? .empty
        return (values["reprise.build.id"] ?? "", result.status, result.stderr)
    }

    @Test func aptInstallIsRecordedReplayedOfflineAndDriftIsNamed() throws {
        let layout = try #require(CorpusDebianImage.layout, "no Debian image (debootstrap needs the Debian archive once)")
        let imported = try RepriseProcess.run(["image", "import", layout, "--name", "debian", "--journal", journal])
        try #require(imported.status == 0, "\(imported.stderr)")
        try publish(version: "1.0", text: "hello from version 1\n")
        let server = try NamespacedHTTPServer(serving: repository)
        defer { server.stop() }

        let context = scratch.sub("context")
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try """
            FROM debian
            RUN rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* \\
             && echo "deb [trusted=yes] \(server.baseURL)/ ./" > /etc/apt/sources.list.d/test.list \\
             && apt-get update && apt-get install -y --no-install-recommends reprise-hello \\
             && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/* /var/cache/ldconfig/aux-cache \\
             && cat /usr/share/reprise-hello/hello.txt
            """.write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)

        let recorded = try build(context)
        try #require(recorded.status == 0, "\(recorded.stderr)")
        let fetches = try RepriseProcess.run(["journal", "fetches", "--journal", journal, recorded.id])
        #expect(fetches.stdout.contains("\(server.baseURL)/./Packages") || fetches.stdout.contains("\(server.baseURL)/Packages"),
                "\(fetches.stdout)")
        let debURL = "\(server.baseURL)/pool/reprise-hello_1.0_all.deb"
        #expect(fetches.stdout.contains(debURL), "\(fetches.stdout)")

        // Offline: the server is gone; the replay is served from the record.
        server.stop()
        let replay = try RepriseProcess.run(["replay", "--journal", journal, "--progress", "quiet", "--json", recorded.id])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as? [String: Any])
        #expect(report["reproducible"] as? Bool == true, "\(replay.stdout)")
        #expect(report["recordedManifest"] as? String == report["replayedManifest"] as? String)

        // The package changes (same version, other bytes): a rebuild differs by network drift.
        try publish(version: "1.0", text: "hello from a rebuilt version 1\n")
        let again = try NamespacedHTTPServer(serving: repository, address: server.address)
        defer { again.stop() }
        let rebuilt = try build(context)
        try #require(rebuilt.status == 0, "\(rebuilt.stderr)")
        let diff = try RepriseProcess.run(["diff", "--journal", journal, recorded.id, rebuilt.id])
        #expect(diff.status == 1)
        #expect(diff.stdout.contains("network drift"), "\(diff.stdout.prefix(4000))")
        #expect(diff.stdout.contains(debURL), "\(diff.stdout.prefix(4000))")
    }

    /// The same over HTTPS: apt's https method goes through CONNECT, which the recorder
    /// intercepts with the journal's CA. apt is given no CA option: it trusts the recorder through
    /// the image's own bundle (`/etc/ssl/certs/ca-certificates.crt`, here the host's, copied in as
    /// `ca-certificates` would install it), which the step sees with the journal's CA appended and
    /// whose layer never holds it. The origin's own test CA is trusted by the recorder alone
    /// (--network-trust). About 20 s; in the suite like the HTTP one.
    @Test func aptOverHTTPSIsInterceptedRecordedAndReplayedOffline() throws {
        let layout = try #require(CorpusDebianImage.layout, "no Debian image (debootstrap needs the Debian archive once)")
        let imported = try RepriseProcess.run(["image", "import", layout, "--name", "debian", "--journal", journal])
        try #require(imported.status == 0, "\(imported.stderr)")
        try publish(version: "2.0", text: "hello over TLS\n")
        let probe = try NamespacedHTTPServer(serving: repository)
        let address = probe.address
        probe.stop()
        let certificates = scratch.sub("certificates")
        try FileManager.default.createDirectory(atPath: certificates, withIntermediateDirectories: true)
        let files = try TestCertificates.make(for: address, in: certificates)
        let server = try NamespacedHTTPServer(serving: repository, certificate: files.certificate, key: files.key,
                                              address: address)
        defer { server.stop() }

        let context = scratch.sub("context-tls")
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/etc/ssl/certs/ca-certificates.crt", toPath: context + "/bundle.crt")
        try """
            FROM debian
            COPY bundle.crt /etc/ssl/certs/ca-certificates.crt
            RUN rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* \\
             && echo "deb [trusted=yes] \(server.baseURL)/ ./" > /etc/apt/sources.list.d/test.list \\
             && env -u SSL_CERT_FILE apt-get update \\
             && env -u SSL_CERT_FILE apt-get install -y --no-install-recommends reprise-hello \\
             && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/* /var/cache/ldconfig/aux-cache \\
             && cat /usr/share/reprise-hello/hello.txt
            """.write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        let output = scratch.sub("oci-tls")
        let recorded = try build(context, ["--network-trust", files.ca, "--output", "type=oci,dest=\(output),tar=false"])
        try #require(recorded.status == 0, "\(recorded.stderr)")
        // The step's layer: no bundle, no CA, nothing made to show them.
        let index = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/index.json")))
            as? [String: Any])
        let manifestDigest = try #require((index["manifests"] as? [[String: Any]])?.first?["digest"] as? String)
        let blobs = output + "/blobs/sha256/"
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(
            fileURLWithPath: blobs + manifestDigest.dropFirst(7)))) as? [String: Any])
        let layerDigest = try #require((manifest["layers"] as? [[String: Any]])?.last?["digest"] as? String)
        let listing = try Tool.check(["tar", "-tzf", blobs + layerDigest.dropFirst(7)]).stdout
        #expect(!listing.contains("etc/ssl") && !listing.contains("run/reprise") && !listing.contains("etc/resolv.conf"),
                "\(listing)")
        let certificate = try String(contentsOfFile: journal + "/network-ca/ca.pem", encoding: .utf8)
        let certificateLine = try #require(certificate.split(separator: "\n").dropFirst().first.map(String.init))
        let contents = try Tool.check(["tar", "-xzOf", blobs + layerDigest.dropFirst(7)]).stdout
        #expect(!contents.contains(certificateLine), "the journal's CA reached the layer")
        let fetches = try RepriseProcess.run(["journal", "fetches", "--journal", journal, recorded.id])
        let deb = fetches.stdout.split(separator: "\n").first { $0.hasSuffix("\(server.baseURL)/pool/reprise-hello_2.0_all.deb") }
        #expect(deb?.contains("https") == true && deb?.contains("200") == true, "\(fetches.stdout)")

        server.stop()
        let replay = try RepriseProcess.run(["replay", "--journal", journal, "--progress", "quiet", "--json", recorded.id])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as? [String: Any])
        #expect(report["reproducible"] as? Bool == true, "\(replay.stdout)")
    }

    /// Optional: a real `apt-get install` from the Debian archive this machine uses, recorded once
    /// and replayed offline to the same digest. Opt-in (`REPRISE_APT_TEST=1`); skipped (not
    /// failed) when the archive does not answer.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["REPRISE_APT_TEST"] == "1" && Self.debianArchiveAnswers(),
                   "opt-in (REPRISE_APT_TEST=1), and only when deb.debian.org answers"))
    func aptInstallFromTheDebianArchiveReplaysOffline() throws {
        let layout = try #require(CorpusDebianImage.layout, "no Debian image (debootstrap needs the Debian archive once)")
        let imported = try RepriseProcess.run(["image", "import", layout, "--name", "debian", "--journal", journal])
        try #require(imported.status == 0, "\(imported.stderr)")
        let context = scratch.sub("context-archive")
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try """
            FROM debian
            RUN apt-get update && apt-get install -y --no-install-recommends hello \\
             && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/* /var/cache/ldconfig/aux-cache \\
             && hello
            """.write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        let recorded = try build(context)
        try #require(recorded.status == 0, "\(recorded.stderr)")
        let fetches = try RepriseProcess.run(["journal", "fetches", "--journal", journal, recorded.id])
        #expect(fetches.stdout.contains("deb.debian.org") && fetches.stdout.contains("hello_"), "\(fetches.stdout)")
        let replay = try RepriseProcess.run(["replay", "--journal", journal, "--progress", "quiet", "--json", recorded.id])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(replay.stdout.utf8)) as? [String: Any])
        #expect(report["reproducible"] as? Bool == true, "\(replay.stdout)")
    }

    /// Whether Debian's archive answers within 10 s (the optional test's condition, evaluated
    /// only when the test is asked for).
    static func debianArchiveAnswers() -> Bool {
        (try? Tool.run(["python3", "-c",
                        "import urllib.request; urllib.request.urlopen('http://deb.debian.org/debian/dists/bookworm/Release', timeout=10)"])
            .succeeded) ?? false
    }
}
