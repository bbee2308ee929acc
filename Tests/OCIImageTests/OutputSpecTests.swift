import Testing
@testable import OCIImage

@Suite struct OutputSpecTests {
    @Test func ociTarAndDirectory() throws {
        let tar = try OutputSpec(parsing: "type=oci,dest=out.tar")
        #expect(tar == OutputSpec(type: .oci, destination: "out.tar"))
        #expect(tar.isArchive)
        let directory = try OutputSpec(parsing: "type=oci,dest=out,tar=false")
        #expect(directory.type == .oci)
        #expect(directory.destination == "out")
        #expect(!directory.isArchive)
    }

    @Test func shortForms() throws {
        #expect(try OutputSpec(parsing: "./out") == OutputSpec(type: .local, destination: "./out"))
        #expect(try OutputSpec(parsing: "-") == OutputSpec(type: .tar, destination: "-"))
        #expect(try OutputSpec(parsing: "type=tar,dest=-").writesToStandardOutput)
    }

    @Test func namesAttributesAndRegistry() throws {
        let spec = try OutputSpec(parsing: #"type=docker,"name=app:1,app:latest",dest=img.tar,compression=zstd"#)
        #expect(spec.type == .docker)
        #expect(spec.names == ["app:1", "app:latest"])
        #expect(spec.attributes == ["compression": "zstd"])
        let registry = try OutputSpec(parsing: "type=registry,name=localhost:5000/app")
        #expect(registry.type == .image)
        #expect(registry.push)
        #expect(try OutputSpec(parsing: "type=image,push=false").push == false)
        #expect(try OutputSpec(parsing: "TYPE=oci,Dest=x").destination == "x")
    }

    /// buildx infers a type from a lone destination: a directory, or a tar on standard output.
    @Test func aDestinationWithoutATypeIsInferred() throws {
        #expect(try OutputSpec(parsing: "dest=out").type == .local)
        #expect(try OutputSpec(parsing: "dest=-").type == .tar)
    }

    @Test(arguments: [
        "type=oci", "type=oci,tar=maybe", "tar=false", "type=zip,dest=x", "type=local,dest=-",
        "type=oci,dest=-,tar=false", "type=oci,dest", #"type=oci,"dest=x"#, "",
    ])
    func rejects(_ text: String) {
        #expect(throws: ImageError.self) { try OutputSpec(parsing: text) }
    }
}
