import BuildJournal
import ContentStore
import Foundation
import Provenance
import Testing

/// What the provenance says of a recorded build, in each mode.
@Suite struct ProvenanceBuilderTests {
    @Test func maxModeNamesEveryInputByDigest() throws {
        let fixture = try RecordedBuildFixture()
        let statement = try ProvenanceBuilder(journal: fixture.journal, mode: .max).statement(for: fixture.record)
        #expect(statement.subject == [ResourceDescriptor(name: "pkg:docker/app:1?platform=linux%2Famd64", sha256: fixture.manifest)])
        let definition = statement.predicate.buildDefinition
        #expect(definition.buildType == SLSAProvenance.buildType)
        #expect(definition.externalParameters.dockerfile.path == "Dockerfile")
        #expect(definition.externalParameters.buildArgs == ["VERSION": "1.2"])
        #expect(definition.externalParameters.secrets == ["token"])
        #expect(definition.externalParameters.ssh == ["default"])
        #expect(definition.externalParameters.target == "final")
        let byName = Dictionary(definition.resolvedDependencies.map { ($0.name ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["context:context"]?.sha256 == fixture.contextTree)
        #expect(byName["context:context/a.txt"]?.sha256 == fixture.fileDigests["a.txt"])
        #expect(byName["context:context/dir/b.txt"]?.sha256 == fixture.fileDigests["dir/b.txt"])
        #expect(byName["context:tools"]?.sha256 == Digest(ofUTF8: "tools image"))
        #expect(byName["base:busybox"]?.sha256 == Digest(ofUTF8: "busybox manifest"))
        #expect(byName["add:https://example.com/tool.tgz"]?.sha256 == Digest(ofUTF8: "fetched"))
        #expect(byName["cache:c@step1"] != nil)
        #expect(definition.internalParameters.steps?.map(\.instruction) == ["ADD", "RUN"])
        #expect(definition.internalParameters.complete)
        let run = statement.predicate.runDetails
        #expect(run.metadata.invocationId == fixture.record.id)
        #expect(run.metadata.startedOn == "2023-11-14T22:13:20Z")
        #expect(run.metadata.finishedOn == "2023-11-14T22:14:02Z")
        // The byproduct is the record exactly as the journal holds it.
        let recordDigest = try #require(run.byproducts?.first?.sha256)
        #expect(try fixture.journal.getRecord(BuildRecord.self, recordDigest) == fixture.record)
    }

    /// As BuildKit's min: no build-arg values, no secret or ssh ids, no steps, no file lists.
    @Test func minModeLeavesOutWhatBuildKitLeavesOut() throws {
        let fixture = try RecordedBuildFixture()
        let statement = try ProvenanceBuilder(journal: fixture.journal, mode: .min).statement(for: fixture.record)
        let definition = statement.predicate.buildDefinition
        #expect(definition.externalParameters.buildArgs == nil)
        #expect(definition.externalParameters.secrets == nil)
        #expect(definition.externalParameters.ssh == nil)
        #expect(definition.internalParameters.steps == nil)
        #expect(!definition.internalParameters.complete)
        let names = definition.resolvedDependencies.compactMap(\.name)
        #expect(names.contains("context:context") && names.contains("base:busybox") && names.contains("add:https://example.com/tool.tgz"))
        #expect(!names.contains { $0.hasPrefix("context:context/") || $0.hasPrefix("cache:") })
        // Never a secret's keyed digest, in any mode.
        let text = String(decoding: try statement.canonicalData(), as: UTF8.self)
        #expect(!text.contains("hmac-sha256"))
    }

    @Test func aBuildWithoutImageHasNoProvenance() throws {
        var fixture = try RecordedBuildFixture()
        fixture.record.manifest = nil
        fixture.record.status = .failed
        #expect(throws: ProvenanceError.self) {
            try ProvenanceBuilder(journal: fixture.journal).statement(for: fixture.record)
        }
    }

    /// The same record always gives the same bytes (canonical JSON), so the statement digest is
    /// stable.
    @Test func statementsAreCanonical() throws {
        let fixture = try RecordedBuildFixture()
        let builder = ProvenanceBuilder(journal: fixture.journal, mode: .max)
        #expect(try builder.statement(for: fixture.record).canonicalData() == builder.statement(for: fixture.record).canonicalData())
    }
}
