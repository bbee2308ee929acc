import Foundation

/// How a `RegistryClient` reaches registries: which hosts may be spoken to over plain HTTP, which
/// extra certificate authorities to trust, where credentials live, and how hard to try.
public struct RegistryConfiguration: Sendable, Hashable {
    /// `HOST:PORT` (or `HOST`) that may be reached over plain HTTP when HTTPS fails, as buildx's
    /// `registry.insecure`. Loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`) always may.
    public var insecureHosts: Set<String>
    /// PEM files of certificate authorities trusted in addition to the system's trust store.
    public var additionalCertificateAuthorities: [String]
    /// The Docker configuration directory holding `config.json` (default: `$DOCKER_CONFIG`, else
    /// `~/.docker`).
    public var dockerConfigDirectory: String?
    /// Attempts per request on 429, 5xx and broken connections (1 = no retry).
    public var attempts: Int
    /// The first backoff; each retry doubles it (with jitter).
    public var initialBackoff: Double
    /// A request that sends or receives nothing for this long fails (and is retried).
    public var readTimeoutSeconds: Int64
    /// Blobs larger than this are uploaded in chunks of this size (PATCH), smaller ones in one PUT.
    public var chunkSize: Int64
    /// Blobs transferred at the same time.
    public var parallelTransfers: Int

    public init(insecureHosts: Set<String> = [], additionalCertificateAuthorities: [String] = [],
                dockerConfigDirectory: String? = nil, attempts: Int = 4, initialBackoff: Double = 0.2,
                readTimeoutSeconds: Int64 = 60, chunkSize: Int64 = 64 << 20, parallelTransfers: Int = 6) {
        self.insecureHosts = insecureHosts
        self.additionalCertificateAuthorities = additionalCertificateAuthorities
        self.dockerConfigDirectory = dockerConfigDirectory
        self.attempts = max(1, attempts)
        self.initialBackoff = initialBackoff
        self.readTimeoutSeconds = readTimeoutSeconds
        self.chunkSize = max(1, chunkSize)
        self.parallelTransfers = max(1, parallelTransfers)
    }

    /// Whether `host` (`HOST[:PORT]`) may be spoken to over plain HTTP.
    public func allowsPlainHTTP(_ host: String) -> Bool {
        if insecureHosts.contains(host) { return true }
        let bare = Self.hostWithoutPort(host)
        if insecureHosts.contains(bare) { return true }
        return bare == "localhost" || bare.hasPrefix("127.") || bare == "[::1]" || bare == "::1"
    }

    static func hostWithoutPort(_ host: String) -> String {
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") { return String(host[...close]) }
        if let colon = host.lastIndex(of: ":") { return String(host[..<colon]) }
        return host
    }

    /// The Docker configuration directory to read credentials from.
    var resolvedDockerConfigDirectory: String {
        if let dockerConfigDirectory { return dockerConfigDirectory }
        let environment = ProcessInfo.processInfo.environment
        if let directory = environment["DOCKER_CONFIG"], !directory.isEmpty { return directory }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.docker"
    }
}
