#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Small documents kept as reverse deltas (see `BlobDeltas`).
///
/// A document the journal writes (`ingestDocument`) is stored whole and joins the window of the
/// newest documents of its kind (kinds are told apart by their first JSON key: tree listings,
/// build records, step records, image configs, manifests). The document that falls out of the
/// window becomes a delta against whichever newer document of its kind makes the smallest one —
/// its next version, usually — when that saves at least half its size; its full copy is removed at
/// the next `synchronize()`, once the delta is on the disk. So the newest documents, which builds
/// read, stay whole, and each older version costs what differs.
extension BlobStore {
    /// Documents of one kind kept whole before the oldest becomes a delta. A build writes about
    /// three of each kind (three tree listings: the context, a COPY's sources and its output; the
    /// versions of its build record; the configs of its steps), so three keep the previous build's
    /// documents as candidates while costing little: every document in the window is whole, and
    /// a larger window leaves more whole copies behind (with 6, about 80 KB more of the
    /// journal-growth project's documents stay whole: 0.8 KB per build over its 100 builds).
    public static let documentWindow = 3
    /// Larger documents are never made deltas (a delta is made in memory).
    public static let largestDeltaDocument = 16 << 20

    /// Stores a small JSON document the journal wrote (a record, tree listing, config, manifest):
    /// like `ingest(_:expected:durability:)`, and then the oldest document of its kind may become
    /// a delta against a newer one. Readers see no difference.
    @discardableResult
    public func ingestDocument(_ data: Data, expected: Digest? = nil,
                               durability: BlobWriter.Durability = .immediate) throws -> CommitResult {
        let result = try ingest(data, expected: expected, durability: durability)
        guard !result.alreadyExisted, data.count <= BlobStore.largestDeltaDocument,
              let kind = BlobStore.documentKind(of: data) else { return result }
        let deltas = self.deltas
        let leaving = documentWindows.withLock { windows in
            var window = (windows.recent[kind] ?? deltas.recent(kind: kind)).filter { $0 != result.digest }
            window.insert(result.digest, at: 0)
            var leaving: [(digest: Digest, candidates: [Digest])] = []
            while window.count > BlobStore.documentWindow { leaving.append((window.removeLast(), window)) }
            windows.recent[kind] = window
            windows.changed.insert(kind)
            windows.leaving += leaving
            return leaving
        }
        // Under the deferred policy the deltas are made at `synchronize()`, all at once: a build
        // writes its records one by one, and each would otherwise rewrite its kind's hints and
        // write a delta file of its own in the middle of the build.
        if syncPolicy == .everyCommit, !leaving.isEmpty { makePendingDeltas() }
        return result
    }

    /// The newest documents of each kind as this process has seen them, the kinds whose hints
    /// changed, and the documents that left a window (with the window they left) since the last
    /// `makePendingDeltas()`.
    struct DocumentWindows: Sendable {
        var recent: [String: [Digest]] = [:]
        var changed: Set<String> = []
        var leaving: [(digest: Digest, candidates: [Digest])] = []
    }

    /// Makes the documents that left their windows deltas (best effort: a document that cannot be
    /// made one stays whole) and writes each changed kind's hints once.
    func makePendingDeltas() {
        let (leaving, hints) = documentWindows.withLock { windows in
            defer {
                windows.leaving.removeAll()
                windows.changed.removeAll()
            }
            return (windows.leaving, windows.changed.sorted().map { ($0, windows.recent[$0] ?? []) })
        }
        for (kind, window) in hints { deltas.setRecent(window, kind: kind) }
        for document in leaving { try? makeDelta(of: document.digest, against: document.candidates) }
    }

    /// The kind of a JSON document: its first key (`{"entries":`, `{"architecture":` …), as a
    /// file name. Nil for what is not a JSON object.
    static func documentKind(of data: Data) -> String? {
        guard data.count > 2, data.first == UInt8(ascii: "{"), data[data.startIndex + 1] == UInt8(ascii: "\"") else { return nil }
        let prefix = data.prefix(48)
        guard let colon = prefix.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return String(Digest(of: data[data.startIndex..<colon]).hex.prefix(16))
    }

