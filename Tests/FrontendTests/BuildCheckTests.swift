import Frontend
import Testing

/// The BuildKit behaviours of issue 10 that goldens cannot show: verdicts, directive options,
/// which frontends are ours, the predefined-argument API and options from the engine.
@Suite struct BuildCheckTests {
    static let dockerfile = """
        # check=error=true
        FROM python:3.12-slim AS base
        FROM python:3.12-slim AS BASE
        CMD python -m app
        """

    @Test func warningsFailTheBuildUnderCheckErrorTrue() {
        let report = DockerfileChecker.check(source: Self.dockerfile)
        #expect(report.isValid)
        #expect(report.verdict == .failedOnWarnings(rules: ["StageNameCasing", "DuplicateStageName", "JSONArgsRecommended"]))
        #expect(report.failsBuild)
        #expect(report.verdict.failureMessage
            == "lint violation found for rules: StageNameCasing, DuplicateStageName, JSONArgsRecommended")
    }

    @Test func withoutTheDirectiveWarningsOnlyWarn() {
        let report = DockerfileChecker.check(source: Self.dockerfile.replacingFirstLine(with: "# check=error=false"))
        #expect(report.verdict == .passedWithWarnings)
        #expect(!report.failsBuild)
        #expect(report.verdict.failureMessage == nil)
    }

    @Test func skippedChecksDoNotFailTheBuild() {
        let source = Self.dockerfile.replacingFirstLine(
            with: "# check=skip=StageNameCasing,DuplicateStageName,JSONArgsRecommended;error=1")
        let report = DockerfileChecker.check(source: source)
        #expect(report.verdict == .passed)
        #expect(report.document.directives.checkWarningsAreErrors)
    }

    @Test func errorsFailWhateverTheDirectives() {
        let report = DockerfileChecker.check(source: "# check=error=false\nFROM alpine\nRUN --security=root true\n")
        #expect(report.verdict == .failedOnErrors)
        #expect(report.verdict.fails)
    }

    @Test func experimentalChecksRunOnlyWhenNamedEvenUnderSkipAll() {
        let body = "# Base image pinned for reproducibility\nFROM alpine:3.20 AS runtime\n"
        let off = DockerfileChecker.check(source: "# check=error=true\n" + body)
        #expect(off.warnings.isEmpty)
        for directive in ["# check=experimental=InvalidDefinitionDescription;error=true",
                          "# check=skip=all;experimental=all;error=true"] {
            let on = DockerfileChecker.check(source: directive + "\n" + body)
            #expect(on.warnings.map(\.rule) == ["InvalidDefinitionDescription"], "\(directive)")
            #expect(on.verdict == .failedOnWarnings(rules: ["InvalidDefinitionDescription"]))
        }
    }

    @Test(arguments: [
        "docker/dockerfile:1", "docker/dockerfile:1.7", "docker/dockerfile:1.7-labs", "docker/dockerfile",
        "docker/dockerfile:experimental", "docker.io/docker/dockerfile:1.4",
        "index.docker.io/docker/dockerfile:1",
        "docker/dockerfile:1@sha256:b99fecfe00268a8b556fad7d9c37ee25d716ae08a5d7320e6d51c4dd83246894",
        "docker/dockerfile@sha256:b99fecfe00268a8b556fad7d9c37ee25d716ae08a5d7320e6d51c4dd83246894",
        "docker/dockerfile-upstream:master", "docker/dockerfile:1 --some-frontend-arg",
    ])
    func theDockerfileFrontendIsOurs(_ syntax: String) {
        #expect(SyntaxFrontend.isDockerfileFrontend(syntax))
        let report = DockerfileChecker.check(source: "# syntax=\(syntax)\nFROM alpine\n")
        #expect(report.isValid, "\(report.errors)")
    }

    @Test(arguments: [
        "myfrontend", "dockerfile:experimental", "tonistiigi/dockerfile:runmount20180618",
        "ghcr.io/docker/dockerfile:1", "registry.example.com:5000/docker/dockerfile:1",
        "earthly/dockerfile:latest", "docker/buildkit-frontend:1", "localhost/docker/dockerfile:1",
    ])
    func otherFrontendsAreRefusedAtTheDirective(_ syntax: String) throws {
        #expect(!SyntaxFrontend.isDockerfileFrontend(syntax))
        let report = DockerfileChecker.check(source: "# escape=\\\n# syntax=\(syntax)\nFROM alpine\n")
        let error = try #require(report.errors.first)
        #expect(SyntaxFrontend.isRefusal(error))
        #expect(error.location.startLine == 2)
        #expect(error.message.contains("\"\(syntax)\""))
        #expect(report.plan == nil)
    }

    @Test func theSyntaxBuildArgumentIsHeldToTheSameRule() throws {
        let refused = DockerfileChecker.check(source: "FROM alpine\n", buildArgs: ["BUILDKIT_SYNTAX": "myorg/frontend:2"])
        #expect(try #require(refused.errors.first).message.hasPrefix(
            "unsupported frontend \"myorg/frontend:2\" in --build-arg BUILDKIT_SYNTAX"))
        let accepted = DockerfileChecker.check(source: "FROM alpine\n", buildArgs: ["BUILDKIT_SYNTAX": "docker/dockerfile:1"])
        #expect(accepted.isValid)
    }

    @Test func undefinedVarUsesTheImageEnvironmentWhenTheEngineKnowsIt() {
        let source = "FROM golang:1.22\nENV PATH=$GOPATH/bin:$PATH\n"
        let unknown = DockerfileChecker.check(source: Array(source.utf8), fileName: "Dockerfile", options: BuildOptions())
        #expect(unknown.warnings.map(\.message) == ["Usage of undefined variable '$GOPATH' (did you mean $PATH?)"])
        let known = DockerfileChecker.check(source: Array(source.utf8), fileName: "Dockerfile", options: BuildOptions(
            imageEnvironment: ["golang:1.22": ["GOPATH": "/go", "PATH": "/go/bin:/usr/local/go/bin:/usr/bin"]]))
        #expect(known.warnings.isEmpty)
    }

    @Test func stagesKnowThePlatformTheyAreBuiltFor() throws {
        let source = """
            FROM --platform=$BUILDPLATFORM golang:1.22 AS build
            FROM --platform=linux/arm64 alpine AS tools-arm64
            FROM alpine
            """
        let options = BuildOptions(targetPlatform: BuildPlatform(os: "linux", architecture: "riscv64"),
                                   buildPlatform: BuildPlatform(os: "linux", architecture: "amd64"))
        let plan = try #require(DockerfileChecker.check(source: Array(source.utf8), fileName: "Dockerfile",
                                                        options: options).plan)
        #expect(plan.stages.map(\.effectivePlatform.description) == ["linux/amd64", "linux/arm64", "linux/riscv64"])
    }

    @Test func copyIgnoredFileNeedsTheIgnoreFile() {
        let source = "FROM alpine\nCOPY .env /app/\n"
        #expect(DockerfileChecker.check(source: source).warnings.isEmpty)
        let report = DockerfileChecker.check(source: source, dockerIgnore: DockerIgnore(contents: ".env\n"))
        #expect(report.warnings.map(\.message) == ["Attempting to Copy file \".env\" that is excluded by .dockerignore"])
    }

    @Test func runDevicesAndSecurityAreTyped() throws {
        let report = DockerfileChecker.check(source: """
            FROM ubuntu
            RUN --security=insecure --device=nvidia.com/gpu=all --device="name=vendor.com/fpga=0,required=true" make
            """)
        let plan = try #require(report.plan)
        guard case .run(let run) = plan.stages[0].instructions[0].expanded else {
            Issue.record("expected RUN")
            return
        }
        #expect(run.security == .insecure)
        #expect(run.devices == [RunDevice(name: "nvidia.com/gpu=all"), RunDevice(name: "vendor.com/fpga=0", required: true)])
    }

    @Test func chmodExpressionsAreParsedForTheEngine() throws {
        let report = DockerfileChecker.check(source: "FROM alpine\nARG M=a=rX\nCOPY --chmod=$M site/ /srv/\n")
        let plan = try #require(report.plan)
        guard case .copy(let copy) = plan.stages[0].instructions[1].expanded else {
            Issue.record("expected COPY")
            return
        }
        let mode = try #require(copy.chmodExpression)
        #expect(mode.text == "a=rX")
        #expect(mode.apply(to: 0o640, isDirectory: true) == 0o555)
        #expect(mode.apply(to: 0o640, isDirectory: false) == 0o444)
    }
}

