@testable import Frontend
import Testing

@Suite struct CheckerTests {
    @Test func unknownInstructionSuggestsTheNearestAndQuotesTheLine() {
        let report = DockerfileChecker.check(source: "FROM alpine\n  RUNN make\n", fileName: "Dockerfile")
        #expect(!report.isValid)
        let error = report.errors[0]
        #expect(error.location == SourceLocation(file: "Dockerfile", startLine: 2, endLine: 2, column: 3))
        #expect(error.message.hasPrefix("unknown instruction: RUNN (did you mean RUN?)"))
        let text = DiagnosticFormatter.format(report)
        #expect(text.hasPrefix("Dockerfile:2:3: error: unknown instruction: RUNN (did you mean RUN?)"))
        #expect(text.contains(" 2 |   RUNN make\n   |   ^\n"))
    }

    @Test func errorsOnContinuationLinesPointAtThePhysicalLine() throws {
        let report = DockerfileChecker.check(source: "FROM alpine\nRUN --network=none \\\n    --mount=type=cache,target=/x,sharng=locked \\\n    make\n")
        let error = try #require(report.errors.first)
        #expect(error.location.startLine == 3)
        #expect(error.location.column == 5)
        #expect(error.message.contains("(did you mean sharing?)"))
    }

    @Test func mountDefaultsFollowBuildKit() throws {
        let report = DockerfileChecker.check(source: """
            FROM alpine
            RUN --mount=type=cache,target=/c --mount=type=secret,id=s --mount=type=ssh --mount=target=/b true
            """)
        let plan = try #require(report.plan)
        guard case .run(let run) = plan.stages[0].instructions[0].expanded else {
            Issue.record("expected RUN")
            return
        }
        #expect(run.mounts == [
            .cache(CacheMount(target: "/c", id: "/c", sharing: .shared, mode: 0o755, uid: 0, gid: 0,
                              from: nil, source: nil, readOnly: false)),
            .secret(SecretMount(id: "s", target: nil, env: nil, required: false, mode: 0o400, uid: 0, gid: 0)),
            .ssh(SSHMount(id: "default", target: nil, required: false, mode: 0o600, uid: 0, gid: 0)),
            .bind(BindMount(target: "/b", source: nil, from: nil, readWrite: false)),
        ])
        if case .secret(let secret) = run.mounts[1] { #expect(secret.effectiveTarget == "/run/secrets/s") }
    }

    @Test func buildArgsTargetAndImageEnvironmentShapeThePlan() throws {
        let source = """
            ARG BASE=alpine
            FROM $BASE AS base
            ENV PATH=/opt/bin:$PATH
            FROM scratch AS other
            FROM base AS final
            """
        let options = BuildOptions(buildArgs: ["BASE": "debian"], target: "base",
                                   imageEnvironment: ["debian": ["PATH": "/usr/bin"]])
        let report = DockerfileChecker.check(source: Array(source.utf8), fileName: "Dockerfile", options: options)
        let plan = try #require(report.plan)
        #expect(plan.target == 0)
        #expect(plan.requiredStages == [0])
        #expect(plan.stages[0].base == .external("debian"))
        guard case .env(let env) = plan.stages[0].instructions[0].expanded else {
            Issue.record("expected ENV")
            return
        }
        #expect(env.pairs == [KeyValuePair(key: "PATH", value: "/opt/bin:/usr/bin")])
    }

    @Test func checkErrorDirectiveFailsTheBuildOnWarnings() {
        let report = DockerfileChecker.check(source: "# check=error=true\nFROM alpine\nCMD echo hi\n")
        #expect(report.isValid)
        #expect(report.failsBuild)
        #expect(report.warnings.map(\.rule) == ["JSONArgsRecommended"])
    }

    @Test func expansionErrorsAreLocatedAtTheWord() throws {
        let report = DockerfileChecker.check(source: "FROM alpine\nWORKDIR /a ${B\n")
        let error = try #require(report.errors.first)
        #expect(error.message.contains("missing '}'"))
        #expect(error.location.column == 9)
    }
}
