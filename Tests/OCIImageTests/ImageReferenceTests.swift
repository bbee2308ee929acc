import ContentStore
import Testing
@testable import OCIImage

@Suite struct ImageReferenceTests {
    static let hex = String(repeating: "ab", count: 32)

    @Test(arguments: [
        ("alpine", "docker.io/library/alpine:latest", "alpine:latest"),
        ("alpine:3.19", "docker.io/library/alpine:3.19", "alpine:3.19"),
        ("library/alpine", "docker.io/library/alpine:latest", "alpine:latest"),
        ("docker.io/alpine", "docker.io/library/alpine:latest", "alpine:latest"),
        ("index.docker.io/library/alpine:edge", "docker.io/library/alpine:edge", "alpine:edge"),
        ("user/app:v1", "docker.io/user/app:v1", "user/app:v1"),
        ("localhost:5000/x/y:tag", "localhost:5000/x/y:tag", "localhost:5000/x/y:tag"),
        ("localhost/x", "localhost/x:latest", "localhost/x:latest"),
        ("ghcr.io/owner/repo", "ghcr.io/owner/repo:latest", "ghcr.io/owner/repo:latest"),
        ("[::1]:5000/app:1", "[::1]:5000/app:1", "[::1]:5000/app:1"),
        ("a.b/c__d/e-f--g.h_i:T_a.g-1", "a.b/c__d/e-f--g.h_i:T_a.g-1", "a.b/c__d/e-f--g.h_i:T_a.g-1"),
    ])
    func normalises(_ input: String, _ normalised: String, _ familiar: String) throws {
        let reference = try ImageReference(parsing: input)
        #expect(reference.description == normalised)
        #expect(reference.familiarDescription == familiar)
    }

    @Test func digestReferencesHaveNoDefaultTag() throws {
        let reference = try ImageReference(parsing: "alpine@sha256:\(Self.hex)")
        #expect(reference.tag == nil)
        #expect(reference.digest == Digest(hex: Self.hex))
        #expect(reference.description == "docker.io/library/alpine@sha256:\(Self.hex)")
        let both = try ImageReference(parsing: "localhost:5000/x:1@sha256:\(Self.hex)")
        #expect(both.domain == "localhost:5000")
        #expect(both.path == "x")
        #expect(both.tag == "1")
        #expect(both.description == "localhost:5000/x:1@sha256:\(Self.hex)")
    }

    @Test(arguments: [
        "", "Alpine", "docker.io/Library/alpine", "alpine:", "alpine:-bad", "a//b", "-a/b", "a/b-",
        "alpine@sha256:short", "alpine@md5:\(String(repeating: "0", count: 32))", hex,
        "alpine:" + String(repeating: "x", count: 129), "bad_host_/x",
    ])
    func rejects(_ input: String) {
        #expect(throws: ImageError.self) { try ImageReference(parsing: input) }
    }

    @Test func layoutReferences() throws {
        let tagged = try LayoutReference(parsing: "oci-layout:///images/busybox:latest")
        #expect(tagged.path == "/images/busybox")
        #expect(tagged.selector == .tag("latest"))
        let pinned = try LayoutReference(parsing: "oci-layout://rel/dir@sha256:\(Self.hex)")
        #expect(pinned.path == "rel/dir")
        #expect(pinned.selector == .digest(Digest(hex: Self.hex)!))
        let bare = try LayoutReference(parsing: "oci-layout:///data/a:b/layout")
        #expect(bare.path == "/data/a:b/layout")
        #expect(bare.selector == nil)
        #expect(try LayoutReference(parsing: "/x/y:v2").description == "oci-layout:///x/y:v2")
        #expect(throws: ImageError.self) { try LayoutReference(parsing: "oci-layout://x@sha256:zz") }
        #expect(throws: ImageError.self) { try LayoutReference(parsing: "oci-layout://") }
    }
}
