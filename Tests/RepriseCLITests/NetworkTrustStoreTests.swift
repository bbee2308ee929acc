import Foundation
import TestSupport
import Testing

/// The journal's CA in the image's own trust store, for the recorded step only: the image's
/// bundle is seen with the CA appended (so apt, curl and anything reading only the system store
/// trust the recorder), but the step's layer holds no trace of it nor of anything made to show
/// it, whatever the step does to the bundle (append in place, replace it with `mv -f`, as
/// update-ca-certificates does); an image without a bundle gets none. Compared with a build of
/// the same Dockerfile with `--network none`, which must give the identical image.
@Suite(.serialized) struct NetworkTrustStoreTests {
    let workspace: BuildWorkspace
    var journal: String { workspace.journal }

    init() throws { workspace = try BuildWorkspace("netrec-trust") }

    /// A stand-in for a distribution's bundle: PEM-shaped text (nothing here parses it).
    static let bundle = """
        # the image's own trust bundle
        -----BEGIN CERTIFICATE-----
        MIIBszCCAVmgAwIBAgIUReprisetestbundleNotARealCertificate0000000
        -----END CERTIFICATE-----

        """

    /// Builds `context` into an OCI layout (a directory) and returns it with the build's id.
    func build(_ context: String, network: String) throws -> (layout: String, id: String) {
        let layout = workspace.sub("oci-\(network)-\(UInt32.random(in: 0...UInt32.max))")
        let metadata = workspace.sub("metadata-\(UInt32.random(in: 0...UInt32.max)).json")
        let result = try workspace.build(["--progress", "plain", "--no-cache", "--network", network,
                                          "--build-arg", "SOURCE_DATE_EPOCH=0", "--metadata-file", metadata,
                                          "--output", "type=oci,dest=\(layout),tar=false", context])
        try #require(result.status == 0, "\(result.stderr)")
        return (layout, try BuildMetadata(path: metadata)["reprise.build.id"] ?? "")
    }

    func manifest(_ layout: String) throws -> [String: Any] {
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json")))
        let digest = try #require(((index as? [String: Any])?["manifests"] as? [[String: Any]])?.first?["digest"] as? String)
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: blob(layout, digest))))
            as? [String: Any])
    }

    func blob(_ layout: String, _ digest: String) -> String {
        layout + "/blobs/sha256/" + digest.replacingOccurrences(of: "sha256:", with: "")
    }

    /// The layer of the step `fromTop` layers below the top, as a path to its (gzipped) tar.
    func layer(_ layout: String, fromTop: Int = 0) throws -> String {
        let layers = try #require(try manifest(layout)["layers"] as? [[String: Any]])
        return blob(layout, try #require(layers[layers.count - 1 - fromTop]["digest"] as? String))
    }

    func listing(_ tar: String) throws -> [String] {
        try Tool.check(["tar", "-tzf", tar]).stdout.split(separator: "\n").map(String.init).sorted()
    }

    @Test func theStepSeesTheCAInTheImageBundleAndItsLayerHasNoTraceOfIt() throws {
        let context = try workspace.context("""
            FROM busybox
            COPY bundle.crt /etc/ssl/certs/ca-certificates.crt
            RUN ln -s certs/ca-certificates.crt /etc/ssl/cert.pem
            RUN if [ -n "$SSL_CERT_FILE" ]; then \\
                  grep -qF "$(sed -n 2p "$SSL_CERT_FILE")" /etc/ssl/certs/ca-certificates.crt || exit 7; \\
                  grep -qF "$(sed -n 2p "$SSL_CERT_FILE")" /etc/ssl/cert.pem || exit 8; \\
                fi \\
             && echo "# appended by the step" >> /etc/ssl/certs/ca-certificates.crt && echo done > /done
            RUN cp /etc/ssl/certs/ca-certificates.crt /tmp/new && echo "# replaced by the step" >> /tmp/new \\
             && mv -f /tmp/new /etc/ssl/certs/ca-certificates.crt
            """, files: ["bundle.crt": Self.bundle])
        let recorded = try build(context, network: "default")
        let unnetworked = try build(context, network: "none")
        let certificate = try String(contentsOfFile: journal + "/network-ca/ca.pem", encoding: .utf8)
        let certificateLine = try #require(certificate.split(separator: "\n").dropFirst().first.map(String.init))

        // The append in place: only what the step changed, the bundle without the CA.
        let appended = try layer(recorded.layout, fromTop: 1)
        #expect(try listing(appended) == ["done", "etc/", "etc/ssl/", "etc/ssl/certs/", "etc/ssl/certs/ca-certificates.crt"])
        let appendedBundle = try Tool.check(["tar", "-xzOf", appended, "etc/ssl/certs/ca-certificates.crt"]).stdout
        #expect(appendedBundle == Self.bundle + "# appended by the step\n")
        // The replacement (a rename over the bundle works: it is no mount point).
        let replaced = try layer(recorded.layout)
        #expect(try listing(replaced) == ["etc/", "etc/ssl/", "etc/ssl/certs/", "etc/ssl/certs/ca-certificates.crt", "tmp/"])
        let replacedBundle = try Tool.check(["tar", "-xzOf", replaced, "etc/ssl/certs/ca-certificates.crt"]).stdout
        #expect(replacedBundle == Self.bundle + "# appended by the step\n# replaced by the step\n")
        for tar in [appended, replaced] {
            let everything = try Tool.check(["tar", "-xzOf", tar]).stdout
            #expect(!everything.contains(certificateLine), "the journal's CA reached the layer \(tar)")
        }
        // The same image as without any network.
        #expect(try manifest(recorded.layout)["layers"] as? [[String: String]] == manifest(unnetworked.layout)["layers"] as? [[String: String]])
        let recordedIndex = try String(contentsOfFile: recorded.layout + "/index.json", encoding: .utf8)
        let unnetworkedIndex = try String(contentsOfFile: unnetworked.layout + "/index.json", encoding: .utf8)
        #expect(recordedIndex == unnetworkedIndex)
    }

    @Test func anImageWithoutABundleGetsNoneAndNoMountPointInItsLayer() throws {
        let context = try workspace.context("""
            FROM busybox
            RUN if [ -n "$SSL_CERT_FILE" ]; then test -s "$SSL_CERT_FILE" || exit 7; fi \\
             && ! test -e /etc/ssl && ! test -e /etc/pki && echo ok > /ok
            """)
        let recorded = try build(context, network: "default")
        let unnetworked = try build(context, network: "none")
        #expect(try listing(try layer(recorded.layout)) == ["ok"])
        let recordedIndex = try String(contentsOfFile: recorded.layout + "/index.json", encoding: .utf8)
        let unnetworkedIndex = try String(contentsOfFile: unnetworked.layout + "/index.json", encoding: .utf8)
        #expect(recordedIndex == unnetworkedIndex)
    }
}
