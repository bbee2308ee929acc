import BuildJournal
import Engine
import Foundation
import Sandbox
import SandboxTestSupport
import TestSupport
import Testing

/// Engine logic with a sandbox that runs nothing (`ScriptedStepRunner`): what each RUN would be
/// given, caching, stage selection, failure recording. No root needed for these.
@Suite struct EngineLogicTests {
    let scratch: TemporaryDirectory
    let journal: Journal

    init() throws {
        scratch = try TemporaryDirectory("engine")
        journal = try Journal(root: scratch.sub("journal"))
    }

    struct NoEvents: BuildEventSink { func receive(_ event: BuildEvent) {} }

    func context(_ dockerfile: String, files: [String: String] = [:]) throws -> String {
        let directory = scratch.sub("ctx-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try dockerfile.write(toFile: directory + "/Dockerfile", atomically: true, encoding: .utf8)
        for (name, content) in files { try content.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        return directory
    }

    func build(_ directory: String, runner: ScriptedStepRunner, _ configure: (inout BuildRequest) -> Void = { _ in })
        async throws -> BuildEngine.Result {
        var request = BuildRequest(contextPath: directory, sourceDateEpoch: 1_700_000_000)
        configure(&request)
        return try await BuildEngine(journal: journal, runner: runner, events: NoEvents()).build(request)
    }

    @Test func runStepsGetShellArgvEnvironmentAndTheFixedHostname() async throws {
        let directory = try context("""
            FROM scratch
            ARG VERSION=1
            ENV HOME_DIR=/srv
            WORKDIR /srv
            USER 1000:1000
            RUN echo "$VERSION"
            RUN ["/bin/tool", "--flag"]
            SHELL ["/bin/bash", "-eu", "-c"]
            RUN make all
            """)
        let runner = ScriptedStepRunner()
        _ = try await build(directory, runner: runner) { $0.buildArguments = ["VERSION": "2"] }
        let specs = runner.recordedSpecs
        try #require(specs.count == 3)
        #expect(specs[0].arguments == ["/bin/sh", "-c", "echo \"$VERSION\""])
        #expect(specs[1].arguments == ["/bin/tool", "--flag"])
        #expect(specs[2].arguments == ["/bin/bash", "-eu", "-c", "make all"])
        #expect(specs[0].environment.contains("VERSION=2"))
        #expect(specs[0].environment.contains("HOME_DIR=/srv"))
        #expect(specs[0].workingDirectory == "/srv")
        #expect(specs[0].user == SandboxUser("1000:1000"))
        #expect(specs[0].hostname == "reprise")
        #expect(specs[0].network == .none)
    }

    @Test func aSecondIdenticalBuildRunsNothingAndAChangedArgumentRunsAgain() async throws {
        let directory = try context("FROM scratch\nARG FLAVOUR=plain\nRUN build $FLAVOUR\n")
        let runner = ScriptedStepRunner()
        let first = try await build(directory, runner: runner)
        #expect(journal.unsyncedRefCount == 0, "a build ends with its ref durable")
        let second = try await build(directory, runner: runner)
        #expect(journal.unsyncedRefCount == 0, "a fully cached build writes only its ref, and makes it durable")
        #expect(runner.recordedSpecs.count == 1)
        #expect(first.manifest == second.manifest)
        let steps = try journal.steps(of: second.record)
        #expect(steps.last?.outcome == .cached)
        _ = try await build(directory, runner: runner) { $0.buildArguments = ["FLAVOUR": "spicy"] }
        #expect(runner.recordedSpecs.count == 2)
        _ = try await build(directory, runner: runner) { $0.noCache = true }
        #expect(runner.recordedSpecs.count == 3)
    }

    @Test func onlyTheStagesTheTargetNeedsAreBuilt() async throws {
        let directory = try context("""
            FROM scratch AS tools
            RUN make tools
            FROM scratch AS unused
            RUN never
            FROM scratch AS final
            COPY --from=tools / /
            RUN make final
            """)
        let runner = ScriptedStepRunner()
        let result = try await build(directory, runner: runner)
        #expect(runner.recordedSpecs.map { $0.arguments.last } == ["make tools", "make final"])
        let stages = Set(try journal.steps(of: result.record).map(\.stage))
        #expect(stages == ["tools", "final"])
    }

    @Test func aFailedStepIsRecordedWithItsOutputAndLine() async throws {
        let directory = try context("FROM scratch\nRUN ok\nRUN broken\n")
        let runner = ScriptedStepRunner { spec in
            spec.arguments.last == "broken"
                ? StepResult(status: .exited(3), stderr: Array("compiler exploded\n".utf8))
                : StepResult(status: .exited(0))
        }
        await #expect {
            _ = try await build(directory, runner: runner)
        } throws: { error in
            guard let failure = error as? BuildFailure, failure.buildID != nil,
                  case EngineError.stepFailed(_, let location, let status, let tail) = failure.underlying else { return false }
            return location.startLine == 3 && status == "exit code 3" && tail == ["compiler exploded"]
        }
        let recorded = try #require(try journal.listBuilds().first)
        #expect(recorded.status == "failed")
        let record = try journal.build(id: recorded.id)
        let steps = try journal.steps(of: record)
        #expect(steps.map(\.outcome) == [.succeeded, .succeeded, .failed])
        let stderr = try journal.store.read(try #require(steps[2].stderr))
        #expect(String(decoding: stderr, as: UTF8.self) == "compiler exploded\n")
    }

    @Test func configurationInstructionsReachTheImageConfig() async throws {
        let directory = try context("""
            FROM scratch
            ENV A=1 B=2
            LABEL team=build
            EXPOSE 80
            ENTRYPOINT ["/app"]
            CMD ["--serve"]
            STOPSIGNAL SIGINT
            """)
        let result = try await build(directory, runner: ScriptedStepRunner())
        let config = try journal.store.read(try #require(result.config))
        let text = String(decoding: config, as: UTF8.self)
        #expect(text.contains("\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"A=1\",\"B=2\"]"))
        #expect(text.contains("\"Labels\":{\"team\":\"build\"}"))
        #expect(text.contains("\"ExposedPorts\":{\"80/tcp\":{}}"))
        #expect(text.contains("\"Entrypoint\":[\"/app\"]"))
        #expect(text.contains("\"Cmd\":[\"--serve\"]"))
        #expect(text.contains("\"StopSignal\":\"SIGINT\""))
        #expect(text.contains("\"created\":\"2023-11-14T22:13:20Z\""))
    }
}
