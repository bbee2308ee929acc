import BuildJournal
import ContentStore
import Crypto
import Foundation

/// The SBOM of a recorded build's image as an in-toto statement with an SPDX 2.3 predicate (what
/// buildx attaches for `--sbom=true`): packages from the image's own databases and every
/// regular file's digests, read from the layers in the store.
public struct SBOMBuilder: Sendable {
    public let journal: Journal

    public init(journal: Journal) {
        self.journal = journal
    }

    public func statement(for record: BuildRecord) throws -> InTotoStatement<SPDXDocument> {
        guard let manifest = record.manifest else {
            throw ProvenanceError.noImage(build: record.id, status: record.status.rawValue)
        }
        let index = try ImageFileIndex(manifest: manifest, store: journal.store)
        let catalog = PackageCatalog(files: index.contents)
        let subject = ProvenanceBuilder.subject(manifest: manifest, tags: record.tags, platform: record.platform)
        // Dated by SOURCE_DATE_EPOCH when the build has one, else its start: never "now", so the
        // same build gives the same SBOM.
        let created = ProvenanceBuilder.timestamp(record.sourceDateEpoch.map(Double.init) ?? record.startedAt)
        let noAssertion = "NOASSERTION"
        let imageID = "SPDXRef-Image"
        // The image package contains its files, so it is "analyzed" and carries SPDX's
        // verification code (clause 7.9): SHA-1 of the files' SHA-1s, sorted, concatenated.
        var verification = Insecure.SHA1()
        verification.update(data: Data(index.files.values.map(\.sha1).sorted().joined().utf8))
        let image = SPDXDocument.Package(
            SPDXID: imageID, name: record.tags.first ?? manifest.description, versionInfo: manifest.description,
            downloadLocation: noAssertion, filesAnalyzed: true,
            packageVerificationCode: .init(packageVerificationCodeValue: ImageFileIndex.hex(verification.finalize())), licenseConcluded: noAssertion, licenseDeclared: noAssertion,
            copyrightText: noAssertion, checksums: [.init(algorithm: "SHA256", checksumValue: manifest.hex)],
            externalRefs: nil, primaryPackagePurpose: "CONTAINER", sourceInfo: "built by Reprise, build \(record.id)")
        var packages = [image]
        var relationships = [SPDXDocument.Relationship(spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES",
                                                       relatedSpdxElement: imageID)]
        for (offset, package) in catalog.packages.enumerated() {
            let id = "SPDXRef-Package-\(package.ecosystem.rawValue)-\(offset)"
            packages.append(SPDXDocument.Package(
                SPDXID: id, name: package.name, versionInfo: package.version, downloadLocation: noAssertion,
                filesAnalyzed: false, packageVerificationCode: nil, licenseConcluded: noAssertion, licenseDeclared: noAssertion, copyrightText: noAssertion,
                checksums: nil,
                externalRefs: [.init(referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: package.purl)],
                primaryPackagePurpose: package.ecosystem == PackageCatalog.Package.Ecosystem.pypi ? "LIBRARY" : "OPERATING-SYSTEM",
                sourceInfo: "listed in /\(package.source)"))
            relationships.append(.init(spdxElementId: imageID, relationshipType: "CONTAINS", relatedSpdxElement: id))
        }
        var files: [SPDXDocument.File] = []
        for (offset, path) in index.files.keys.sorted().enumerated() {
            let file = index.files[path]!
            let id = "SPDXRef-File-\(offset)"
            files.append(SPDXDocument.File(
                SPDXID: id, fileName: "./" + path,
                checksums: [.init(algorithm: "SHA1", checksumValue: file.sha1), .init(algorithm: "SHA256", checksumValue: file.sha256)],
                licenseConcluded: noAssertion, copyrightText: noAssertion))
            relationships.append(.init(spdxElementId: imageID, relationshipType: "CONTAINS", relatedSpdxElement: id))
        }
        let document = SPDXDocument(
            name: "reprise-sbom-\(record.tags.first ?? manifest.short)",
            documentNamespace: "https://github.com/reprise-build/reprise/spdx/\(manifest.hex)",
            creationInfo: .init(created: created, creators: ["Tool: reprise-\(record.host.repriseVersion)"]),
            documentDescribes: [imageID], packages: packages, files: files, relationships: relationships)
        return InTotoStatement(subject: [subject], predicateType: SPDXDocument.predicateType, predicate: document)
    }
}
