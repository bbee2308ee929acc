import Engine
import Foundation
import TestSupport
import Testing

/// The one git URL grammar (build contexts and `ADD`) and the one checkout, against repositories
/// made here.
@Suite struct GitURLTests {
    struct Case: CustomStringConvertible, Sendable {
        var text: String
        var use: GitURL.Use
        /// remote, ref, subdirectory; nil when the text is not a git URL for that use.
        var expected: (String, String?, String?)?
        var description: String { "\(text) as \(use)" }
    }

    static let cases: [Case] = [
        Case(text: "https://example.com/r.git#v1:cmd", use: .addSource, expected: ("https://example.com/r.git", "v1", "cmd")),
        Case(text: "https://example.com/r.git/", use: .addSource, expected: ("https://example.com/r.git/", nil, nil)),
        Case(text: "git://h/r#:sub/dir", use: .addSource, expected: ("git://h/r", nil, "sub/dir")),
        Case(text: "git@github.com:o/r.git#main", use: .addSource, expected: ("git@github.com:o/r.git", "main", nil)),
        Case(text: "ssh://git@h/r#", use: .addSource, expected: ("ssh://git@h/r", nil, nil)),
        // Not git: a plain download, a path, an option.
        Case(text: "https://example.com/r.tar.gz", use: .addSource, expected: nil),
        Case(text: "src/app.git", use: .addSource, expected: nil),
        Case(text: "-c.git", use: .buildContext, expected: nil),
        // A Dockerfile never names the builder's own repositories; the user on the command line may.
        Case(text: "file:///srv/r.git#v1", use: .addSource, expected: nil),
        Case(text: "file:///srv/r.git#v1", use: .buildContext, expected: ("file:///srv/r.git", "v1", nil)),
        Case(text: "github.com/o/r#v2:docs", use: .addSource, expected: nil),
        Case(text: "github.com/o/r#v2:docs", use: .buildContext, expected: ("https://github.com/o/r", "v2", "docs")),
    ]

    @Test(arguments: cases) func parses(_ test: Case) {
        let url = GitURL(test.text, for: test.use)
        if let (remote, ref, subdirectory) = test.expected {
            #expect(url?.remote == remote)
            #expect(url?.ref == ref)
            #expect(url?.subdirectory == subdirectory)
        } else {
            #expect(url == nil)
        }
    }

    @Test func theRecordedFormGivesBackRefAndSubdirectory() throws {
        #expect(try #require(GitURL("file:///r.git#v1:app", for: .buildContext)).description == "file:///r.git#v1:app")
        #expect(try #require(GitURL("file:///r.git#:app", for: .buildContext)).description == "file:///r.git#:app")
        #expect(try #require(GitURL("file:///r.git", for: .buildContext)).description == "file:///r.git")
    }

    /// One repository with two commits, a subdirectory and a symlink out of it.
    func repository(in scratch: TemporaryDirectory) throws -> (path: String, first: String) {
        let repository = scratch.sub("repo.git")
        try FileManager.default.createDirectory(atPath: repository + "/app", withIntermediateDirectories: true)
        try "one\n".write(toFile: repository + "/app/note", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: repository + "/escape", withDestinationPath: "/etc")
        let git = ["git", "-C", repository, "-c", "user.name=t", "-c", "user.email=t@example"]
        try Tool.check(["git", "init", "-q", "-b", "main", repository])
        try Tool.check(git + ["add", "."])
        try Tool.check(git + ["commit", "-q", "-m", "one"], environment: ["GIT_COMMITTER_DATE": "1600000000 +0000"])
        try Tool.check(git + ["tag", "v1"])
        let first = try Tool.check(git + ["rev-parse", "HEAD"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try "two\n".write(toFile: repository + "/app/note", atomically: true, encoding: .utf8)
        try Tool.check(git + ["commit", "-q", "-am", "two"])
        return (repository, first)
    }

    @Test func aCheckoutIsTheCommitTheRefNamesWithItsTimeAndWithoutGit() throws {
        let scratch = try TemporaryDirectory("git-checkout")
        let (repository, first) = try repository(in: scratch)
        let url = try #require(GitURL("file://\(repository)#v1:app", for: .buildContext))
        let result = try GitCheckout(url, configuration: .user).fetch(into: scratch.sub("checkout"))
        #expect(result.commit == first)
        #expect(result.commitTime == 1_600_000_000)
        #expect(result.directory.hasSuffix("/checkout/app"))
        #expect(try String(contentsOfFile: result.directory + "/note", encoding: .utf8) == "one\n")
        #expect(!FileManager.default.fileExists(atPath: scratch.sub("checkout/.git")))
        #expect(!FileManager.default.fileExists(atPath: scratch.sub("checkout.home")))

        // By commit id, keeping .git; a wrong --checksum is refused.
        let pinned = try #require(GitURL("file://\(repository)#\(first)", for: .buildContext))
        let kept = try GitCheckout(pinned, configuration: .user).fetch(into: scratch.sub("pinned"), keepGitDirectory: true)
        #expect(FileManager.default.fileExists(atPath: kept.directory + "/.git/HEAD"))
        #expect(throws: GitCheckout.Failure.self) {
            try GitCheckout(pinned, configuration: .user).fetch(into: scratch.sub("wrong"), checksum: String(repeating: "a", count: 40))
        }
    }

    @Test func aHostileRepositoryOrRefIsRefused() throws {
        let scratch = try TemporaryDirectory("git-hostile")
        let (repository, _) = try repository(in: scratch)
        func failure(_ text: String, _ configuration: GitCheckout.Configuration, _ name: String) -> String {
            do {
                let url = try #require(GitURL(text, for: .buildContext))
                _ = try GitCheckout(url, configuration: configuration).fetch(into: scratch.sub(name))
                return "no failure"
            } catch {
                return "\(error)"
            }
        }
        // A committed symlink named as SUBDIR must not make the host's /etc the tree.
        #expect(failure("file://\(repository)#main:escape", .user, "escape").contains("'escape' leads outside the repository"))
        #expect(failure("file://\(repository)#main:nowhere", .user, "nowhere").contains("has no directory 'nowhere'"))
        #expect(failure("file://\(repository)#--upload-pack=touch", .user, "option") == "'--upload-pack=touch' is not a usable git ref")
        // Isolated, git speaks only network transports, whatever the URL says.
        let isolated = failure("file://\(repository)#v1", .isolated, "isolated")
        #expect(isolated.contains("transport 'file' not allowed"), "\(isolated)")
    }
}
