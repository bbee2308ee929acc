import Frontend
import Testing

/// The automatic platform arguments as BuildKit's frontend gives them: TARGET* the platform
/// being built, BUILD* the builder's, both usable in FROM.
@Suite struct PlatformArgumentTests {
    let arm64 = BuildPlatform(os: "linux", architecture: "arm64")
    let amd64 = BuildPlatform(os: "linux", architecture: "amd64")

    func plan(_ dockerfile: String, target: BuildPlatform) throws -> DockerfilePlan {
        let options = BuildOptions(targetPlatform: target, buildPlatform: amd64)
        let report = DockerfileChecker.check(source: Array(dockerfile.utf8), fileName: "Dockerfile", options: options)
        return try #require(report.plan, "\(report.errors)")
    }

    @Test func aBareGlobalArgKeepsTheAutomaticValue() throws {
        // `ARG TARGETARCH` before FROM declares it without erasing it (a common multi-arch idiom).
        let stages = try plan("ARG TARGETARCH\nARG OTHER\nFROM base-$TARGETARCH\nFROM other-${OTHER:-unset}\n", target: arm64).stages
        #expect(stages.map(\.baseName) == ["base-arm64", "other-unset"])
    }

    @Test func buildPlatformStagesAndTargetStagesGetTheirPlatforms() throws {
        let stages = try plan("""
            FROM --platform=$BUILDPLATFORM tools AS cross
            FROM --platform=$TARGETPLATFORM base AS final
            FROM base-$TARGETOS-$TARGETARCH$TARGETVARIANT
            """, target: BuildPlatform(os: "linux", architecture: "arm", variant: "v7")).stages
        #expect(stages.map(\.platform) == ["linux/amd64", "linux/arm/v7", nil])
        #expect(stages.map(\.effectivePlatform.description) == ["linux/amd64", "linux/arm/v7", "linux/arm/v7"])
        #expect(stages[2].baseName == "base-linux-armv7")
    }
}
