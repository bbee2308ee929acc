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
/// notes §6): bind sources and cache states as tree digests, secrets as keyed digests only.
extension BuildSession {
    /// The mounts of one RUN, ready for the sandbox, with their records.
    final class PreparedMounts {
        var sandboxMounts: [SandboxMount] = []
        var records: [MountRecord] = []
        /// Mount facts that change the step's result, for its cache key (never cache contents
        /// or secret values).
        var keyInputs: [String: String] = [:]
        /// Variables the mounts add (secrets with `env=`, SSH_AUTH_SOCK).
        var environment: [String] = []
        /// Cache directories to snapshot after the step, by record index.
        var cacheDirectories: [(record: Int, path: String)] = []
        var locks: [Int32] = []
        let store: BlobStore

        init(store: BlobStore) { self.store = store }

        /// Records each cache mount's state after the step.
        func recordAfter(into records: inout [MountRecord]) {
            for (index, path) in cacheDirectories where index < records.count {
                records[index].treeAfter = try? Self.snapshot(path, store: store)
            }
        }

        func cleanup() {
            for fd in locks { flock(fd, LOCK_UN); close(fd) }
            locks.removeAll()
        }

        static func snapshot(_ path: String, store: BlobStore) throws -> Digest {
            try TreeSnapshotter(store: store).snapshot(directory: path).snapshot.store(in: store)
        }
    }

    func prepareMounts(_ mounts: [RunMount], context: StageContext,
                       location: Frontend.SourceLocation) async throws -> PreparedMounts {
        let prepared = PreparedMounts(store: journal.store)
        for (ordinal, mount) in mounts.enumerated() {
            let key = "mount\(ordinal)"
            switch mount {
            case .bind(let bind):
                let target = absolute(bind.target, in: context)
                let (source, tree) = try bindSource(from: bind.from, path: bind.source ?? "/", location: location)
                prepared.sandboxMounts.append(bind.readWrite ? .bindDiscardingWrites(source, to: target)
                                              : .bind(source, to: target, readOnly: true))
                prepared.records.append(MountRecord(kind: .bind, target: target, from: bind.from, source: bind.source,
                                                    readOnly: !bind.readWrite, treeBefore: tree))
                prepared.keyInputs[key] = "bind \(target) \(bind.readWrite) \(tree)"
            case .cache(let cache):
                let target = absolute(cache.target, in: context)
                let directory = try cacheDirectory(cache, prepared: prepared)
                prepared.sandboxMounts.append(.bind(directory, to: target, readOnly: cache.readOnly))
                prepared.cacheDirectories.append((prepared.records.count, directory))
                prepared.records.append(MountRecord(
                    kind: .cache, target: target, from: cache.from, source: cache.source, readOnly: cache.readOnly,
                    treeBefore: try PreparedMounts.snapshot(directory, store: journal.store), id: cache.id,
                    sharing: cache.sharing.rawValue,
                    options: ["mode": String(cache.mode, radix: 8), "uid": "\(cache.uid)", "gid": "\(cache.gid)"]))
                prepared.keyInputs[key] = "cache \(target) \(cache.id) \(cache.sharing.rawValue)"
            case .tmpfs(let tmpfs):
                let target = absolute(tmpfs.target, in: context)
                prepared.sandboxMounts.append(.tmpfs(at: target, sizeBytes: tmpfs.sizeBytes.map { UInt64($0) }))
                prepared.records.append(MountRecord(kind: .tmpfs, target: target, sizeLimit: tmpfs.sizeBytes))
                prepared.keyInputs[key] = "tmpfs \(target) \(tmpfs.sizeBytes ?? 0)"
            case .secret(let secret):
                guard let value = secretValues[secret.id] else {
                    if secret.required { throw EngineError.missingSecret(id: secret.id, location: location) }
                    continue
                }
                if let target = secret.effectiveTarget {
                    prepared.sandboxMounts.append(.secret(Array(value), at: absolute(target, in: context),
                                                          mode: secret.mode, uid: secret.uid, gid: secret.gid))
                }
                if let variable = secret.env {
                    prepared.environment.append("\(variable)=\(String(decoding: value, as: UTF8.self))")
                }
                prepared.records.append(MountRecord(
                    kind: .secret, target: secret.effectiveTarget ?? "", id: secret.id,
                    secretDigest: try journal.keyedDigest(ofSecret: value), environmentVariable: secret.env,
                    options: ["mode": String(secret.mode, radix: 8), "required": "\(secret.required)"]))
                prepared.keyInputs[key] = "secret \(secret.id) \(secret.effectiveTarget ?? "") \(secret.env ?? "")"
            case .ssh(let ssh):
                guard let source = request.ssh.first(where: { $0.id == ssh.id }) else {
                    if ssh.required {
                        throw EngineError.invalidInstruction(
                            message: "ssh '\(ssh.id)' is required but was not given; pass --ssh \(ssh.id)", location: location)
                    }
                    continue
                }
                let socket = try source.agentSocket()
                let target = ssh.target.map { absolute($0, in: context) } ?? "/run/buildkit/ssh_agent.\(ordinal)"
                prepared.sandboxMounts.append(.bind(socket, to: target, readOnly: false))
                prepared.environment.append("SSH_AUTH_SOCK=\(target)")
                prepared.records.append(MountRecord(kind: .ssh, target: target, id: ssh.id))
                prepared.keyInputs[key] = "ssh \(ssh.id) \(target)"
            }
        }
        return prepared
    }

    /// A mount target as the step sees it: relative targets are under the working directory.
    func absolute(_ path: String, in context: StageContext) -> String {
        if path.hasPrefix("/") { return path }
        let base = context.state.workingDirectory
        return (base.hasSuffix("/") ? base : base + "/") + path
    }

    /// The host directory a bind shows (a context materialised from its snapshot, or a stage's
    /// flattened tree) and the tree digest of what it shows.
    private func bindSource(from: String?, path: String, location: Frontend.SourceLocation) throws -> (String, Digest) {
        let relative = path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
        let root = try sourceRoot(named: from, location: location)
        let host = relative.isEmpty ? root : root + "/" + relative
        guard FileIO.exists(host) else {
            throw EngineError.invalidInstruction(message: "bind mount source '\(path)' not found in \(from ?? "the context")",
                                                 location: location)
        }
        return (host, try PreparedMounts.snapshot(host, store: journal.store))
    }

    /// A persistent cache directory per id, under the journal (so one journal's builds share it).
    private func cacheDirectory(_ cache: CacheMount, prepared: PreparedMounts) throws -> String {
        if let restored = try replayCacheDirectory(id: cache.id, mode: cache.mode, uid: cache.uid, gid: cache.gid) {
            return restored
        }
        let name = Digest(ofUTF8: cache.id).short
        let directory = journal.root + "/cache-mounts/" + name
        if !FileIO.isDirectory(directory) {
            try FileIO.makeDirectories(directory)
            chmod(directory, mode_t(cache.mode))
            chown(directory, cache.uid, cache.gid)
        }
        let fd = try FileIO.open(journal.root + "/cache-mounts/" + name + ".lock", O_RDWR | O_CREAT, mode: 0o644)
        // shared: many steps at once; locked and private: one at a time (private's separate
        // copies are left for the mounts issue).
        let operation = cache.sharing == .shared ? LOCK_SH : LOCK_EX
        while flock(fd, operation) != 0 {
            guard errno == EINTR else { close(fd); throw SystemCallError("flock", path: directory) }
        }
        prepared.locks.append(fd)
        return directory
    }
}
