import Foundation
import TestSupport

/// The differential cache check: mutate a scenario's inputs at random (seeded), then build once
/// with the cache and once with `--no-cache`. The two images must be identical, and every step
/// whose inputs the mutation did not touch must have come from the cache.
final class DifferentialCacheRun {
    struct Disagreement: CustomStringConvertible {
        var scenario: String
        var round: Int
        var mutation: String
        var problem: String
        var description: String { "\(scenario) round \(round) after \(mutation): \(problem)" }
    }

    /// What a run did, for the test's assertions and the report.
    struct Tally: Codable {
        var mutations = 0
        var builds = 0
        var byKind: [String: Int] = [:]
        var stepsRequiredCached = 0
        var stepsRebuilt = 0
        var bothFailed = 0
        var idleRebuilds = 0
        var disagreements = 0
    }

    private struct Outcome {
        var status: Int32
        var digest: String?
        var buildID: String?
        var stderr: String
        var steps: [StepOutcome] = []
    }

    /// A step as `--progress plain` reports it: `#N [stage i/n] TEXT  Dockerfile:LINE`, then
    /// `#N CACHED` or `#N DONE …`. Read from the output rather than from `journal show` so that
    /// a round costs two processes, not four.
    struct StepOutcome {
        var line: Int
        var instruction: String
        var text: String
        var cached: Bool
    }

