#if canImport(Glibc)
import Glibc
#endif
import BuildJournal
import ContentStore
import Foundation
import Frontend
import LayerArchive
import Sandbox

/// `RUN --mount`: what each mount shows the step, and what the journal records of it (design
/// notes §6): bind sources and cache states as tree digests, secrets as keyed digests only, ssh
/// as ids. None of it reaches the layer: the sandbox makes mount points outside the upper dir.
extension BuildSession {
    func prepareMounts(_ mounts: [RunMount], context: StageContext,
                       location: Frontend.SourceLocation) async throws -> PreparedMounts {
        let prepared = PreparedMounts()
        do {
            var sshCount = 0
            for (ordinal, mount) in mounts.enumerated() {
                let key = "mount\(ordinal)"
                switch mount {
                case .bind(let bind):
                    try prepareBind(bind, key: key, ordinal: ordinal, into: prepared, context: context, location: location)
                case .cache(let cache):
                    try prepareCache(cache, key: key, into: prepared, context: context, location: location)
                case .tmpfs(let tmpfs):
                    let target = absolute(tmpfs.target, in: context)
                    prepared.sandboxMounts.append(.tmpfs(at: target, sizeBytes: tmpfs.sizeBytes.map { UInt64($0) }))
                    prepared.records.append(MountRecord(kind: .tmpfs, target: target, sizeLimit: tmpfs.sizeBytes))
                    prepared.keyInputs[key] = "tmpfs \(target) \(tmpfs.sizeBytes ?? 0)"
                case .secret(let secret):
                    try prepareSecret(secret, key: key, into: prepared, context: context, location: location)
                case .ssh(let ssh):
                    try prepareSSH(ssh, index: sshCount, key: key, into: prepared, context: context, location: location)
                    sshCount += 1
                }
            }
        } catch {
            prepared.cleanup()
            throw error
        }
        return prepared
    }

    /// A mount target as the step sees it: relative targets are under the working directory.
    func absolute(_ path: String, in context: StageContext) -> String {
        if path.hasPrefix("/") { return path }
        let base = context.state.workingDirectory
        return (base.hasSuffix("/") ? base : base + "/") + path
    }

