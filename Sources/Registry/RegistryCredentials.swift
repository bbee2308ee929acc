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
