import Foundation
import TestSupport
import Testing
@testable import Registry

/// Credentials as Docker's config.json keeps them, and WWW-Authenticate challenges as registries
/// send them.
struct AuthenticationTests {
    @Test func challengesParseWithQuotedCommasAndBareValues() throws {
        let bearer = try #require(AuthenticationChallenge(
            header: #"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#))
        #expect(bearer.scheme == "bearer")
        #expect(bearer.parameters["realm"] == "https://auth.example/token")
        #expect(bearer.parameters["service"] == "registry.example")
        #expect(bearer.parameters["scope"] == "repository:a/b:pull,push")
        let basic = try #require(AuthenticationChallenge(header: #"Basic realm=reprise-test"#))
        #expect(basic.scheme == "basic")
        #expect(basic.parameters["realm"] == "reprise-test")
        #expect(AuthenticationChallenge(header: "") == nil)
    }

    @Test func configJSONAuthsAreReadAndHelpersAreNamed() throws {
        let directory = try TemporaryDirectory("docker-config")
        let auth = Data("alice:pa:ss".utf8).base64EncodedString()
        try #"""
        {"auths": {"https://index.docker.io/v1/": {"auth": "\#(auth)"},
                   "registry.example:5000": {"username": "bob", "password": "hunter2"}},
         "credHelpers": {"helped.example": "ecr-login"}}
        """#.write(toFile: directory.sub("config.json"), atomically: true, encoding: .utf8)
        let config = try DockerConfigFile(directory: directory.path)
        #expect(try config.credentials(for: "docker.io") == RegistryCredentials(username: "alice", password: "pa:ss"))
        #expect(try config.credentials(for: "registry.example:5000")?.username == "bob")
        #expect(try config.credentials(for: "elsewhere.example") == nil)
        #expect(throws: RegistryError.credentialHelper(host: "helped.example", helper: "ecr-login",
                                                       configPath: directory.sub("config.json"))) {
            try config.credentials(for: "helped.example")
        }
        // No config.json at all: anonymous.
        #expect(try DockerConfigFile(directory: directory.sub("missing")).credentials(for: "docker.io") == nil)
    }

    @Test func loopbackAndListedHostsMayUsePlainHTTP() {
        let configuration = RegistryConfiguration(insecureHosts: ["build.internal:5000"])
        #expect(configuration.allowsPlainHTTP("127.0.0.1:5000"))
        #expect(configuration.allowsPlainHTTP("localhost:5000"))
        #expect(configuration.allowsPlainHTTP("[::1]:5000"))
        #expect(configuration.allowsPlainHTTP("build.internal:5000"))
        #expect(!configuration.allowsPlainHTTP("build.internal:5001"))
        #expect(!configuration.allowsPlainHTTP("registry.example"))
    }
}
