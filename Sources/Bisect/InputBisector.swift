import BuildJournal
import ContentStore
import DifferenceModel
import Differ
import Engine
import Foundation

/// `reprise bisect --good A --bad B`: splits the difference between two recorded builds' inputs
/// into ``InputChange``s and finds a minimal set that flips the predicate by delta debugging.
/// Each probe is a hybrid of good's inputs and some of bad's changes, assembled from the journal
/// alone and built with the step cache, so only steps whose inputs a probe changed run.
public struct InputBisector: Sendable {
    public let engine: BuildEngine

    public struct Options: Sendable {
        public var good: String
        public var bad: String
        public var predicate: BisectPredicate
        public var maxProbes: Int?
        /// A logged bisect to continue: probes it judged are not built again.
        public var resume: BisectReport?
        /// Secrets the probes need (values are never in the journal); the same for every probe.
        public var secrets: [SecretSource] = []

        public init(good: String, bad: String, predicate: BisectPredicate = .differs, maxProbes: Int? = nil,
                    resume: BisectReport? = nil, secrets: [SecretSource] = []) {
            self.secrets = secrets
            self.good = good
            self.bad = bad
            self.predicate = predicate
            self.maxProbes = maxProbes
            self.resume = resume
        }
    }

    public init(engine: BuildEngine) {
        self.engine = engine
    }

