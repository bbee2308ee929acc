import BuildJournal
import ContentStore
import Foundation
import Frontend
import LayerArchive
import Sandbox
import Synchronization

/// `COPY` and `ADD`: the selected files become a layer built straight from tree entries (no
/// staging copy), with BuildKit's rules for destinations, ownership and modes.
extension BuildSession {
    func prepareCopy(_ copy: CopyRequest, instruction: PlannedInstruction, context: StageContext) async throws -> PreparedStep {
        let begun = Date()
        let located = instruction.source
        let location = located.location
        if copy.keyword == "COPY", !copy.urlSources.isEmpty || !copy.gitSources.isEmpty {
            throw EngineError.invalidInstruction(message: "COPY cannot fetch URLs; use ADD", location: location)
        }

        let fromContext = copy.from == nil || contexts[copy.from!] != nil
        let tree = try sourceTree(copy, fromContext: fromContext, location: location)
        let view = try layers.view(of: context.state.layers)
        let owner = try copy.chown.map { try resolveOwner($0, view: view, location: location) }
        let mode = try copy.chmod.map { try parseMode($0, location: location) }
        let now = (request.sourceDateEpoch ?? Int64(begun.timeIntervalSince1970)) * 1_000_000_000

        var selection = CopySelection(tree: tree, excludes: copy.excludes.map(CopyPaths.clean))
        var matches: [TreeEntry] = []
        /// Where `--parents` puts each match: its path less the source's pivot.
        var keptParents: [String: String] = [:]
        for (source, pivot) in zip(copy.pathSources, copy.parentsPivots) {
            let found = selection.match(source)
            // As BuildKit: a wildcard may match nothing (the copy then adds what the other
            // sources give, or just the destination); a plain path that is not there is an error.
            guard !found.isEmpty || CopyPaths.isGlob(source) else {
                throw EngineError.copySourceNotFound(path: source.isEmpty ? "." : source, location: location)
            }
            for match in found where copy.parents {
                keptParents[match.path] = pivot.isEmpty || !CopyPaths.isWithin(match.path, pivot) ? match.path
                    : String(match.path.dropFirst(min(match.path.count, pivot.count + 1)))
            }
            matches += found
        }
        var fetched: [RemoteSource.Fetched] = []
        var recordedFetches: [FetchRecord] = []
        for url in copy.urlSources {
            do {
                if request.network == Self.recordingNetwork {
                    let (file, record) = try await fetchRecorded(url, checksum: copy.checksum, mtime: now, step: context.stepIndex)
                    fetched.append(file)
                    recordedFetches.append(record)
                } else {
                    fetched.append(try await RemoteSource(store: journal.store).fetch(
                        url, checksum: copy.checksum, networkAllowed: request.network == "host", mtime: now))
                }
            } catch let failure as RemoteSource.Failure {
                throw EngineError.invalidInstruction(message: failure.description, location: location)
            }
        }
        var repositories: [GitSource.Fetched] = []
        for (ordinal, reference) in copy.gitSources.enumerated() {
            do {
                repositories.append(try GitSource(store: journal.store, workDirectory: scratch + "/git-\(context.stepIndex)-\(ordinal)")
                    .fetch(reference, keepGitDirectory: copy.keepGitDirectory, checksum: copy.checksum,
                           networkAllowed: request.network == "host"))
            } catch let failure as GitSource.Failure {
                throw EngineError.invalidInstruction(message: failure.description, location: location)
            }
        }
        let destination = CopyPaths.clean(absolute(copy.destination, in: context))
        let isDirectory = copy.destination.hasSuffix("/") || copy.destination.hasSuffix("/.")
            || !repositories.isEmpty
            || matches.count + copy.heredocSources.count + fetched.count > 1
            || copy.pathSources.contains(where: CopyPaths.isGlob)
            || existsAsDirectory("/" + destination, in: view)

        var output = CopyOutput(owner: owner, mode: mode, keepOwnership: !fromContext)
        var read: [TreeEntry] = []
        for match in matches {
            read.append(match)
            if match.kind == .directory {
                let base = copy.parents ? CopyPaths.join(destination, keptParents[match.path] ?? match.path) : destination
                output.add(match, at: base)
                for entry in selection.descendants(of: match.path) {
                    read.append(entry)
                    output.add(entry, at: CopyPaths.join(base, String(entry.path.dropFirst(match.path.isEmpty ? 0 : match.path.count + 1))))
                }
            } else if copy.unpack, fromContext, match.kind == .file, let digest = match.digest,
                      LocalArchiveUnpacker.isArchive(digest, in: journal.store) {
                // An archive unpacks into the destination as a directory, owners as the tar has them.
                for entry in try LocalArchiveUnpacker.entries(of: digest, in: journal.store, at: destination) {
                    output.add(entry, at: entry.path, keepingOwner: true)
                }
            } else {
                let target = copy.parents ? CopyPaths.join(destination, keptParents[match.path] ?? match.path)
                    : isDirectory ? CopyPaths.join(destination, String(match.name)) : destination
                output.add(match, at: target)
            }
        }
        for repository in repositories {
            // A repository is a directory source: its tree goes into the destination.
            output.add(repository.snapshot.root, at: destination)
            for entry in repository.snapshot.entries {
                output.add(entry, at: CopyPaths.join(destination, entry.path))
                read.append(entry)
            }
        }
        for remote in fetched {
            if copy.unpackDownloads, let digest = remote.entry.digest, LocalArchiveUnpacker.isArchive(digest, in: journal.store) {
                for entry in try LocalArchiveUnpacker.entries(of: digest, in: journal.store, at: destination) {
                    output.add(entry, at: entry.path, keepingOwner: true)
                }
                read.append(remote.entry)
                continue
            }
            let target = isDirectory ? CopyPaths.join(destination, remote.entry.path) : destination
            output.add(remote.entry, at: target, clockTimed: !remote.datedByServer)
            read.append(TreeEntry(path: remote.url, kind: .file, mode: 0o600, size: remote.entry.size,
                                  digest: remote.entry.digest))
        }
        for heredoc in copy.heredocSources {
            let content = Data(heredoc.content.utf8)
            let digest = try journal.store.ingest(content).digest
            let target = isDirectory ? CopyPaths.join(destination, heredoc.name) : destination
            output.add(TreeEntry(path: heredoc.name, kind: .file, mode: 0o644, size: Int64(content.count),
                                 mtime: now, digest: digest), at: target, clockTimed: true)
        }
        output.addParents(view: view, defaultMtime: now)

        // What the step read, for the record: every selected source entry under a fixed root
        // (a stage's flattened directory root says nothing about what was copied).
        // The key is the layer's full description, so it changes exactly when the layer would:
        // a directory source counts by every file below it, not by its own metadata.
        let writer = LayerWriter(sourceDateEpoch: request.sourceDateEpoch)
        // Two documents of every entry copied (10,000 for a large context), encoded and hashed
        // on two cores: a cached COPY does little else.
        let store = journal.store
        let copied = output, readEntries = read
        let digests = Mutex<[Int: Result<Digest, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let digest = Result {
                index == 0
                    ? try TreeSnapshot(root: TreeEntry(path: "", kind: .directory, mode: 0o755), entries: readEntries).store(in: store)
                    : try copied.keyMaterial(writer: writer).digest()
            }
            digests.withLock { $0[index] = digest }
        }
        let sources = try digests.withLock { $0[0]! }.get()
        let outputDigest = try digests.withLock { $0[1]! }.get()
        var prepared = PreparedStep(
            kind: copy.keyword, keyText: located.original,
            keyInputs: ["output": outputDigest.description,
                        "epoch": request.sourceDateEpoch.map(String.init) ?? ""],
            history: "\(copy.keyword) " + located.original.split(separator: " ", maxSplits: 1).dropFirst().joined())
        prepared.details = StepDetails(sources: sources, sourceImage: copy.from ?? zip(copy.gitSources, repositories)
            .map { "git:\($0.remote)@\($1.commit)" }.first)
        if !recordedFetches.isEmpty { prepared.details.fetches = recordedFetches }
        let entries = output.entries
        let recipes = layers.recipes
        prepared.execute = { _ in
            let snapshot = TreeSnapshot(root: TreeEntry(path: "", kind: .directory, mode: 0o755), entries: entries)
            // The layer is kept as its recipe (tree + writer), not as gzip bytes the store would
            // hold a second time: its digests come from streaming it into hashers only, and a
            // reader of the blob (export, push) gets it made again (`LayerRecipeProducer`).
            // The recipe is stored before the step record names the layer.
            let layer = try writer.describe(snapshot: snapshot, contentsFrom: store)
            try LayerRecipe.record(snapshot, writtenBy: writer, as: layer, in: store)
            // A later RUN (of this build or, through the recipe, of any later one) needs this
            // layer as a lower directory: it is made from the same entries and blobs, not kept
            // in `layers/`.
            recipes.remember(entries, writtenBy: writer, as: layer.diffID)
            return layer.imageLayer
        }
        return prepared
    }

