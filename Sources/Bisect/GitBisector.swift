#if canImport(Glibc)
import Glibc
#endif
import BuildJournal
import ContentStore
import Engine
import Foundation

/// `reprise bisect --git REPO --good REV --bad REV`: binary search over the first-parent commits
/// like `git bisect run`, each probe a build of that revision's tree (recorded as the context,
/// with the step cache). A probe that cannot be judged is skipped and a neighbour tried, as git
/// does; when only skipped commits remain between the last good and first bad, the culprit is
/// the first bad and the report says which commits could not be told apart.
public struct GitBisector: Sendable {
    public let engine: BuildEngine

    public struct Options: Sendable {
        public var repository: String
        public var good: String
        public var bad: String
        /// The Dockerfile, relative to the repository's root.
        public var dockerfile: String
        public var buildArguments: [String: String]
        public var target: String?
        public var predicate: BisectPredicate
        public var maxProbes: Int?
        /// Then bisect the culprit commit's input changes (which files of it matter).
        public var bisectInputs: Bool
        /// Secrets every build is given (`--secret`).
        public var secrets: [SecretSource] = []

        public init(repository: String, good: String, bad: String, dockerfile: String = "Dockerfile",
                    buildArguments: [String: String] = [:], target: String? = nil,
                    predicate: BisectPredicate = .differs, maxProbes: Int? = nil, bisectInputs: Bool = false) {
            self.bisectInputs = bisectInputs
            self.repository = repository
            self.good = good
            self.bad = bad
            self.dockerfile = dockerfile
            self.buildArguments = buildArguments
            self.target = target
            self.predicate = predicate
            self.maxProbes = maxProbes
        }
    }

    public init(engine: BuildEngine) {
        self.engine = engine
    }

