/// How RUN steps on the recording network (`--network=default`) reach the outside.
public struct NetworkRecordingOptions: Sendable, Hashable {
    /// Intercept HTTPS (CONNECT) with the journal's CA so it is recorded like HTTP; off
    /// (`--network-record=no-tls`) passes tunnels through, logged by host, and marks the step as
    /// not replayable offline.
    public var interceptTLS: Bool
    /// Hosts or addresses (optionally `:port`) on the host itself (loopback, link-local, its own
    /// addresses) that steps may reach anyway (`--network-allow`).
    public var allowed: [String]
    /// PEM files of extra CAs the recorder trusts for origins (a test's or a company's own).
    public var trustedCertificates: [String]

    public init(interceptTLS: Bool = true, allowed: [String] = [], trustedCertificates: [String] = []) {
        self.interceptTLS = interceptTLS
        self.allowed = allowed
        self.trustedCertificates = trustedCertificates
    }
}
