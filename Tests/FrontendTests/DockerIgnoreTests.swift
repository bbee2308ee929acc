import Frontend
import Testing

@Suite struct DockerIgnoreTests {
    @Test func patternsFollowDockerRules() {
        let ignore = DockerIgnore(contents: """
            # comment
            *.log
            /build
              node_modules  
            docs/**/*.tmp
            **/secret.txt
            !important.log
            ./cleaned/../tmp
            """)
        #expect(ignore.patterns.map(\.text) == ["*.log", "build", "node_modules", "docs/**/*.tmp",
                                                "**/secret.txt", "important.log", "tmp"])
        #expect(ignore.excludes("app.log"))
        #expect(!ignore.excludes("sub/app.log"), "* does not cross directories")
        #expect(!ignore.excludes("important.log"), "a later ! pattern re-includes")
        #expect(ignore.excludes("build/out/bin"), "a matching parent directory excludes its contents")
        #expect(ignore.excludes("node_modules/x/index.js"))
        #expect(ignore.excludes("docs/a.tmp"), "** matches zero directories")
        #expect(ignore.excludes("docs/x/y/z.tmp"))
        #expect(ignore.excludes("deep/down/secret.txt"))
        #expect(ignore.excludes("tmp/file"))
        #expect(!ignore.excludes("src/main.swift"))
        #expect(!ignore.excludes("./src/../src/main.swift"))
    }

    @Test func exceptionsDecideWhetherADirectoryCanBePruned() {
        let ignore = DockerIgnore(contents: "vendor\n!vendor/keep/**\nbuild\n")
        #expect(ignore.excludes("vendor/lib/a.go"))
        #expect(!ignore.excludes("vendor/keep/x.go"))
        #expect(ignore.mayReincludeDescendants(of: "vendor"))
        #expect(!ignore.mayReincludeDescendants(of: "vendor/lib"))
        #expect(!ignore.mayReincludeDescendants(of: "build"))
        let wildcard = DockerIgnore(contents: "*\n!**/*.go\n")
        #expect(wildcard.mayReincludeDescendants(of: "anything/at/all"))
        #expect(!wildcard.excludes("pkg/main.go"))
        #expect(wildcard.excludes("pkg/README"))
    }

    @Test func theDockerfileSpecificIgnoreFileWins() {
        let paths = DockerIgnore.candidatePaths(dockerfilePath: "ci/app.Dockerfile", contextDirectory: "ctx/")
        #expect(paths == ["ci/app.Dockerfile.dockerignore", "ctx/.dockerignore"])
        let files = ["ci/app.Dockerfile.dockerignore": Array("specific\n".utf8),
                     "ctx/.dockerignore": Array("generic\n".utf8)]
        let loaded = DockerIgnore.load(dockerfilePath: "ci/app.Dockerfile", contextDirectory: "ctx") { files[$0] }
        #expect(loaded.patterns.map(\.text) == ["specific"])
        let fallback = DockerIgnore.load(dockerfilePath: "Dockerfile", contextDirectory: "ctx") { files[$0] }
        #expect(fallback.patterns.map(\.text) == ["generic"])
    }
}