/// Proxy and builder arguments: BuildKit's predefined names and what the engine does with them.
@Suite struct PredefinedArgsTests {
    @Test func proxyArgumentsArePredefinedInEitherCase() {
        #expect(PredefinedArgs.proxy.count == 10)
        for name in PredefinedArgs.proxy + ["Http_Proxy", "BUILDKIT_SANDBOX_HOSTNAME", "BUILDKIT_CACHE_MOUNT_NS",
                                            "TARGETARCH", "BUILDPLATFORM"] {
            #expect(PredefinedArgs.isPredefined(name), "\(name)")
        }
        for name in ["PROXY", "HTTP_PROXY_URL", "VERSION", "buildkit_sandbox_hostname"] {
            #expect(!PredefinedArgs.isPredefined(name), "\(name)")
        }
    }

    @Test func runGetsEachProxyInBothSpellings() {
        let environment = PredefinedArgs.proxyEnvironment(buildArgs: [
            "https_proxy": "http://proxy:3129", "HTTP_PROXY": "http://proxy:3128", "no_proxy": "",
            "ALL_PROXY": "socks5://proxy:1080", "VERSION": "1.2",
        ])
        #expect(environment.map { "\($0.key)=\($0.value)" } == [
            "HTTP_PROXY=http://proxy:3128", "http_proxy=http://proxy:3128",
            "HTTPS_PROXY=http://proxy:3129", "https_proxy=http://proxy:3129",
            "ALL_PROXY=socks5://proxy:1080", "all_proxy=socks5://proxy:1080",
        ])
        // Two spellings of one kind: the name sorting last wins, as in BuildKit.
        let both = PredefinedArgs.proxyEnvironment(buildArgs: ["FTP_PROXY": "upper", "ftp_proxy": "lower"])
        #expect(both.map(\.value) == ["lower", "lower"])
    }

    @Test func hostnameAndCacheNamespaceComeFromBuilderArguments() {
        #expect(PredefinedArgs.sandboxHostname(buildArgs: [:]) == "buildkitsandbox")
        #expect(PredefinedArgs.sandboxHostname(buildArgs: ["BUILDKIT_SANDBOX_HOSTNAME": "ci-7"]) == "ci-7")
        #expect(PredefinedArgs.cacheMountNamespace(buildArgs: [:]) == nil)
        #expect(PredefinedArgs.cacheMountNamespace(buildArgs: ["BUILDKIT_CACHE_MOUNT_NS": "team-a"]) == "team-a")
    }

    @Test func predefinedArgumentsNeedNoArgLineAndNeverWarnInRun() {
        let source = """
            FROM debian:bookworm-slim
            RUN curl --proxy "$HTTPS_PROXY" -o /tmp/x https://example.com/x && hostname
            """
        let report = DockerfileChecker.check(source: source, buildArgs: [
            "HTTPS_PROXY": "http://proxy:3129", "BUILDKIT_SANDBOX_HOSTNAME": "ci", "BUILDKIT_CACHE_MOUNT_NS": "ns",
        ])
        #expect(report.verdict == .passed)
    }
}

extension String {
    fileprivate func replacingFirstLine(with line: String) -> String {
        line + "\n" + split(separator: "\n", maxSplits: 1)[1]
    }
}
