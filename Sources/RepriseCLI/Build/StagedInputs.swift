import ArgumentParser
import Engine
import Foundation

/// A build's context and Dockerfile when they are not plain paths, as buildx takes them:
/// `-f -` (the Dockerfile on standard input), `-` as the context (a tar, possibly compressed, or
/// else a Dockerfile with an empty context), and git URLs `URL#REF:SUBDIR`. They are staged in
/// a temporary directory for the build, which snapshots them into the journal as it does any
/// context; the Dockerfile's bytes are recorded with the build, so a replay never needs stdin.
struct StagedInputs {
    let directory: String
    /// The context directory, when it was staged.
    var contextPath: String?
    /// The Dockerfile, when it was staged.
    var dockerfilePath: String?
    /// What the record names as the context's origin (`-`, or the git URL and commit).
    var origin: String?

    /// Whether `context`/`file` need staging.
    static func needsStaging(context: String, file: String?) -> Bool {
        context == "-" || file == "-" || GitURL(context, for: .buildContext) != nil
    }

    /// Stages what needs it; nil when nothing does.
    static func stage(context: String, file: String?) throws -> StagedInputs? {
        guard needsStaging(context: context, file: file) else { return nil }
        if context == "-", file == "-" {
            throw ValidationError("the context and the Dockerfile cannot both come from standard input")
        }
        let directory = FileManager.default.temporaryDirectory.path + "/reprise-input-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var staged = StagedInputs(directory: directory)
        do {
            if file == "-" {
                // Its own directory, so that a `Dockerfile.dockerignore` beside it is never guessed.
                try FileManager.default.createDirectory(atPath: directory + "/stdin", withIntermediateDirectories: true)
                staged.dockerfilePath = directory + "/stdin/Dockerfile"
                try Self.readStandardInput().write(to: URL(fileURLWithPath: staged.dockerfilePath!))
            }
            if context == "-" {
                try staged.stageStandardInputContext(file: file)
            } else if let git = GitURL(context, for: .buildContext) {
                let checkout = directory + "/git"
                staged.origin = try Self.checkOut(git, into: checkout, scratch: directory + "/repo")
                staged.contextPath = checkout
                if let file, file != "-", !file.hasPrefix("/") {
                    // As buildx: -f names a file inside the repository.
                    staged.dockerfilePath = checkout + "/" + file
                }
            }
        } catch {
            staged.remove()
            throw error
        }
        return staged
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `-`: a tar (plain, gzip, bzip2 or xz, as docker accepts) becomes the context; anything
    /// else is a Dockerfile with an empty context.
    private mutating func stageStandardInputContext(file: String?) throws {
        let data = try Self.readStandardInput()
        let context = directory + "/context"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        contextPath = context
        origin = "-"
        if Self.looksLikeArchive(data) {
            let archive = directory + "/context.tar"
            try data.write(to: URL(fileURLWithPath: archive))
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            tar.arguments = ["tar", "-xf", archive, "-C", context, "--no-same-owner", "--no-overwrite-dir"]
            let errors = Pipe()
            tar.standardError = errors
            try tar.run()
            let message = errors.fileHandleForReading.readDataToEndOfFile()
            tar.waitUntilExit()
            guard tar.terminationStatus == 0 else {
                throw ValidationError("the context tar on standard input does not unpack: "
                    + String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            if let file, !file.hasPrefix("/") { dockerfilePath = context + "/" + file }
        } else {
            guard file == nil else {
                throw ValidationError("standard input is not a tar, so it is the Dockerfile: drop -f, or pipe a tar")
            }
            try data.write(to: URL(fileURLWithPath: context + "/Dockerfile"))
        }
    }

    static func looksLikeArchive(_ data: Data) -> Bool {
        let bytes = [UInt8](data.prefix(512))
        if bytes.starts(with: [0x1f, 0x8b]) || bytes.starts(with: Array("BZh".utf8))
            || bytes.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) || bytes.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) {
            return true
        }
        return bytes.count >= 262 && Array(bytes[257..<262]) == Array("ustar".utf8)
    }

    /// A git context: the commit (default HEAD) checked out without `.git` into `destination`
    /// (only `SUBDIR` when the URL names one), fetched with the user's git configuration, since
    /// the user typed the URL. Returns the origin to record: `URL#REF:SUBDIR@COMMIT`.
    private static func checkOut(_ url: GitURL, into destination: String, scratch: String) throws -> String {
        let checkout: GitCheckout.Result
        do {
            checkout = try GitCheckout(url, configuration: .user).fetch(into: scratch)
        } catch {
            throw ValidationError("git context \(url.remote): \(error)")
        }
        try FileManager.default.moveItem(atPath: checkout.directory, toPath: destination)
        return url.description + "@" + checkout.commit
    }

    static func readStandardInput() throws -> Data {
        try FileHandle.standardInput.readToEnd() ?? Data()
    }
}