    /// Makes `digest` a delta against the candidate that gives the smallest one, if it saves at
    /// least half; the full copy goes at the next `synchronize()`.
    func makeDelta(of digest: Digest, against candidates: [Digest]) throws {
        guard isStored(digest), !deltas.contains(digest) else { return }
        let target = try read(digest)
        var best: (base: Digest, operations: Data, baseBytes: Data)?
        // A base must be whole now, whatever the window hints say (a stale or hostile hint could
        // name a delta whose chain leads back to the target). Two choosers at once can still pick
        // each other; removeSupersededCopies checks every delta under a lock before its full copy
        // goes, so such a pair keeps one whole copy.
        for candidate in candidates where candidate != digest {
            guard !deltas.contains(candidate), let whole = wholeCopySize(of: candidate),
                  whole <= target.count * 4 + 1024, target.count <= whole * 4 + 1024 else { continue }
            guard let base = try? read(candidate),
                  base.count <= target.count * 4 + 1024, target.count <= base.count * 4 + 1024 else { continue }
            let operations = DeltaEncoding.encode(target: target, base: base)
            if best.map({ operations.count < $0.operations.count }) ?? true { best = (candidate, operations, base) }
        }
        guard let best, best.operations.count + 40 <= target.count / 2 else { return }
        // The delta must make the bytes it replaces before they go.
        guard try DeltaEncoding.apply(best.operations, to: best.baseBytes, size: target.count) == target else { return }
        try deltas.store(.init(base: best.base, size: target.count, operations: best.operations), for: digest)
        supersededCopies.withLock { $0.append(path(for: digest)) }
    }