    /// `type=bind`: read-only unless `rw`; with `rw` the step may write, and the writes vanish.
    private func prepareBind(_ bind: BindMount, key: String, ordinal: Int, into prepared: PreparedMounts,
                             context: StageContext, location: Frontend.SourceLocation) throws {
        let target = absolute(bind.target, in: context)
        let shown = try bindSource(from: bind.from, path: bind.source ?? "/", location: location)
        if !bind.readWrite {
            prepared.sandboxMounts.append(.bind(shown.host, to: target, readOnly: true))
        } else if shown.isDirectory {
            prepared.sandboxMounts.append(.bindDiscardingWrites(shown.host, to: target))
        } else {
            // A file cannot carry an overlay: the step writes to a copy made for it alone.
            let copy = scratch + "/mount-\(context.stepIndex)-\(ordinal)"
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: shown.host, toPath: copy)
            prepared.temporaryPaths.append(copy)
            prepared.sandboxMounts.append(.bind(copy, to: target, readOnly: false))
        }
        prepared.records.append(MountRecord(
            kind: .bind, target: target, from: bind.from, source: bind.source, readOnly: !bind.readWrite,
            treeBefore: shown.digest, options: shown.isDirectory ? [:] : ["sourceType": "file"]))
        prepared.keyInputs[key] = "bind \(target) rw=\(bind.readWrite) \(shown.digest)"
    }

    /// `type=cache`: a persistent directory of the journal, held as `sharing` says; its state
    /// before and after the step is recorded (contents in the store) but is not in the cache key.
    private func prepareCache(_ cache: CacheMount, key: String, into prepared: PreparedMounts,
                              context: StageContext, location: Frontend.SourceLocation) throws {
        let target = absolute(cache.target, in: context)
        // BUILDKIT_CACHE_MOUNT_NS keeps the caches of one project apart from another's, as
        // BuildKit prefixes the id with it.
        var cache = cache
        if let namespace = PredefinedArgs.cacheMountNamespace(buildArgs: request.buildArguments) {
            cache.id = namespace + "/" + cache.id
        }
        var seed: (host: String, digest: Digest)?
        if cache.from != nil {
            let shown = try bindSource(from: cache.from, path: cache.source ?? "/", location: location)
            guard shown.isDirectory else {
                throw EngineError.invalidInstruction(
                    message: "cache mount source '\(cache.source ?? "/")' in \(cache.from ?? "") is not a directory",
                    location: location)
            }
            seed = (shown.host, shown.digest)
        }
        let keyInput = "cache \(target) id=\(cache.id) sharing=\(cache.sharing.rawValue) "
            + "mode=\(String(cache.mode, radix: 8)) uid=\(cache.uid) gid=\(cache.gid) ro=\(cache.readOnly) "
            + "seed=\(seed?.digest.description ?? "")"
        // A build holds the journal's cache; a replay gets the state recorded before this step
        // (the session's ``cacheMounts`` decides; this code does not know which).
        let use = try cacheMounts.acquire(CacheMountRequest(
            id: cache.id, sharing: cache.sharing, mode: cache.mode, uid: cache.uid, gid: cache.gid, seed: seed,
            step: context.stepIndex))
        prepared.cacheUses.append((prepared.records.count, use))
        prepared.sandboxMounts.append(.bind(use.directory, to: target, readOnly: cache.readOnly))
        let options = ["mode": String(cache.mode, radix: 8), "uid": "\(cache.uid)", "gid": "\(cache.gid)"]
            .merging(use.options) { _, source in source }
        // Until the step runs (or when it is cached and does not run) the cache is unchanged.
        prepared.records.append(MountRecord(
            kind: .cache, target: target, from: cache.from, source: cache.source, readOnly: cache.readOnly,
            treeBefore: use.before, treeAfter: use.before, id: cache.id, sharing: cache.sharing.rawValue, options: options))
        prepared.keyInputs[key] = keyInput
    }

    /// `type=secret`: a file on a private tmpfs (default `/run/secrets/ID`) and/or an environment
    /// variable. The record and the key hold the id, never the value; the record adds a keyed
    /// digest so a replay can tell whether it was given the same secret.
    private func prepareSecret(_ secret: SecretMount, key: String, into prepared: PreparedMounts,
                               context: StageContext, location: Frontend.SourceLocation) throws {
        guard let value = secretValues[secret.id] else {
            if secret.required { throw EngineError.missingSecret(id: secret.id, location: location) }
            return
        }
        let target = secret.effectiveTarget.map { absolute($0, in: context) }
        if let target {
            prepared.sandboxMounts.append(.secret(Array(value), at: target, mode: secret.mode, uid: secret.uid,
                                                  gid: secret.gid))
        }
        if let variable = secret.env {
            prepared.environment.append("\(variable)=\(String(decoding: value, as: UTF8.self))")
        }
        let options = ["mode": String(secret.mode, radix: 8), "uid": "\(secret.uid)", "gid": "\(secret.gid)",
                       "required": "\(secret.required)"]
        prepared.records.append(MountRecord(
            kind: .secret, target: target ?? "", id: secret.id, secretDigest: try journal.keyedDigest(ofSecret: value),
            environmentVariable: secret.env, options: options))
        prepared.keyInputs[key] = "secret id=\(secret.id) target=\(target ?? "") env=\(secret.env ?? "") "
            + options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// `type=ssh`: a socket relaying to the agent `--ssh ID` names, at
    /// `/run/buildkit/ssh_agent.N` unless a target is given; the first also sets SSH_AUTH_SOCK.
    private func prepareSSH(_ ssh: SSHMount, index: Int, key: String, into prepared: PreparedMounts,
                            context: StageContext, location: Frontend.SourceLocation) throws {
        guard let source = request.ssh.first(where: { $0.id == ssh.id }) else {
            if ssh.required { throw EngineError.invalidInstruction(message: Self.missingSSHMessage(ssh.id), location: location) }
            return
        }
        let forwarder = try SSHAgentForwarder(source: source, mode: ssh.mode, uid: ssh.uid, gid: ssh.gid)
        prepared.forwarders.append(forwarder)
        let target = ssh.target.map { absolute($0, in: context) } ?? "/run/buildkit/ssh_agent.\(index)"
        prepared.sandboxMounts.append(.bind(forwarder.socketPath, to: target, readOnly: false))
        if index == 0 { prepared.environment.append("SSH_AUTH_SOCK=\(target)") }
        let options = ["mode": String(ssh.mode, radix: 8), "uid": "\(ssh.uid)", "gid": "\(ssh.gid)",
                       "required": "\(ssh.required)"]
        prepared.records.append(MountRecord(kind: .ssh, target: target, id: ssh.id, options: options))
        prepared.keyInputs[key] = "ssh id=\(ssh.id) target=\(target) "
            + options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    static func missingSSHMessage(_ id: String) -> String {
        "ssh '\(id)' is required but was not given; pass --ssh \(id)[=SOCKET|KEY]"
    }

    /// What a bind (or a cache seed) shows: a host path inside a context materialised from its
    /// snapshot or a stage's flattened tree, and the digest of its tree (a file: of its bytes).
    /// Those directories are made once per build and never written (`rw` binds write to an
    /// overlay), so the digest is computed once per build and path.
    private func bindSource(from: String?, path: String, location: Frontend.SourceLocation) throws
        -> (host: String, digest: Digest, isDirectory: Bool) {
        let relative = path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
        let root = try sourceRoot(named: from, location: location)
        let host = relative.isEmpty ? root : root + "/" + relative
        let isDirectory = FileIO.isDirectory(host)
        guard isDirectory || FileIO.exists(host) else {
            throw EngineError.invalidInstruction(
                message: "mount source '\(path)' not found in \(from.map { "'\($0)'" } ?? "the build context")",
                location: location)
        }
        let memo = scratch + "/bind-digests/" + Digest(ofUTF8: host).short
        if let text = try? String(contentsOfFile: memo, encoding: .utf8), let digest = Digest(text) {
            return (host, digest, isDirectory)
        }
        let digest = isDirectory
            ? try TreeSnapshotter(store: journal.store).snapshot(directory: host).snapshot.store(in: journal.store)
            : try journal.store.ingest(fileAt: host).digest
        try FileIO.makeDirectories(scratch + "/bind-digests")
        try Data(digest.description.utf8).write(to: URL(fileURLWithPath: memo))
        return (host, digest, isDirectory)
    }
}