    public func run(_ options: Options, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> BisectReport {
        let started = Date()
        let journal = engine.journal
        let good = try RecordedBuild(id: options.good, journal: journal)
        let bad = try RecordedBuild(id: options.bad, journal: journal)
        let all = try InputComparer(store: journal.store, maxDetailLines: 0).compare(good.record, good.steps, bad.record, bad.steps)
        let changes = all.filter(\.applicable)
        var report = options.resume ?? BisectReport(
            id: "bisect-" + String(UUID().uuidString.lowercased().prefix(8)), mode: "inputs",
            good: good.record.id, bad: bad.record.id, predicate: options.predicate)
        report.changes = all
        // A resumed log's conclusions are drawn again below.
        report.notes = []
        report.explanation = []
        report.firstChangedStep = nil
        for change in all where !change.applicable {
            report.notes.append("not bisected (its value is not in the journal): \(change)")
        }
        guard !changes.isEmpty else {
            throw BisectError.endpointsAgree("builds \(good.record.id) and \(bad.record.id) have no input differences a probe can apply")
        }
        let log = BisectLog(journal: journal)
        let builder = ProbeBuilder(engine: engine, good: good, uncachedSteps: good.cacheMountSteps.union(bad.cacheMountSteps),
                                   secrets: options.secrets)
        var judge = ProbeJudge(engine: engine, predicate: options.predicate)
        let limit = options.maxProbes
        let worst = DeltaDebugger.worstCase(changes.count) + 2
        let shownLimit = min(worst, limit ?? worst)
        let earlier = Dictionary((options.resume?.probes ?? []).compactMap { probe in probe.applied.map { ($0.sorted(), probe) } }) { a, _ in a }

        // One probe: reused from the log when resuming, else built, judged and logged.
        let state = ProbeState(numbered: options.resume?.probes.count ?? 0)
        // `reference`: the good end under a predicate that compares with it; it is good by
        // definition, and what the other probes are compared with.
        func probe(_ subset: [Int], reference: Bool = false) async throws -> BisectReport.Probe {
            let applied = subset.map { changes[$0] }
            let keys = applied.map(\.key).sorted()
            if let logged = earlier[keys] {
                if reference { try judge.adoptReference(logged.outcome) }
                return logged
            }
            if let limit, await state.builtNow >= limit { throw DeltaDebugger.ProbeLimitReached() }
            let number = await state.next()
            progress("probe \(number) of at most \(shownLimit): \(applied.count) of \(changes.count) changes applied")
            let begun = Date()
            let inputs = try HybridInputs(good: good, bad: bad, applying: applied, store: journal.store)
            let outcome = try await builder.build(inputs)
            let verdict: ProbeVerdict
            if reference {
                guard outcome.succeeded else {
                    throw BisectError.endpointsAgree("the good build's inputs do not build again (probe \(outcome.buildID ?? "-")): \(outcome.error ?? "")")
                }
                try judge.adoptReference(outcome)
                verdict = .good
            } else {
                verdict = try await judge.verdict(outcome)
            }
            let (cached, ran) = try Self.stepCounts(outcome, journal: journal)
            let result = BisectReport.Probe(number: number, applied: keys, commit: nil, outcome: outcome, verdict: verdict,
                                            seconds: Date().timeIntervalSince(begun), cachedSteps: cached, ranSteps: ran)
            progress("probe \(number): \(verdict.rawValue) (\(outcome.buildID ?? "no record"), \(ran) steps run, \(cached) cached)")
            return result
        }
        func record(_ result: BisectReport.Probe) throws {
            if !report.probes.contains(where: { $0.applied == result.applied }) { report.probes.append(result) }
            try log.save(report)
        }

        // The good end: good's inputs rebuilt (all cached when good is reproducible), which is
        // also the reference the predicate compares with.
        let goodProbe: BisectReport.Probe
        do {
            goodProbe = try await probe([], reference: options.predicate.comparesWithGood)
        } catch is DeltaDebugger.ProbeLimitReached {
            throw BisectError.notBisectable("--max-probes \(limit ?? 0) is reached before both ends are checked")
        }
        let goodResult = goodProbe
        try record(goodResult)
        if options.predicate.comparesWithGood, goodProbe.outcome.manifest != good.record.manifest?.description {
            report.notes.append("good's inputs rebuilt to \(goodProbe.outcome.manifest ?? "no image"), not the recorded \(good.record.manifest?.description ?? "none"): probes are compared with the rebuild")
        }
        guard goodResult.verdict == .good else {
            report.seconds = Date().timeIntervalSince(started)
            try log.save(report)
            throw BisectError.endpointsAgree("the good build's inputs are not good: \(options.predicate) (probe \(goodProbe.outcome.buildID ?? "-"))")
        }
        let badProbe: BisectReport.Probe
        do {
            badProbe = try await probe(Array(changes.indices))
        } catch is DeltaDebugger.ProbeLimitReached {
            throw BisectError.notBisectable("--max-probes \(limit ?? 0) is reached before both ends are checked")
        }
        try record(badProbe)
        guard badProbe.verdict == .bad else {
            report.seconds = Date().timeIntervalSince(started)
            try log.save(report)
            throw BisectError.endpointsAgree("the bad build's inputs rebuilt are not bad (\(badProbe.verdict.rawValue)): \(options.predicate) does not hold for probe \(badProbe.outcome.buildID ?? "-")")
        }

        let (indices, complete) = try await DeltaDebugger.minimize(count: changes.count) { subset in
            let result = try await probe(subset)
            try record(result)
            switch result.verdict {
            case .bad: return true
            case .good: return false
            case .skip: return nil
            }
        }
        let culprit = indices.map { changes[$0] }
        report.culprit = .changes(culprit)
        report.complete = complete
        let culpritKeys = culprit.map(\.key).sorted()
        if let culpritProbe = report.probes.first(where: { $0.applied == culpritKeys }) {
            try explain(&report, good: goodProbe.outcome, bad: culpritProbe.outcome)
        }
        report.seconds = Date().timeIntervalSince(started)
        try log.save(report)
        return report
    }

    /// The first step whose result differs between the good probe and the culprit's, its
    /// Dockerfile line, and the differ's explanation (or the failure).
    func explain(_ report: inout BisectReport, good: BuildOutcome, bad: BuildOutcome) throws {
        try BisectExplainer(journal: engine.journal).explain(&report, good: good, bad: bad)
    }

    static func stepCounts(_ outcome: BuildOutcome, journal: Journal) throws -> (cached: Int, ran: Int) {
        guard let id = outcome.buildID else { return (0, 0) }
        // FROM is not a step that runs or caches anything.
        let steps = try journal.steps(of: journal.build(id: id)).filter { $0.instruction.uppercased() != "FROM" }
        let cached = steps.filter { $0.outcome == .cached }.count
        return (cached, steps.count - cached)
    }
}