    /// `WORKDIR`: sets the working directory and, when it does not exist, makes it (and its
    /// parents, owned by the current USER) in a layer of its own, as BuildKit does.
    func prepareWorkdir(_ path: String, instruction: PlannedInstruction, context: StageContext) throws -> PreparedStep {
        let located = instruction.source
        let directory = "/" + CopyPaths.clean(absolute(path, in: context))
        let state = context.state
        let user = state.user
        var prepared = PreparedStep(kind: "WORKDIR", keyText: directory,
                                    keyInputs: ["epoch": request.sourceDateEpoch.map(String.init) ?? "", "user": user],
                                    history: located.original)
        prepared.configure = { $0.state.containerConfig.workingDir = directory }
        prepared.execute = { _ in
            let view = try self.layers.view(of: state.layers)
            if directory == "/" || self.existsAsDirectory(directory, in: view) { return nil }
            let now = (self.request.sourceDateEpoch ?? Int64(Date().timeIntervalSince1970)) * 1_000_000_000
            let owner = user.isEmpty ? nil : try self.resolveOwner(user, view: view, what: "USER \(user)",
                                                                    location: located.location)
            var output = CopyOutput(owner: owner, mode: nil, keepOwnership: true)
            output.add(TreeEntry(path: "", kind: .directory, mode: 0o755, mtime: now), at: CopyPaths.clean(directory))
            output.addParents(view: view, defaultMtime: now)
            let snapshot = TreeSnapshot(root: TreeEntry(path: "", kind: .directory, mode: 0o755), entries: output.entries)
            return try LayerWriter(sourceDateEpoch: self.request.sourceDateEpoch)
                .write(snapshot: snapshot, contentsFrom: self.journal.store, into: self.journal.store).imageLayer
        }
        return prepared
    }

