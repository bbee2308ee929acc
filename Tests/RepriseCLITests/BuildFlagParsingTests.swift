import Engine
import Foundation
import Testing

/// `--secret`, `--ssh` and `--build-context` values as buildx reads them.
struct BuildFlagParsingTests {
    @Test func secretForms() throws {
        #expect(try SecretSource(parsing: "id=a,src=/run/a").origin == .file("/run/a"))
        #expect(try SecretSource(parsing: "id=a,source=/run/a").origin == .file("/run/a"))
        #expect(try SecretSource(parsing: "id=a,env=VAR").origin == .environment("VAR"))
        #expect(try SecretSource(parsing: "id=a,type=env,src=VAR").origin == .environment("VAR"))
        // The short form: the variable ID when set, else the file ID.
        #expect(try SecretSource(parsing: "id=TOKEN", environment: ["TOKEN": "x"]).origin == .environment("TOKEN"))
        #expect(try SecretSource(parsing: "id=token.txt", environment: [:]).origin == .file("token.txt"))
        #expect(try SecretSource(parsing: "src=/a/b/key").id == "key")
        #expect(throws: RequestError.self) { try SecretSource(parsing: "id=a,type=ssh") }
        #expect(throws: RequestError.self) { try SecretSource(parsing: "id=a,bogus=1") }
    }

    @Test func sshForms() throws {
        #expect(try SSHSource(parsing: "default") == SSHSource(id: "default", paths: []))
        #expect(try SSHSource(parsing: "deploy=/k1,/k2") == SSHSource(id: "deploy", paths: ["/k1", "/k2"]))
        #expect(throws: RequestError.self) { try SSHSource(parsing: "default").upstream(environment: [:]) }
        #expect(throws: RequestError.self) { try SSHSource(parsing: "x=/does/not/exist").upstream() }
        let key = NSTemporaryDirectory() + "reprise-key-\(getpid())"
        try "not really a key".write(toFile: key, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: key) }
        #expect(try SSHSource(parsing: "x=\(key)").upstream() == .keys([key]))
    }

    @Test func namedContextForms() throws {
        #expect(try NamedContextSource(parsing: "src=./dir").origin == .directory("./dir"))
        #expect(try NamedContextSource(parsing: "docker.io/library/alpine:3.19=oci-layout:///l:3.19").origin
            == .ociLayout("/l:3.19"))
        #expect(try NamedContextSource(parsing: "x=docker-image://127.0.0.1:5000/base:1").origin
            == .registryImage("127.0.0.1:5000/base:1"))
        #expect(throws: RequestError.self) { try NamedContextSource(parsing: "x=target:other") }
    }
}
