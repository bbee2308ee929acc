import ContentStore
import Foundation
import OCIImage
import Synchronization

/// An OCI distribution client: manifests and blobs by tag or digest, pulls into a `BlobStore`
/// with every digest verified while streaming, pushes that send nothing twice, referrers.
///
/// One client per command: it keeps tokens, the scheme each host answered on, and what it
/// moved. Call `shutdown()` when done (or use `RegistryClient.using`).
public final class RegistryClient: Sendable {
    public let configuration: RegistryConfiguration
    let transport: HTTPTransport
    private let state = Mutex(State())

    struct State {
        /// `host` → `https://host` or `http://host`, once probed.
        var baseURLs: [String: String] = [:]
        /// `host repository` (or `host *` for Basic) → the Authorization header that worked.
        var authorizations: [String: String] = [:]
        var statistics = TransferStatistics()
        /// Repositories (`host/path`) known to hold a blob, for cross-repository mounts.
        var blobLocations: [Digest: Set<String>] = [:]
    }

    public init(configuration: RegistryConfiguration = RegistryConfiguration()) throws {
        self.configuration = configuration
        transport = try HTTPTransport(configuration: configuration)
    }

    public func shutdown() async {
        await transport.shutdown()
    }

    /// Runs `body` with a client and shuts it down afterwards, whatever happens.
    @discardableResult
    public static func using<T: Sendable>(_ configuration: RegistryConfiguration,
                                          _ body: (RegistryClient) async throws -> T) async throws -> T {
        let client = try RegistryClient(configuration: configuration)
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    public var statistics: TransferStatistics { state.withLock { $0.statistics } }

    func count(_ update: (inout TransferStatistics) -> Void) {
        state.withLock { update(&$0.statistics) }
    }

    /// Notes that `repository` holds a blob (known from elsewhere, e.g. an earlier pull), so a
    /// push to another repository of the same registry may mount it from there.
    public func rememberLocation(of digest: Digest, in repository: ImageReference) {
        noteLocation(digest, in: repository)
    }

    func noteLocation(_ digest: Digest, in repository: ImageReference) {
        state.withLock { _ = $0.blobLocations[digest, default: []].insert(repository.name) }
    }

    func knownLocations(of digest: Digest, host: String) -> [String] {
        state.withLock { state in
            (state.blobLocations[digest] ?? []).filter { $0.hasPrefix(host + "/") }.sorted()
        }
    }

    // MARK: Requests

    /// The scheme and host to use: HTTPS; for an insecure or loopback registry, plain HTTP when
    /// it answers `GET /v2/` over HTTP (a TLS server answers such a probe with 400 at once,
    /// whereas probing a plain server with a TLS handshake would wait for a timeout).
    func baseURL(for host: String) async throws -> String {
        if let known = state.withLock({ $0.baseURLs[host] }) { return known }
        let registryHost = host == ImageReference.defaultDomain ? "registry-1.docker.io" : host
        if configuration.allowsPlainHTTP(host),
           let (head, body) = try? await transport.send("GET", "http://" + registryHost + "/v2/", deadlineSeconds: 15) {
            await body.discard()
            if head.status != 400 {
                state.withLock { $0.baseURLs[host] = "http://" + registryHost }
                return "http://" + registryHost
            }
        }
        let chosen = "https://" + registryHost
        do {
            // A short deadline: a handshake that fails is retried by the pool until the deadline.
            let (_, body) = try await transport.send("GET", chosen + "/v2/", deadlineSeconds: 4)
            await body.discard()
        } catch let error as RegistryError {
            if case .transport(let url, let reason) = error, reason.contains("CERTIFICATE_VERIFY_FAILED") {
                throw RegistryError.transport(url: url, reason: "the registry's TLS certificate is not trusted (\(reason)); "
                    + "pass its CA with --registry-ca FILE")
            }
            // Anything else (slow, unreachable): the real request says so, with its own timeouts.
        }
        state.withLock { $0.baseURLs[host] = chosen }
        return chosen
    }

    /// One request to `repository`'s registry, authenticated as the registry asks and retried
    /// on 429, 5xx and broken connections with exponential backoff. `path` starts with `/v2/`.
    /// Returns whatever status came last; callers decide what it means.
    func send(_ method: String, _ path: String, in repository: ImageReference, actions: String,
              headers: [(String, String)] = [], body: HTTPTransport.Body = .empty,
              absoluteURL: String? = nil) async throws -> (HTTPTransport.Head, HTTPTransport.ResponseBody, String) {
        let host = repository.domain
        let url: String
        if let absoluteURL { url = absoluteURL } else { url = try await baseURL(for: host) + path }
        // Redirects (blob storage elsewhere) are followed here, not by the HTTP client, so that
        // credentials never travel to another origin.
        var target = url
        var redirects = 0
        var attempt = 0
        var triedFreshAuthorization = false
        while true {
            attempt += 1
            let sameOrigin = Self.origin(of: target) == Self.origin(of: url)
            var requestHeaders = headers
            if sameOrigin, let authorization = authorization(host: host, repository: repository.path) {
                requestHeaders.append(("Authorization", authorization))
            }
            let head: HTTPTransport.Head
            let responseBody: HTTPTransport.ResponseBody
            do {
                (head, responseBody) = try await transport.send(method, target, headers: requestHeaders, body: body)
            } catch let error as RegistryError where error.isRetryable && attempt < configuration.attempts {
                try await backoff(attempt: attempt, retryAfter: nil)
                continue
            }
            if method == "GET" || method == "HEAD", [301, 302, 303, 307, 308].contains(head.status),
               let location = head.header("Location"), redirects < 5,
               let next = URL(string: location, relativeTo: URL(string: target))?.absoluteString {
                await responseBody.discard()
                target = next
                redirects += 1
                attempt -= 1
                continue
            }
            if head.status == 401, sameOrigin, !triedFreshAuthorization {
                triedFreshAuthorization = true
                await responseBody.discard()
                try await authenticate(head: head, host: host, repository: repository.path, actions: actions, url: url)
                attempt -= 1
                continue
            }
            if head.status == 401 || head.status == 403 {
                let detail = await Self.errorDetail(responseBody)
                throw RegistryError.unauthorized(host: host, detail: "\(head.status) to \(method) \(target)"
                                                 + (detail.isEmpty ? "" : ": " + detail))
            }
            if (head.status == 429 || head.status == 408 || (500...599).contains(head.status)),
               attempt < configuration.attempts {
                await responseBody.discard()
                try await backoff(attempt: attempt, retryAfter: head.header("Retry-After").flatMap(Double.init))
                continue
            }
            return (head, responseBody, target)
        }
    }

    /// `scheme://host:port` of a URL, to tell whether a redirect leaves the registry.
    static func origin(of url: String) -> String {
        guard let components = URLComponents(string: url) else { return url }
        let scheme = components.scheme ?? ""
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(components.host ?? ""):\(port)"
    }

    /// Sleeps before a retry: 0.2 s, 0.4 s, 0.8 s… with jitter, or what `Retry-After` asks (≤ 10 s).
    func backoff(attempt: Int, retryAfter: Double?) async throws {
        count { $0.retries += 1 }
        let base = configuration.initialBackoff * Double(1 << min(attempt - 1, 6))
        let seconds = min(retryAfter ?? base * Double.random(in: 0.75...1.25), 10)
        try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1_000_000_000))
    }

    /// The error the registry explains itself with (`{"errors":[{"code","message"}]}`), if any.
    static func errorDetail(_ body: HTTPTransport.ResponseBody) async -> String {
        guard let data = try? await body.collect(limit: 64 << 10), !data.isEmpty else { return "" }
        struct Document: Decodable {
            struct Entry: Decodable { var code: String?; var message: String? }
            var errors: [Entry]?
        }
        if let document = try? JSONDecoder().decode(Document.self, from: data), let errors = document.errors {
            return errors.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; ")
        }
        return String(decoding: data.prefix(200), as: UTF8.self)
    }

    /// The error for a response that is not what a request expects.
    static func failure(_ head: HTTPTransport.Head, _ body: HTTPTransport.ResponseBody, method: String,
                        url: String) async -> RegistryError {
        let detail = await errorDetail(body)
        return .status(head.status, method: method, url: url, detail: detail)
    }

    // MARK: Authentication

    private func authorization(host: String, repository: String) -> String? {
        state.withLock { $0.authorizations["\(host) \(repository)"] ?? $0.authorizations["\(host) *"] }
    }

    private func credentials(for host: String) throws -> RegistryCredentials? {
        try DockerConfigFile(directory: configuration.resolvedDockerConfigDirectory).credentials(for: host)
    }

    /// A `credsStore` config.json names (whose helper is never run), for messages.
    private var credentialStore: String? {
        (try? DockerConfigFile(directory: configuration.resolvedDockerConfigDirectory))?.unreadableStore
    }

    /// Answers a 401's challenge: Basic with config.json's credentials, or a Bearer token from
    /// the realm (anonymous, or with the credentials when there are some).
    private func authenticate(head: HTTPTransport.Head, host: String, repository: String, actions: String,
                              url: String) async throws {
        guard let header = head.header("WWW-Authenticate"), let challenge = AuthenticationChallenge(header: header) else {
            throw RegistryError.unauthorized(host: host, detail: "401 without a WWW-Authenticate challenge")
        }
        let credentials = try credentials(for: host)
        switch challenge.scheme {
        case "basic":
            guard let credentials else {
                throw RegistryError.unauthorized(host: host, detail: "the registry asks for a user name and password"
                    + (credentialStore.map { "; config.json's credsStore \($0) is not run" } ?? ""))
            }
            state.withLock { $0.authorizations["\(host) *"] = credentials.basicHeader }
        case "bearer":
            guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm) else {
                throw RegistryError.unauthorized(host: host, detail: "Bearer challenge without a realm")
            }
            var query = components.queryItems ?? []
            if let service = challenge.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
            let scope = challenge.parameters["scope"] ?? "repository:\(repository):\(actions)"
            for part in scope.split(separator: " ") { query.append(URLQueryItem(name: "scope", value: String(part))) }
            components.queryItems = query
            guard let tokenURL = components.string else {
                throw RegistryError.unauthorized(host: host, detail: "bad realm \(realm)")
            }
            var headers: [(String, String)] = []
            if let credentials { headers.append(("Authorization", credentials.basicHeader)) }
            let (tokenHead, tokenBody) = try await transport.send("GET", tokenURL, headers: headers)
            guard tokenHead.status == 200 else {
                let detail = await Self.errorDetail(tokenBody)
                throw RegistryError.unauthorized(host: host, detail: "token server \(realm) answered \(tokenHead.status)"
                                                 + (detail.isEmpty ? "" : ": " + detail))
            }
            struct Token: Decodable { var token: String?; var access_token: String? }
            let data = try await tokenBody.collect(limit: 1 << 20)
            guard let token = (try? JSONDecoder().decode(Token.self, from: data)).flatMap({ $0.token ?? $0.access_token }),
                  !token.isEmpty else {
                throw RegistryError.unauthorized(host: host, detail: "token server \(realm) sent no token")
            }
            state.withLock { $0.authorizations["\(host) \(repository)"] = "Bearer " + token }
        default:
            throw RegistryError.unauthorized(host: host, detail: "unsupported challenge \(challenge.scheme)")
        }
    }
}