    /// The tree a copy selects from: a context's snapshot, or the part of a stage's flattened
    /// tree that the sources can name.
    private func sourceTree(_ copy: CopyRequest, fromContext: Bool, location: Frontend.SourceLocation) throws -> TreeSnapshot {
        if fromContext { return contexts[copy.from ?? Self.mainContext]!.snapshot }
        let patterns = copy.pathSources
        // What these patterns select from these layers was worked out by an earlier build.
        let memo = StageSelectionMemo(directory: journal.root + "/statcache", store: journal.store)
        let usesMemo = !request.noCache && request.replay == nil && request.directoryPresenter == nil
        let key = try StageSelectionMemo.key(layers: sourceState(named: copy.from!, location: location).layers.map(\.descriptor.digest),
                                             patterns: patterns)
        if usesMemo, let remembered = memo.tree(for: key) { return remembered }
        let root = try sourceRoot(named: copy.from, location: location)
        let tree = try TreeSnapshotter(store: journal.store, include: { path, _ in
            patterns.contains { CopySelection.isRelevant(path, to: $0) }
        }).snapshot(directory: root).snapshot
        if usesMemo { memo.remember(tree, for: key) }
        return tree
    }

    func existsAsDirectory(_ path: String, in view: LayeredRootView) -> Bool {
        guard case .found(let entry)? = try? view.resolve(path) else { return false }
        return entry.kind == .directory
    }

    private func resolveOwner(_ text: String, view: LayeredRootView, what: String? = nil,
                              location: Frontend.SourceLocation) throws -> (UInt32, UInt32) {
        do {
            let user = try UserDatabase(view: view).resolve(SandboxUser(text))
            return (user.uid, user.gid)
        } catch {
            throw EngineError.invalidInstruction(message: "\(what ?? "--chown=\(text)"): \(error)", location: location)
        }
    }

    /// `--chmod`: octal (`0755`) or symbolic (`u+x,go-w`), as BuildKit parses it.
    private func parseMode(_ text: String, location: Frontend.SourceLocation) throws -> FileModeExpression {
        do {
            return try FileModeExpression.parse(text)
        } catch {
            throw EngineError.invalidInstruction(message: "--chmod=\(text): \(error)", location: location)
        }
    }

}
