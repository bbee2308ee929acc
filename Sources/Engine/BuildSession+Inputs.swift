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
                // Named, so that `journal gc` keeps what the build was given.
                try journal.registerImage(manifest: image.root.digest, config: image.configDescriptor.digest,
                                          source: "context:\(named.name)")
                record.contexts.append(.init(name: named.name, origin: named.originText, image: image.root.digest))
            }
        }
        aliasNamedContexts(referencedBy: plan)
        try journal.save(record)
    }

    /// Reads every given secret once, records its keyed digest, checks every given `--ssh`, and
    /// checks that each secret and ssh agent a step that will run requires was given.
    func readSecrets(_ plan: DockerfilePlan) throws {
        for secret in request.secrets {
            let value = try secret.read()
            secretValues[secret.id] = value
            record.secrets.append(.init(id: secret.id, digest: try journal.keyedDigest(ofSecret: value),
                                        key: try journal.secretKeyFingerprint()))
        }
        for ssh in request.ssh { _ = try ssh.upstream() }
        for index in plan.requiredStages {
            // A stage a named context replaces runs none of its instructions.
            if let name = plan.stages[index].name, hasNamedContext(name) { continue }
            for instruction in plan.stages[index].instructions {
                guard case .run(let run) = instruction.expanded else { continue }
                for mount in run.mounts {
                    switch mount {
                    case .secret(let secret) where secret.required && secretValues[secret.id] == nil:
                        throw EngineError.missingSecret(id: secret.id, location: instruction.source.location)
                    case .ssh(let ssh) where ssh.required && !request.ssh.contains(where: { $0.id == ssh.id }):
                        throw EngineError.invalidInstruction(message: Self.missingSSHMessage(ssh.id),
                                                             location: instruction.source.location)
                    default:
                        continue
                    }
                }
            }
        }
        try journal.save(record)
    }
}
