import BuildJournal
import ContentStore
import Foundation
import Frontend
import OCIImage

/// Gathering what the steps will read before any of them runs: contexts and secrets. Problems
/// here (a missing context, a required secret not given) stop the build before the first step.
extension BuildSession {
    /// Named contexts given as OCI layouts, imported before anything else: the plan needs
    /// their configs, and a base image's ONBUILD triggers decide how much of the main context
    /// the build can reach.
    func importImageContexts() throws {
        for named in request.namedContexts {
            guard case .ociLayout(let reference) = named.origin else { continue }
            let layout = try LayoutReference(parsing: reference)
            let image: ResolvedImage
            do {
                image = try ImageImporter(store: journal.store, platform: request.platform).importImage(from: layout)
            } catch ImageError.platformNotFound(_, _, let available) {
                // A stage may want another of its platforms (`FROM --platform=$BUILDPLATFORM`):
                // the whole index is imported, and a stage that wants the missing platform
                // fails at its FROM line (``baseState(named:location:platform:)``).
                guard let other = available.lazy.compactMap(Platform.init(parsing:)).first else { throw ImageError.platformNotFound(wanted: request.platform, in: reference, available: available) }
                image = try ImageImporter(store: journal.store, platform: other).importImage(from: layout)
            }
            imageContexts[named.name] = image
            // Named, so that `journal gc` keeps what the build was given.
            try journal.registerImage(manifest: image.root.digest, config: image.configDescriptor.digest,
                                      source: "context:\(named.name)")
            recorder.update { $0.contexts.append(.init(name: named.name, origin: named.originText, image: image.root.digest)) }
        }
    }

    /// The environment and platform of every external base image the plan's stages start from
    /// (named directory contexts and images not found are left out; the latter fail later, at
    /// their FROM line).
    func baseImageFacts(_ plan: DockerfilePlan) throws -> BaseImageFacts {
        var facts = BaseImageFacts()
        for index in plan.requiredStages {
            let platform = (try? stagePlatform(plan.stages[index])) ?? request.platform
            let resolver = BaseImageResolver(journal: journal, platform: platform, imageContexts: imageContexts,
                                             pinned: pinnedImages, memo: localImages)
            guard case .external(let name) = plan.stages[index].base,
                  !request.namedContexts.contains(where: { Self.name(name, refersToContext: $0.name) && $0.isDirectory }),
                  case .image(let image, _)? = try? resolver.resolve(name) else { continue }
            let configuration = image.configuration
            var environment: [String: String] = [:]
            for entry in configuration.config?.env ?? [] {
                let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                environment[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            facts.environment[name] = environment
            facts.platforms[name] = BuildPlatform(os: configuration.os, architecture: configuration.architecture,
                                                  variant: configuration.variant)
        }
        return facts
    }

    /// Snapshots the main context and the named directory contexts, as far as `plan` reaches.
    func loadDirectoryContexts(_ plan: DockerfilePlan) throws {
        let directories = request.namedContexts.filter(\.isDirectory)
        var reach = ContextReach(plan: plan, mainContext: Self.mainContext) { written in
            directories.first { Self.name(written, refersToContext: $0.name) }?.name
        }
        if try baseImagesHaveOnBuildTriggers(plan) { reach.reachEverything(of: Self.mainContext) }

        let loader = ContextLoader(journal: journal)
        let ignore = ContextLoader.ignoreFile(dockerfilePath: request.resolvedDockerfilePath,
                                              contextDirectory: request.contextPath)
        let main = try loader.load(directory: request.contextPath, filter: ContextFilter(
            root: request.contextPath, ignore: ignore, reach: reach, contextName: Self.mainContext,
            excluded: privatePaths(inside: request.contextPath)))
        contexts[Self.mainContext] = main
        recorder.update { $0.contexts.append(.init(name: Self.mainContext, origin: self.request.contextOrigin ?? self.request.contextPath, tree: main.digest)) }
        emit(.contextLoaded(name: Self.mainContext, files: main.snapshot.entries.count,
                            bytes: main.snapshot.totalFileBytes, seconds: main.seconds))
        for named in directories {
            guard case .directory(let path) = named.origin else { continue }
            let loaded = try loader.load(directory: path, filter: ContextFilter(
                root: path, ignore: nil, reach: reach, contextName: named.name, excluded: privatePaths(inside: path)))
            contexts[named.name] = loaded
            recorder.update { $0.contexts.append(.init(name: named.name, origin: named.originText, tree: loaded.digest)) }
            emit(.contextLoaded(name: named.name, files: loaded.snapshot.entries.count,
                                bytes: loaded.snapshot.totalFileBytes, seconds: loaded.seconds))
        }
        aliasNamedContexts(referencedBy: plan)
    }

    /// What lies inside a context directory but must never be stored from it: the journal in
    /// use, and the source files of secrets (each said once, so the user knows why a COPY of
    /// one would fail).
    private func privatePaths(inside directory: String) -> Set<String> {
        var paths = Set<String>()
        if let journalPath = ContextFilter.relativePath(of: journal.root, inside: directory) { paths.insert(journalPath) }
        for secret in request.secrets {
            guard case .file(let file) = secret.origin,
                  let relative = ContextFilter.relativePath(of: file, inside: directory) else { continue }
            paths.insert(relative)
            emit(.warning("secret '\(secret.id)': its source \(relative) lies inside the context \(directory); "
                + "it is left out of the context and never stored"))
        }
        return paths
    }

    /// Whether a required stage starts from an image whose ONBUILD triggers will run: they may
    /// copy any file of the main context, which must then be there whole.
    private func baseImagesHaveOnBuildTriggers(_ plan: DockerfilePlan) throws -> Bool {
        for index in plan.requiredStages {
            let platform = (try? stagePlatform(plan.stages[index])) ?? request.platform
            let resolver = BaseImageResolver(journal: journal, platform: platform, imageContexts: imageContexts,
                                             pinned: pinnedImages, memo: localImages)
            guard case .external(let name) = plan.stages[index].base,
                  case .image(let image, _)? = try? resolver.resolve(name) else { continue }
            if !(image.configuration.config?.onBuild ?? []).isEmpty { return true }
        }
        return false
    }

    /// Reads every given secret once, records its keyed digest, checks every given `--ssh`, and
    /// checks that each secret and ssh agent a step that will run requires was given.
    func readSecrets(_ plan: DockerfilePlan) throws {
        for secret in request.secrets {
            let value = try secret.read()
            secretValues[secret.id] = value
            let recorded = BuildRecord.SecretUse(id: secret.id, digest: try journal.keyedDigest(ofSecret: value),
                                              key: try journal.secretKeyFingerprint())
            recorder.update { $0.secrets.append(recorded) }
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
    }
}

/// What external base images say of themselves, for planning: by the name the Dockerfile writes.
struct BaseImageFacts {
    var environment: [String: [String: String]] = [:]
    var platforms: [String: BuildPlatform] = [:]
}
