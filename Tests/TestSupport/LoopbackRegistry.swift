#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Debian's `docker-registry` (distribution 2.8) on a free loopback port with a temporary root:
/// plain HTTP, or TLS with a CA made here by openssl plus htpasswd basic auth. Killed (SIGKILL)
/// and its directory removed when dropped, so a failing test leaves nothing running.
public final class LoopbackRegistry: @unchecked Sendable {
    /// `127.0.0.1:PORT`, as image references name it.
    public let host: String
    public let port: Int
    public let directory: TemporaryDirectory
    /// The CA that signed the server's certificate (TLS only).
    public let certificateAuthority: String?
    /// A directory holding only `ca.crt`, as skopeo's `--cert-dir` wants.
    public let certificateDirectory: String?
    public let username: String?
    public let password: String?
    private let process: Process

    public var usesTLS: Bool { certificateAuthority != nil }

    private init(port: Int, process: Process, directory: TemporaryDirectory, certificateAuthority: String?,
                 certificateDirectory: String?, username: String?, password: String?) {
        self.port = port
        self.host = "127.0.0.1:\(port)"
        self.process = process
        self.directory = directory
        self.certificateAuthority = certificateAuthority
        self.certificateDirectory = certificateDirectory
        self.username = username
        self.password = password
    }

    deinit { stop() }

    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Whether `docker-registry` is installed (scripts/install-deps installs it).
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-registry") }

    /// Starts a registry. With `tls`, it serves HTTPS with a fresh CA and requires `username`
    /// and `password` (bcrypt htpasswd, which distribution insists on).
    public static func start(tls: Bool = false, username: String = "reprise", password: String = "s3cret-pass") throws
        -> LoopbackRegistry {
        let directory = try TemporaryDirectory("registry")
        var caFile: String?
        var certificateDirectory: String?
        var tlsSection = ""
        var authSection = ""
        if tls {
            let certs = directory.sub("certs")
            try FileManager.default.createDirectory(atPath: certs, withIntermediateDirectories: true)
            let ca = certs + "/ca.crt"
            _ = try Tool.check(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                "-nodes", "-keyout", certs + "/ca.key", "-out", ca, "-days", "2",
                                "-subj", "/CN=Reprise test CA"])
            _ = try Tool.check(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                "-keyout", certs + "/server.key", "-out", certs + "/server.csr", "-subj", "/CN=127.0.0.1"])
            try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: certs + "/san.ext", atomically: true, encoding: .utf8)
            _ = try Tool.check(["openssl", "x509", "-req", "-in", certs + "/server.csr", "-CA", ca,
                                "-CAkey", certs + "/ca.key", "-CAcreateserial", "-out", certs + "/server.crt",
                                "-days", "2", "-extfile", certs + "/san.ext"])
            let htpasswd = try Tool.check(["htpasswd", "-Bbn", username, password]).stdout
            try htpasswd.write(toFile: directory.sub("htpasswd"), atomically: true, encoding: .utf8)
            certificateDirectory = directory.sub("cert-dir")
            try FileManager.default.createDirectory(atPath: certificateDirectory!, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: ca, toPath: certificateDirectory! + "/ca.crt")
            caFile = ca
            tlsSection = """
                  tls:
                    certificate: \(certs)/server.crt
                    key: \(certs)/server.key
                """
            authSection = """
                auth:
                  htpasswd:
                    realm: reprise-test
                    path: \(directory.sub("htpasswd"))
                """
        }
        for _ in 0..<5 {
            let port = try freePort()
            let config = """
                version: 0.1
                log:
                  level: error
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: \(directory.sub("data"))
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:\(port)
                \(tlsSection)
                \(authSection)
                """
            let configPath = directory.sub("config.yml")
            try config.write(toFile: configPath, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
            process.arguments = ["serve", configPath]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            let registry = LoopbackRegistry(port: port, process: process, directory: directory,
                                            certificateAuthority: caFile, certificateDirectory: certificateDirectory,
                                            username: tls ? username : nil, password: tls ? password : nil)
            // Up to 15 s: on a loaded machine (the whole suite in parallel) it can be slow to listen.
            for _ in 0..<300 {
                if !process.isRunning { break }
                if canConnect(port) { return registry }
                usleep(50_000)
            }
            registry.stop()
        }
        throw LoopbackRegistryFailure(reason: "docker-registry did not start on loopback")
    }

    /// A `config.json` with an `auths` entry for this registry, in a new directory (for
    /// `DOCKER_CONFIG` / `--registry-config`).
    public func writeDockerConfig(in parent: String) throws -> String {
        let directory = parent + "/docker-config"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let auth = Data("\(username ?? ""):\(password ?? "")".utf8).base64EncodedString()
        try #"{"auths":{"\#(host)":{"auth":"\#(auth)"}}}"#.write(toFile: directory + "/config.json", atomically: true,
                                                                 encoding: .utf8)
        return directory
    }

    /// skopeo's flags for this registry as a source (`src`) or destination (`dest`).
    public func skopeoFlags(_ side: String) -> [String] {
        guard let certificateDirectory, let username, let password else { return ["--\(side)-tls-verify=false"] }
        return ["--\(side)-cert-dir", certificateDirectory, "--\(side)-creds", "\(username):\(password)"]
    }

    /// A port nothing listens on now (bound and released).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw LoopbackRegistryFailure(reason: "no free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    public static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

public struct LoopbackRegistryFailure: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
