import ArgumentParser
import BuildJournal
import DiffPresenters
import Differ
import DifferenceModel
import Engine
import Foundation

/// `reprise diff A B`: what differs between two builds, images, layers or trees, where it came
/// from and why. Exit 0 identical, 1 different, 2 trouble, as diff(1).
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Explain every difference between two builds, images, layers or directories.",
        discussion: """
            A and B are each a build id or tag from the journal (build:ID), an OCI layout \
            (oci-layout://PATH[:TAG], a directory or a tar), a docker-archive tar \
            (docker-archive:PATH), a layer tarball (layer:PATH, gzip or not) or a directory \
            (dir:PATH); plain paths are recognised by their content.
            """ + "\n\n" + CommandHelp.discussion(
                "diff", exitStatus: "Exit status: 0 when A and B are the same (after --ignore), 1 when they differ, "
                    + "2 when a side cannot be read."))

    @OptionGroup var journalOptions: JournalOptions
    @Argument(help: "The first side.") var a: String
    @Argument(help: "The second side.") var b: String
    @Flag(help: "Print the report as JSON (schema: Docs/diff-schema.json).") var json = false
    @Flag(help: "Compare only the two builds' recorded inputs: context files, Dockerfile lines, build args, base images, secrets, cache-mount states.")
    var inputs = false
    @Flag(help: "Print the report as Markdown.") var markdown = false
    @Option(help: "Also write a self-contained HTML report to this file.") var html: String?
    @Option(help: "Ignore a class of differences (repeatable): \(CauseKind.allCases.map(\.rawValue).joined(separator: ", ")).",
            completion: .list(CauseKind.allCases.map(\.rawValue)))
    var ignore: [String] = []
    @Option(name: .customLong("ignore-path"), help: "Ignore paths matching a glob (repeatable).")
    var ignorePath: [String] = []
    @Option(name: .customLong("max-depth"), help: "Show the tree to this depth.") var maxDepth: Int?
    @Option(name: .customLong("max-lines"), help: "Lines of detail per difference.") var maxLines: Int = 40
    @Option(name: .customLong("max-entries"), help: "Compare at most this many differing entries per layer (the rest are counted in the verdict).")
    var maxEntries: Int = 5000
    @Flag(name: .customLong("color"), help: "Colour the text report (default: when stdout is a terminal).")
    var color = false
    @Option(help: "Progress on stderr: auto (one line redrawn when stderr is a terminal, else none), tty, plain or quiet.")
    var progress: TaskProgressMeter.Mode = .auto

    /// A side as typed; names of builds resolve as everywhere else (ids, prefixes, `-t` names).
    private func input(_ text: String, journal: Journal?) throws -> DiffInput {
        if let journal, !FileManager.default.fileExists(atPath: text), let id = ImageDigestBuild.resolve(text, in: journal) {
            return .build(journal: journal, reference: id)
        }
        if let journal, !FileManager.default.fileExists(atPath: text), !text.contains("://"),
           let id = try? journal.resolveBuild(named: text.hasPrefix("build:") ? String(text.dropFirst(6)) : text) {
            return .build(journal: journal, reference: id)
        }
        return try DiffInput.parse(text, journal: journal)
    }

    func validate() throws {
        for name in ignore where CauseKind(userInput: name) == nil {
            throw ValidationError("unknown difference class '\(name)'; choose from \(CauseKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        if inputs { return try await runInputs() }
        let report = try await CommandFailure.reporting(status: 2) { () throws -> DiffReport in
            let journal = try? journalOptions.open(create: false)
            var options = DiffOptions(ignoredClasses: Set(ignore.compactMap { CauseKind(userInput: $0) }),
                                      ignoredPaths: ignorePath)
            options.maxDetailLines = maxLines
            options.maxEntriesPerLayer = max(1, maxEntries)
            var differ = ImageDiffer(options: options)
            let meter = TaskProgressMeter(progress, title: "diff")
            defer { meter.finish() }
            differ.progress = meter.handler
            return try differ.compare(a: input(a, journal: journal), b: input(b, journal: journal))
        }
        let presentation = PresentationOptions(maxDepth: maxDepth, maxLines: maxLines,
                                               color: color || isatty(1) == 1)
        if let html {
            try await CommandFailure.reporting(status: 2) {
                try HTMLPresenter(options: presentation, title: "reprise diff \(a) \(b)").render(report)
                    .write(toFile: html, atomically: true, encoding: .utf8)
            }
        }
        if json {
            print(JSONPresenter().render(report))
        } else if markdown {
            print(MarkdownPresenter(options: presentation).render(report))
        } else {
            print(TextPresenter(options: presentation).render(report), terminator: "")
        }
        if report.verdict.exitStatus != 0 { throw ExitCode(report.verdict.exitStatus) }
    }

    /// `--inputs`: the input changes from B's record to A's, one per line (or JSON).
    private func runInputs() async throws {
        let changes = try await CommandFailure.reporting(status: 2) { () throws -> [InputChange] in
            let journal = try journalOptions.open(create: false)
            func record(_ text: String) throws -> (BuildRecord, [StepRecord]) {
                let id = try journal.resolveBuild(named: text.hasPrefix("build:") ? String(text.dropFirst(6)) : text)
                let build = try journal.build(id: id)
                return (build, try journal.steps(of: build))
            }
            let (buildA, stepsA) = try record(a)
            let (buildB, stepsB) = try record(b)
            return try InputComparer(store: journal.store, maxDetailLines: maxLines).compare(buildA, stepsA, buildB, stepsB)
        }
        if json {
            let data = try await CommandFailure.reporting(status: 2) { try InputChangePresenter.json(changes) }
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(InputChangePresenter.text(changes), terminator: "")
        }
        if !changes.isEmpty { throw ExitCode(1) }
    }
}
