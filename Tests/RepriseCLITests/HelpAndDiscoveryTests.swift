import Foundation
import TestSupport
import Testing

/// What a newcomer meets first: every command's help has examples and its exit statuses, the
/// man pages are generated from the same text, completions offer values, listings fit a
/// terminal, JSON times are RFC 3339, a directory where an image belongs says what to give,
/// `image import` names an image after its layout, `verify` says which replay runs.
@Suite struct HelpAndDiscoveryTests {
    /// Every command, found by walking the SUBCOMMANDS sections of `--help` from the top, so a
    /// command added later without examples fails here without anyone listing it.
    static func allCommands() throws -> [[String]] {
        var found: [[String]] = []
        var pending: [[String]] = [[]]
        while let command = pending.popLast() {
            found.append(command)
            let help = try RepriseProcess.run(command + ["--help"]).stdout
            guard let section = help.range(of: "SUBCOMMANDS:\n") else { continue }
            for line in help[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
                // "  name (default)   abstract": a name at two spaces; wrapped abstracts sit deeper.
                guard line.hasPrefix("  "), let first = line.dropFirst(2).first, first.isLowercase else { continue }
                let name = String(line.dropFirst(2).prefix { !$0.isWhitespace })
                pending.append(command + [name])
            }
        }
        return found.sorted { $0.joined(separator: " ") < $1.joined(separator: " ") }
    }

    @Test func everyCommandsHelpHasExamplesAndExitStatusAndAManPage() throws {
        let commands = try Self.allCommands()
        // The walk itself must work: these exist, nested ones included.
        for known in [["build"], ["journal", "rm"], ["bisect", "log"], ["image", "push"], ["run"]] {
            #expect(commands.contains(known), "\(known) not found by the walk: \(commands)")
        }
        for command in commands {
            let help = try RepriseProcess.run(command + ["--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("Examples:") || help.stdout.contains("Examples:\n"), "\(command): no examples")
            #expect(help.stdout.contains("Exit status:"), "\(command): no exit status")
            // The man page, generated from the same configuration by scripts/generate-manual.
            let page = CorpusBaseImage.repositoryRoot + "/Docs/man/" + (["reprise"] + command).joined(separator: ".") + ".1"
            let text = try String(contentsOfFile: page, encoding: .utf8)
            #expect(text.contains(".Sh NAME") || text.contains(".SH NAME"), "\(page)")
        }
        // Completions offer the values of --vary, --ignore and --progress.
        let bash = try RepriseProcess.run(["--generate-completion-script", "bash"]).stdout
        for value in ["fileordering", "buildpath", "rawjson", "timestamp"] { #expect(bash.contains(value), "\(value)") }
    }

    @Test func listingsImportsAndVerifyProgressSpeakPlainly() throws {
        let workspace = try BuildWorkspace("discovery")
        let context = try workspace.context("FROM busybox\nRUN sleep 1; echo shown\n")
        // verify: replay k of N on stderr, then a verdict with counts.
        let verified = try RepriseProcess.run(["verify", "--journal", workspace.journal, "--progress", "plain", "--runs", "2",
                                               "--build-arg", "SOURCE_DATE_EPOCH=0", context])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stderr.contains("replay 1 of 2") && verified.stderr.contains("replay 2 of 2"), "\(verified.stderr)")
        #expect(verified.stderr.contains("2 of 2 replays reproduced every step"))
        // Output offsets restart with each build: the build and both replays print "shown" about
        // 1 s into their own run (continuing offsets would put the last one past 3 s).
        let offsets = verified.stderr.split(separator: "\n").filter { $0.hasSuffix(" shown") }
            .compactMap { Double($0.split(separator: " ")[1]) }
        #expect(offsets.count == 3 && offsets.allSatisfy { $0 < 2.5 }, "\(offsets)")
        // image ls keeps where the base came from (imported), though builds used it since.
        let images = try RepriseProcess.run(["image", "ls", "--journal", workspace.journal]).stdout
        let base = try #require(images.split(separator: "\n").first { $0.hasPrefix("busybox:latest") })
        #expect(base.contains("import:"), "\(images)")
        // journal ls fits 100 columns and shows no replay's temporary path.
        let listing = try RepriseProcess.run(["journal", "ls", "--journal", workspace.journal]).stdout
        #expect(listing.split(separator: "\n").allSatisfy { $0.count <= 100 }, "\(listing)")
        #expect(!listing.contains("/tmp/replay-") && listing.contains("replay of"), "\(listing)")
        // JSON times are RFC 3339.
        let json = try RepriseProcess.run(["journal", "ls", "--json", "--journal", workspace.journal]).stdout
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        let started = try #require(rows.first?["startedAt"] as? String)
        #expect(started.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"#, options: .regularExpression) != nil, "\(started)")
        // journal show and diff take the image digest a build made (whole, or a 12-digit prefix).
        let manifest = try #require(rows.first { $0["replayOf"] == nil }?["manifestDigest"] as? String)
        let shown = try RepriseProcess.run(["journal", "show", "--journal", workspace.journal, manifest])
        #expect(shown.status == 0, "\(shown.stderr)")
        let prefix = String(manifest.dropFirst(7).prefix(12))
        let same = try RepriseProcess.run(["diff", "--journal", workspace.journal, manifest, prefix])
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
        // A plain directory given as an image says what to give instead.
        let plain = try RepriseProcess.run(["image", "import", context, "--journal", workspace.journal])
        #expect(plain.status != 0)
        #expect(plain.stderr.contains("oci-layout://"), "\(plain.stderr)")
        // image import without --name: the layout's ref name (skopeo writes a bare name), or
        // the layout's directory with its tag.
        let named = workspace.sub("mybox")
        try Tool.check(["skopeo", "copy", "oci:\(try CorpusBaseImage.path()):latest", "oci:\(named):tools"])
        let imported = try RepriseProcess.run(["image", "import", named, "--journal", workspace.journal])
        #expect(imported.stdout.contains("tools:latest"), "\(imported.stdout)\(imported.stderr)")
        let tagged = workspace.sub("toolbox")
        try Tool.check(["skopeo", "copy", "oci:\(try CorpusBaseImage.path()):latest", "oci:\(tagged):1.2"])
        let byDirectory = try RepriseProcess.run(["image", "import", tagged, "--journal", workspace.journal])
        #expect(byDirectory.stdout.contains("toolbox:1.2"), "\(byDirectory.stdout)\(byDirectory.stderr)")
    }
}
