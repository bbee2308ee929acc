import BuildJournal
import ContentStore
import Foundation
import Frontend
import OCIImage

/// Gathering what the steps will read before any of them runs: contexts and secrets. Problems
/// here (a missing context, a required secret not given) stop the build before the first step.
extension BuildSession {
    func loadContexts(_ plan: DockerfilePlan) throws {
        let loader = ContextLoader(journal: journal)
        let ignore = ContextLoader.ignoreFile(dockerfilePath: request.resolvedDockerfilePath,
                                              contextDirectory: request.contextPath)
        let main = try loader.load(directory: request.contextPath, ignore: ignore)
        contexts[Self.mainContext] = main
        record.contexts.append(.init(name: Self.mainContext, origin: request.contextPath, tree: main.digest))
        emit(.contextLoaded(name: Self.mainContext, files: main.snapshot.entries.count,
                            bytes: main.snapshot.totalFileBytes, seconds: main.seconds))
        for named in request.namedContexts {
            switch named.origin {
            case .directory(let path):
                let loaded = try loader.load(directory: path, ignore: nil)
                contexts[named.name] = loaded
                record.contexts.append(.init(name: named.name, origin: named.originText, tree: loaded.digest))
                emit(.contextLoaded(name: named.name, files: loaded.snapshot.entries.count,
                                    bytes: loaded.snapshot.totalFileBytes, seconds: loaded.seconds))
            case .ociLayout(let reference):
                let image = try ImageImporter(store: journal.store, platform: request.platform)
                    .importImage(from: LayoutReference(parsing: reference))
                imageContexts[named.name] = image
                record.contexts.append(.init(name: named.name, origin: named.originText, image: image.root.digest))
            }
        }
        try journal.save(record)
    }

    /// Reads every given secret once, records its keyed digest, and checks that each secret a
    /// needed stage requires was given.
    func readSecrets(_ plan: DockerfilePlan) throws {
        for secret in request.secrets {
            let value = try secret.read()
            secretValues[secret.id] = value
            record.secrets.append(.init(id: secret.id, digest: try journal.keyedDigest(ofSecret: value)))
        }
        for index in plan.requiredStages {
            for instruction in plan.stages[index].instructions {
                guard case .run(let run) = instruction.expanded else { continue }
                for case .secret(let mount) in run.mounts where mount.required && secretValues[mount.id] == nil {
                    throw EngineError.missingSecret(id: mount.id, location: instruction.source.location)
                }
            }
        }
        try journal.save(record)
    }
}