    static func steps(inProgress output: String) -> [StepOutcome] {
        var started: [String: StepOutcome] = [:]
        var order: [String] = []
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0].hasPrefix("#"), parts[0] != "#0" else { continue }
            let vertex = parts[0]
            if parts[1].hasPrefix("["), let close = parts[1].firstIndex(of: "]"),
               let marker = parts[1].range(of: "  Dockerfile:", options: .backwards),
               let number = Int(parts[1][marker.upperBound...]) {
                let text = String(parts[1][parts[1].index(close, offsetBy: 2)..<marker.lowerBound])
                started[vertex] = StepOutcome(line: number, instruction: String(text.split(separator: " ").first ?? ""),
                                              text: text, cached: false)
                order.append(vertex)
            } else if parts[1] == "CACHED" {
                started[vertex]?.cached = true
            }
        }
        return order.compactMap { started[$0] }
    }

    static let layerSteps: Set<String> = ["RUN", "COPY", "ADD"]

    let workspace: BuildWorkspace
    let seed: UInt64
    private(set) var tally = Tally()
    private(set) var disagreements: [Disagreement] = []

    init(workspace: BuildWorkspace, seed: UInt64) {
        self.workspace = workspace
        self.seed = seed
    }

    /// Runs `rounds` mutations of `scenario`, each followed by a cached and an uncached build.
    func run(_ scenario: CacheScenario, rounds: Int) throws {
        // One generator per scenario, derived from the seed, so a scenario repeats on its own.
        var random = SeededRandom(seed: seed ^ UInt64(truncatingIfNeeded: scenario.name.utf8.reduce(5381) { $0 &* 33 &+ Int($1) }))
        let directory = try lay(scenario)
        var arguments = scenario.arguments.mapValues { $0[0] }
        // The first build fills the cache; it must itself agree with an uncached build.
        try compare(scenario, directory: directory, arguments: arguments, round: 0, mutation: "none", changed: nil)
        for round in 1...max(rounds, 1) {
            let (description, changed) = try mutate(scenario, directory: directory, arguments: &arguments, random: &random)
            tally.mutations += 1
            try compare(scenario, directory: directory, arguments: arguments, round: round, mutation: description,
                        changed: changed)
            // Now and then, a build with nothing changed: every step must come from the cache.
            if round % 5 == 0 { try idleRebuild(scenario, directory: directory, arguments: arguments, round: round) }
        }
    }

    private func lay(_ scenario: CacheScenario) throws -> String {
        let directory = workspace.sub("scenario-\(scenario.name)")
        if let corpus = scenario.corpus {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Tool.check(["cp", "-a", corpus.directory, directory + "/context"])
        } else {
            for (path, content) in scenario.files {
                let absolute = directory + "/" + path
                try FileManager.default.createDirectory(atPath: (absolute as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                try content.write(toFile: absolute, atomically: false, encoding: .utf8)
            }
            try scenario.dockerfile.write(toFile: directory + "/context/Dockerfile", atomically: false, encoding: .utf8)
        }
        for group in scenario.groups {
            try FileManager.default.createDirectory(atPath: directory + "/" + group.root, withIntermediateDirectories: true)
        }
        try regenerateArchives(scenario, directory: directory)
        return directory
    }

    private func regenerateArchives(_ scenario: CacheScenario, directory: String) throws {
        for (archive, root) in scenario.archives.sorted(by: { $0.key < $1.key }) {
            try Tool.check(["bsdtar", "-cf", directory + "/" + archive, "-C", directory + "/" + root, "."])
        }
    }

    private func mutate(_ scenario: CacheScenario, directory: String, arguments: inout [String: String],
                        random: inout SeededRandom) throws -> (String, Set<String>) {
        let argumentNames = scenario.arguments.keys.sorted()
        if !argumentNames.isEmpty, Int.random(in: 0..<8, using: &random) == 0 {
            let name = argumentNames.randomElement(using: &random)!
            let value = scenario.arguments[name]!.randomElement(using: &random)!
            let changed = arguments[name] != value
            arguments[name] = value
            tally.byKind["buildArg", default: 0] += 1
            return ("build arg \(name)=\(value)", changed ? ["arg:" + name] : [])
        }
        let group = scenario.groups.randomElement(using: &random)!
        let mutation = try ContextMutation.apply(to: directory + "/" + group.root, using: &random)
        tally.byKind[mutation.kind.rawValue, default: 0] += 1
        if scenario.archives.values.contains(group.root) { try regenerateArchives(scenario, directory: directory) }
        return ("\(group.name): \(mutation)", [group.name])
    }

    private func compare(_ scenario: CacheScenario, directory: String, arguments: [String: String], round: Int,
                         mutation: String, changed: Set<String>?) throws {
        let cached = try build(scenario, directory: directory, arguments: arguments, noCache: false)
        let uncached = try build(scenario, directory: directory, arguments: arguments, noCache: true)
        func disagree(_ problem: String) {
            tally.disagreements += 1
            disagreements.append(Disagreement(scenario: scenario.name, round: round, mutation: mutation, problem: problem))
        }
        if cached.status != 0 || uncached.status != 0 {
            if cached.status != 0 && uncached.status != 0 { tally.bothFailed += 1; return }
            return disagree("cached build exit \(cached.status), uncached \(uncached.status): "
                + (cached.status != 0 ? cached.stderr : uncached.stderr).suffix(400))
        }
        if cached.digest != uncached.digest {
            disagree("cached image \(cached.digest ?? "?") ≠ uncached \(uncached.digest ?? "?")")
        }
        // Before the first mutation (changed: nil) nothing can be cached yet.
        guard scenario.corpus == nil, let changed else { return }
        for step in cached.steps {
            // Only steps that make layers consult the cache; ARG, ENV and the like are recomputed.
            guard Self.layerSteps.contains(step.instruction),
                  let dependencies = scenario.dependencies(ofLine: step.line) else { continue }
            if !step.cached { tally.stepsRebuilt += 1 }
            guard dependencies.isDisjoint(with: changed) else { continue }
            tally.stepsRequiredCached += 1
            if !step.cached {
                disagree("Dockerfile:\(step.line) reads none of \(changed.sorted()) but ran again, not cached")
            }
        }
    }

    private func idleRebuild(_ scenario: CacheScenario, directory: String, arguments: [String: String], round: Int) throws {
        let again = try build(scenario, directory: directory, arguments: arguments, noCache: false)
        guard again.status == 0 else { return }
        tally.idleRebuilds += 1
        for step in again.steps where Self.layerSteps.contains(step.instruction) && !step.cached {
            tally.disagreements += 1
            disagreements.append(Disagreement(scenario: scenario.name, round: round, mutation: "nothing",
                                              problem: "\(step.text) ran again with nothing changed"))
        }
    }

    private func build(_ scenario: CacheScenario, directory: String, arguments: [String: String],
                       noCache: Bool) throws -> Outcome {
        tally.builds += 1
        let metadata = workspace.sub("metadata-\(UInt32.random(in: 0...UInt32.max)).json")
        defer { try? FileManager.default.removeItem(atPath: metadata) }
        var flags = ["--metadata-file", metadata] + (noCache ? ["--no-cache"] : [])
        var environment: [String: String] = [:]
        if let corpus = scenario.corpus {
            flags += corpus.flags(context: directory + "/context")
            environment = corpus.buildEnvironment
        } else {
            flags += ["--build-arg", "SOURCE_DATE_EPOCH=\(CacheScenario.epoch)"] + scenario.flags
            for (name, value) in arguments.sorted(by: { $0.key < $1.key }) { flags += ["--build-arg", "\(name)=\(value)"] }
            for (name, path) in scenario.namedContexts.sorted(by: { $0.key < $1.key }) {
                flags += ["--build-context", "\(name)=\(directory)/\(path)"]
            }
            flags.append(directory + "/context")
        }
        let result = try workspace.build(flags, environment: environment)
        var outcome = Outcome(status: result.status, stderr: result.stderr,
                              steps: Self.steps(inProgress: result.stdout + "\n" + result.stderr))
        if let data = FileManager.default.contents(atPath: metadata),
           let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            outcome.digest = document["containerimage.digest"] as? String
            outcome.buildID = document["reprise.build.id"] as? String
        }
        return outcome
    }
}