    public func run(_ options: Options, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> BisectReport {
        let started = Date()
        let repository = GitRepository(path: options.repository)
        let good = try repository.commit(options.good)
        let bad = try repository.commit(options.bad)
        let commits = try repository.firstParentRange(good: good, bad: bad)
        guard !commits.isEmpty else { throw BisectError.endpointsAgree("no first-parent commits between \(good) and \(bad)") }
        var report = BisectReport(id: "bisect-" + String(UUID().uuidString.lowercased().prefix(8)), mode: "git",
                                  good: good, bad: bad, predicate: options.predicate)
        report.commits = commits
        let log = BisectLog(journal: engine.journal)
        var judge = ProbeJudge(engine: engine, predicate: options.predicate)
        var shownLimit = 0
        func limitShown(searching count: Int) {
            let searchProbes = Int(ceil(log2(Double(max(count, 1)))))
            shownLimit = min(searchProbes + (options.predicate.comparesWithGood ? 1 : 0), options.maxProbes ?? .max)
        }
        limitShown(searching: commits.count)
        var outcomes: [String: BuildOutcome] = [:]

        func probe(_ commit: String, reference: Bool = false) async throws -> BisectReport.Probe {
            let number = report.probes.count + 1
            progress("probe \(number) of at most \(shownLimit) (plus skips): \(commit.prefix(12)) \(repository.subject(commit) ?? "")")
            let begun = Date()
            let outcome = try await build(commit, repository: repository, options: options)
            outcomes[commit] = outcome
            let verdict: ProbeVerdict
            if reference {
                // The good revision under a predicate that compares with it: good by definition.
                guard outcome.succeeded else {
                    throw BisectError.endpointsAgree("the good revision \(good) does not build: \(outcome.error ?? "")")
                }
                try judge.adoptReference(outcome)
                verdict = .good
            } else {
                verdict = try await judge.verdict(outcome)
            }
            let (cached, ran) = try InputBisector.stepCounts(outcome, journal: engine.journal)
            let result = BisectReport.Probe(number: number, applied: nil, commit: commit, outcome: outcome, verdict: verdict,
                                            seconds: Date().timeIntervalSince(begun), cachedSteps: cached, ranSteps: ran)
            progress("probe \(number): \(verdict.rawValue) (\(outcome.buildID ?? "no record"), \(ran) steps run, \(cached) cached)")
            report.probes.append(result)
            try log.save(report)
            return result
        }

        if options.predicate.comparesWithGood {
            // The reference the predicate compares with: the good revision's image.
            _ = try await probe(good, reference: true)
        }

        // Only commits that change what the build reads can change its outcome: the others give
        // a build with the inputs of their parent (the premise of the step cache), so the search
        // runs over the relevant commits, and the bad end stands for the last of them.
        let relevant = try relevantCommits(commits, good: good, repository: repository, options: options)
        if relevant.count < commits.count {
            report.notes.append("\(relevant.count) of \(commits.count) commits change what the build reads (the Dockerfile, "
                + ".dockerignore or a path its COPY/ADD/bind sources name); the others cannot change the outcome and were not built")
        }
        guard !relevant.isEmpty else {
            throw BisectError.endpointsAgree("no commit between \(good.prefix(12)) and \(bad.prefix(12)) changes a file the build reads")
        }
        let searched = relevant
        limitShown(searching: searched.count)
        // Positions: -1 is good, searched.count - 1 is bad (taken as bad without a build, as git does).
        var low = -1
        var high = searched.count - 1
        var skipped = Set<Int>()
        var stopped = false
        while high - low > 1 {
            if let limit = options.maxProbes, report.probes.count >= limit { stopped = true; break }
            let middle = (low + high) / 2
            let candidates = (low + 1..<high).filter { !skipped.contains($0) }
            guard let chosen = candidates.min(by: { abs($0 - middle) < abs($1 - middle) }) else { break }
            switch try await probe(searched[chosen]).verdict {
            case .bad: high = chosen
            case .good: low = chosen
            case .skip: skipped.insert(chosen)
            }
        }
        let culprit = searched[high]
        report.culprit = .commit(culprit)
        report.culpritSubject = repository.subject(culprit)
        report.complete = !stopped && high - low == 1
        if high - low > 1 {
            report.notes.append("only skipped commits lie between the last good and \(culprit.prefix(12)): the culprit is one of "
                + searched[(low + 1)...high].map { String($0.prefix(12)) }.joined(separator: ", "))
        }
        // Explain against the last good revision: build whichever end was not built (cached).
        let parent = low >= 0 ? searched[low] : good
        let before: BuildOutcome
        if let known = outcomes[parent] { before = known } else { before = try await build(parent, repository: repository, options: options) }
        let after: BuildOutcome
        if let known = outcomes[culprit] { after = known } else { after = try await build(culprit, repository: repository, options: options) }
        let extra = [outcomes[parent] == nil ? parent : nil, outcomes[culprit] == nil ? culprit : nil].compactMap { $0 }
        report.explanationBuilds = extra.count
        if !extra.isEmpty {
            report.notes.append("built for the explanation only (not probes): " + extra.map { String($0.prefix(12)) }.joined(separator: ", "))
        }
        try BisectExplainer(journal: engine.journal).explain(&report, good: before, bad: after)
        if let beforeID = before.buildID, let afterID = after.buildID, let store = Optional(engine.journal.store) {
            let a = try RecordedBuild(id: beforeID, journal: engine.journal)
            let b = try RecordedBuild(id: afterID, journal: engine.journal)
            report.changes = try InputComparerBridge.changes(a, b, store: store, detailLines: 10)
        }
        if options.bisectInputs, let beforeID = before.buildID, let afterID = after.buildID {
            do {
                let inputs = try await InputBisector(engine: engine).run(
                    .init(good: beforeID, bad: afterID, predicate: options.predicate, maxProbes: options.maxProbes,
                          secrets: options.secrets),
                    progress: { progress("inside \(culprit.prefix(12)): " + $0) })
                if case .changes(let changes) = inputs.culprit { report.inputCulprit = changes }
                report.inputBisect = inputs.id
            } catch let error as BisectError {
                report.notes.append("no input bisect inside \(culprit.prefix(12)): \(error)")
            }
        }
        report.seconds = Date().timeIntervalSince(started)
        try log.save(report)
        return report
    }

    /// The commits that touch the Dockerfile, a .dockerignore, or a path some version of the
    /// Dockerfile in the range can read. All of them when a Dockerfile does not plan.
    func relevantCommits(_ commits: [String], good: String, repository: GitRepository, options: Options) throws -> [String] {
        let changed = try repository.changedPaths(good: good, bad: commits.last!)
        let dockerfile = GitRepository.cleaned(options.dockerfile)
        func touchesBuildDefinition(_ commit: String) -> Bool {
            (changed[commit] ?? []).contains { $0 == dockerfile || $0.hasSuffix(".dockerignore") || $0.hasPrefix("\"") }
        }
        var reaches: [MainContextReach] = []
        for revision in [good] + commits.filter(touchesBuildDefinition) {
            guard let data = repository.file(dockerfile, at: revision),
                  let reach = MainContextReach(dockerfile: data, fileName: (dockerfile as NSString).lastPathComponent,
                                               buildArguments: options.buildArguments, target: options.target,
                                               journal: engine.journal) else { return commits }
            reaches.append(reach)
        }
        return commits.filter { commit in
            touchesBuildDefinition(commit) || (changed[commit] ?? []).contains { path in reaches.contains { $0.reaches(path) } }
        }
    }

    /// Builds one revision: its tree extracted under the journal (named by the commit, which is
    /// the context's recorded origin) and built with the step cache.
    func build(_ commit: String, repository: GitRepository, options: Options) async throws -> BuildOutcome {
        let root = engine.journal.root + "/tmp/bisect-git-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let directory = root + "/" + commit
        defer {
            try? FileManager.default.removeItem(atPath: root)
            let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
            unlink(engine.journal.root + "/statcache/" + Digest(ofUTF8: absolute).short)
        }
        try repository.extract(commit, into: directory)
        // Without a SOURCE_DATE_EPOCH every build would differ by its `created` times and the
        // mtimes RUN steps write: revisions are compared by content, at the checkout's fixed time.
        let epoch = options.buildArguments["SOURCE_DATE_EPOCH"].flatMap { Int64($0) } ?? Int64(GitRepository.fixedMTime)
        var request = BuildRequest(contextPath: directory, dockerfilePath: directory + "/" + options.dockerfile,
                                   buildArguments: options.buildArguments, target: options.target, sourceDateEpoch: epoch)
        request.secrets = options.secrets
        return try await BuildOutcome.run(engine, request)
    }
}