    /// The size of the whole copy of `digest`; nil when it is not whole (or not a regular file).
    private func wholeCopySize(of digest: Digest) -> Int? {
        var info = stat()
        guard lstat(path(for: digest), &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// Removes the full copies of blobs made deltas since the last call (their deltas are durable).
    func removeSupersededCopies(alreadySynced: Set<String> = []) {
        let paths = supersededCopies.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        guard !paths.isEmpty else { return }
        // One process at a time checks and removes: two processes that made deltas of two
        // documents against each other would otherwise each see the other's full copy, and
        // remove both.
        let lockPath = (deltas.directory as NSString).deletingLastPathComponent + "/removal.lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { return }  // the full copies stay: nothing is lost
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 { guard errno == EINTR else { return } }
        // Only a delta that still makes the bytes replaces them: its base may have gone since, or
        // become a delta itself. Each delta was checked to make its bytes from its base when it
        // was written, and blobs never change, so what is left to check is that its chain of
        // bases still ends at a whole copy without coming back to itself.
        let replaceable = paths.compactMap { path -> (path: String, base: String)? in
            guard let digest = Digest(hex: (path as NSString).lastPathComponent),
                  let base = wholeCopyAtTheEndOfTheChain(of: digest) else { return nil }
            return (path, base)
        }
        // A base may be another process's document, not yet synchronized: it must be on the disk
        // before the copy that no longer needs it goes. This process's own were just synced.
        let unsyncedBases = Set(replaceable.map(\.base)).subtracting(alreadySynced)
        guard (try? FileIO.syncFiles(unsyncedBases.sorted())) != nil else { return }
        let durable = alreadySynced.union(unsyncedBases)
        for (path, _) in replaceable {
            // Walked again right before each unlink: two copies in this batch whose deltas were
            // made against each other (hostile hints) must not both go.
            guard let digest = Digest(hex: (path as NSString).lastPathComponent),
                  let base = wholeCopyAtTheEndOfTheChain(of: digest), durable.contains(base) else { continue }
            unlink(path)
        }
    }

    /// The path of the whole copy (or recipe's blob) that the chain of bases of `digest`'s delta
    /// ends at, without a loop or a missing link; nil otherwise. Reads only delta headers.
    func wholeCopyAtTheEndOfTheChain(of digest: Digest) -> String? {
        var seen: Set<Digest> = [digest]
        var current = digest
        while true {
            guard let delta = try? deltas.delta(of: current), seen.insert(delta.base).inserted else { return nil }
            current = delta.base
            if isStored(current) || (!deltas.contains(current) && contains(current)) { return path(for: current) }
            guard deltas.contains(current) else { return nil }
        }
    }

    /// The bytes of a blob kept as a delta, made from its chain of bases and checked against the
    /// digest. Throws `damagedDelta` naming what is wrong (a base gone, a damaged delta file, a
    /// chain that loops) and `corruptBlob` when what is made does not match.
    public func reconstruct(_ digest: Digest) throws -> Data {
        var chain: [BlobDeltas.Delta] = []
        var seen: Set<Digest> = [digest]
        var current = digest
        var base: Data?
        while base == nil {
            let delta: BlobDeltas.Delta
            do {
                guard let found = try deltas.delta(of: current) else {
                    throw StoreError.damagedDelta(digest, reason: "no delta for \(current)", path: deltas.path(for: current))
                }
                delta = found
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError.damagedDelta(digest, reason: "\(error)", path: deltas.path(for: current))
            }
            chain.append(delta)
            guard seen.insert(delta.base).inserted else {
                throw StoreError.damagedDelta(digest, reason: "its chain of bases loops at \(delta.base)", path: deltas.path(for: current))
            }
            current = delta.base
            if isStored(current), let data = try? FileIO.readFile(path(for: current)) {
                base = data
            } else if !deltas.contains(current) {
                if contains(current) {
                    base = try read(current)  // a recipe's blob
                } else {
                    throw StoreError.damagedDelta(digest, reason: "its base \(current) is not in the store",
                                                  path: deltas.path(for: chain.count == 1 ? digest : current))
                }
            }
        }
        var data = base!
        for delta in chain.reversed() {
            do {
                data = try DeltaEncoding.apply(delta.operations, to: data, size: delta.size)
            } catch {
                throw StoreError.damagedDelta(digest, reason: "\(error)", path: deltas.path(for: digest))
            }
        }
        let actual = Digest(of: data)
        guard actual == digest else { throw StoreError.corruptBlob(digest, actual: actual, path: deltas.path(for: digest)) }
        return data
    }

    /// Whether the delta of `digest` makes its bytes (also when a full copy exists beside it).
    public func verifyDelta(of digest: Digest) -> Verification {
        do {
            _ = try reconstruct(digest)
            return .intact
        } catch StoreError.corruptBlob(_, let actual, _) {
            return .corrupt(actual: actual)
        } catch {
            return .unmakable(reason: "\(error)")
        }
    }

    /// `doomed` ordered so that a blob goes only after every doomed delta made from it: a kill
    /// between two deletions never leaves a delta whose base is gone (fsck would call it damage).
    func deletionOrder(_ doomed: [Digest]) -> [Digest] {
        let set = Set(doomed)
        var base: [Digest: Digest] = [:]
        var dependents: [Digest: Int] = [:]
        for digest in doomed where deltas.contains(digest) {
            guard let delta = try? deltas.delta(of: digest), set.contains(delta.base) else { continue }
            base[digest] = delta.base
            dependents[delta.base, default: 0] += 1
        }
        var ready = doomed.filter { dependents[$0, default: 0] == 0 }.reversed() as [Digest]
        var ordered: [Digest] = []
        ordered.reserveCapacity(doomed.count)
        while let digest = ready.popLast() {
            ordered.append(digest)
            guard let next = base[digest] else { continue }
            dependents[next, default: 0] -= 1
            if dependents[next] == 0 { ready.append(next) }
        }
        // A chain that loops (damage) cannot be ordered: its members go last.
        if ordered.count < doomed.count {
            let placed = Set(ordered)
            ordered += doomed.filter { !placed.contains($0) }
        }
        return ordered
    }

    /// `keep` with the bases of every kept blob that has a delta, transitively.
    func keepingDeltaBases(of keep: Set<Digest>) throws -> Set<Digest> {
        var result = keep
        var queue = try deltas.list().filter { keep.contains($0) }
        while let digest = queue.popLast() {
            guard let delta = try? deltas.delta(of: digest) else { continue }
            if result.insert(delta.base).inserted, deltas.contains(delta.base) { queue.append(delta.base) }
        }
        return result
    }

    /// For a blob both whole and as a delta (a kill between the two, or a reader that needed a
    /// path): the whole copy goes when the delta makes it, else the delta goes. Returns the bytes
    /// freed.
    func dropDuplicateCopies() -> Int64 {
        var freed: Int64 = 0
        for digest in (try? deltas.list()) ?? [] where isStored(digest) {
            var info = stat()
            if verifyDelta(of: digest) == .intact {
                // The delta and its base reach the disk before the whole copy leaves it.
                let base = (try? deltas.delta(of: digest)).map { [path(for: $0.base)] } ?? []
                guard (try? FileIO.syncFiles([deltas.path(for: digest)] + base)) != nil,
                      (try? FileIO.syncDirectory(deltas.directory)) != nil else { continue }
                if stat(path(for: digest), &info) == 0, unlink(path(for: digest)) == 0 { freed += Int64(info.st_size) }
            } else if stat(deltas.path(for: digest), &info) == 0, unlink(deltas.path(for: digest)) == 0 {
                freed += Int64(info.st_size)
            }
        }
        return freed
    }
}
