import Foundation
import TestSupport
import Testing

/// What a build may keep of a project: only what its instructions can reach, never the journal
/// it writes to, never a secret's value — not in records, logs, progress, errors or bundles.
@Suite(.serialized) struct ContextPrivacyTests {
    let workspace: BuildWorkspace
    var journal: String { workspace.journal }

    init() throws { workspace = try BuildWorkspace("context-privacy") }

    @Test func onlyWhatTheBuildCanReachIsStored() throws {
        let canary = "CANARY-\(UInt64.random(in: 0...UInt64.max))"
        let directory = try workspace.context("""
            FROM busybox
            COPY src/ /app/src/
            RUN --mount=type=bind,source=config/app.conf,target=/etc/app.conf cat /etc/app.conf > /app/conf.txt
            RUN --mount=type=secret,id=token cat /run/secrets/token | wc -c > /app/token-length
            """, files: ["src/main.c": "int main;\n", "config/app.conf": "port=1\n", "config/other.conf": "\(canary)-other\n",
                         ".env": "API_KEY=\(canary)-env\n", ".git/config": "[remote] url=\(canary)-git\n",
                         "secrets/token": "\(canary)-secret\n"])
        let result = try workspace.build(["--secret", "id=token,src=\(directory)/secrets/token",
                                          "--build-arg", "SOURCE_DATE_EPOCH=1700000000", directory])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("secret 'token'") || result.stdout.contains("secret 'token'"))
        #expect(try SecretCanary.occurrences(of: canary, under: journal).isEmpty)
        let bundle = workspace.sub("bundle.tar")
        let exported = try RepriseProcess.run(["journal", "export", try workspace.latestBuild(), "-o", bundle, "--journal", journal])
        try #require(exported.status == 0, "\(exported.stderr)")
        #expect(try Tool.check(["sh", "-c", "tar -xOf \"$1\" | grep -caF \"$2\" || true", "sh", bundle, canary]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        // What the build reads is there: a replay from the journal alone reproduces it.
        let replay = try RepriseProcess.run(["replay", try workspace.latestBuild(), "--journal", journal,
                                             "--secret", "id=token,src=\(directory)/secrets/token"])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
    }

    @Test func copyEverythingStillLeavesOutTheSecretSourceAndTheJournal() throws {
        let directory = try workspace.context("""
            FROM busybox
            COPY . /project/
            RUN find /project | sort > /listing.txt
            """, files: ["README": "hello\n", "deploy.key": "never\n"])
        // The journal inside the context, as REPRISE_JOURNAL=./.reprise or an old default puts it.
        let inside = directory + "/.reprise"
        try Tool.check(["cp", "-a", journal, inside])
        let output = workspace.sub("copy-all")
        let arguments = ["build", "--journal", inside, "--progress", "plain", "--secret", "id=key,src=\(directory)/deploy.key",
                         "--output", "type=local,dest=\(output)", directory]
        let first = try RepriseProcess.run(arguments)
        try #require(first.status == 0, "\(first.stderr)")
        let listing = try String(contentsOfFile: output + "/listing.txt", encoding: .utf8)
        #expect(listing.contains("/project/README"))
        #expect(!listing.contains(".reprise"))
        #expect(!listing.contains("deploy.key"))
        // The journal grew, the context did not: everything comes from the cache.
        let second = try RepriseProcess.run(arguments)
        #expect(second.status == 0)
        let progress = second.stdout + second.stderr
        #expect(progress.components(separatedBy: "CACHED").count - 1 == 2, "\(progress)")
    }

    @Test func aSecretPrintedByAFailingStepIsMaskedEverywhere() throws {
        let fileSecret = "file-\(UInt64.random(in: 0...UInt64.max))"
        let envSecret = "env-\(UInt64.random(in: 0...UInt64.max))"
        let secretFile = workspace.sub("token.txt")
        try (fileSecret + "\n").write(toFile: secretFile, atomically: false, encoding: .utf8)
        let directory = try workspace.context("""
            FROM busybox
            RUN --mount=type=secret,id=file --mount=type=secret,id=api,env=API_TOKEN \\
                echo "debug: $(cat /run/secrets/file) and $API_TOKEN" && echo "$API_TOKEN" >&2 && exit 3
            """)
        let result = try workspace.build(["--secret", "id=file,src=\(secretFile)", "--secret", "id=api,env=REPRISE_TEST_API",
                                          directory], environment: ["REPRISE_TEST_API": envSecret])
        #expect(result.status == 1)
        #expect(result.stderr.contains("debug: **** and ****"))
        for secret in [fileSecret, envSecret] {
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
            #expect(try SecretCanary.occurrences(of: secret, under: journal).isEmpty)
        }
        let id = try workspace.latestBuild()
        let logs = try RepriseProcess.run(["journal", "show", "--logs", "--journal", journal, id])
        #expect(logs.stdout.contains("****"))
        #expect(!logs.stdout.contains(fileSecret) && !logs.stdout.contains(envSecret))
    }

    @Test func theDefaultJournalIsNeverTheWorkingDirectory() throws {
        // As root the default is /var/lib/reprise; a read-only command names it without creating it.
        let listing = try RepriseProcess.run(["journal", "ls", "--help"])
        #expect(listing.stdout.contains("/var/lib/reprise"))
        #expect(listing.stdout.contains("XDG_DATA_HOME"))
    }
}
