import Foundation

/// A user name and secret for one registry, as Docker's `config.json` keeps them.
public struct RegistryCredentials: Sendable, Hashable {
    public var username: String
    public var password: String
    /// An OAuth2 refresh token (`identitytoken`), used in place of the password at token servers.
    public var identityToken: String?

    public init(username: String, password: String, identityToken: String? = nil) {
        self.username = username
        self.password = password
        self.identityToken = identityToken
    }

    /// `Authorization: Basic …`.
    var basicHeader: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}

/// Docker's `config.json` as far as credentials go: `auths` entries (base64 `auth`, or
/// `username`/`password`, or `identitytoken`); `credsStore` / `credHelpers` are reported, not run.
struct DockerConfigFile: Sendable {
    let path: String
    private var auths: [String: RegistryCredentials] = [:]
    private var helpers: [String: String] = [:]
    private var defaultStore: String?

    init(directory: String) throws {
        path = directory + "/config.json"
        guard let data = FileManager.default.contents(atPath: path) else { return }
        struct File: Decodable {
            struct Entry: Decodable {
                var auth: String?
                var username: String?
                var password: String?
                var identitytoken: String?
            }
            var auths: [String: Entry]?
            var credsStore: String?
            var credHelpers: [String: String]?
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw RegistryError.invalidResponse(url: path, reason: "not a Docker config.json: \(error)")
        }
        for (key, entry) in file.auths ?? [:] {
            var username = entry.username ?? ""
            var password = entry.password ?? ""
            if let encoded = entry.auth, !encoded.isEmpty {
                guard let decoded = Data(base64Encoded: encoded).flatMap({ String(data: $0, encoding: .utf8) }),
                      let colon = decoded.firstIndex(of: ":") else {
                    throw RegistryError.invalidResponse(url: path, reason: "auths[\"\(key)\"].auth is not base64 of USER:PASSWORD")
                }
                username = String(decoded[..<colon])
                password = String(decoded[decoded.index(after: colon)...])
            }
            guard !username.isEmpty || entry.identitytoken != nil else { continue }
            auths[Self.normalizedKey(key)] = RegistryCredentials(username: username, password: password,
                                                                 identityToken: entry.identitytoken)
        }
        helpers = file.credHelpers ?? [:]
        defaultStore = file.credsStore
    }

    /// The credentials for `host`, if config.json has an `auths` entry for it. A helper named for
    /// the host (and no `auths` entry) is an error saying so, rather than a silent anonymous try.
    func credentials(for host: String) throws -> RegistryCredentials? {
        let key = Self.normalizedKey(host)
        if let found = auths[key] { return found }
        if key == "docker.io", let found = auths["index.docker.io"] ?? auths["registry-1.docker.io"] { return found }
        if let helper = helpers[host] { throw RegistryError.credentialHelper(host: host, helper: helper, configPath: path) }
        return nil
    }

    /// A `credsStore` that may hold credentials we cannot read, for the message of a 401.
    var unreadableStore: String? { defaultStore }

    /// `https://index.docker.io/v1/` → `index.docker.io`; `host:5000/` → `host:5000`.
    static func normalizedKey(_ key: String) -> String {
        var text = Substring(key)
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) { text = text.dropFirst(scheme.count) }
        if let slash = text.firstIndex(of: "/") { text = text[..<slash] }
        return text.lowercased()
    }
}
