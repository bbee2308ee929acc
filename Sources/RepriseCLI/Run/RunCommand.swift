import ArgumentParser
import BuildJournal
import ContentStore
import Engine
import Foundation
import OCIImage
import Sandbox

/// `reprise run IMAGE [CMD…]`: like `docker run --rm`, in the sandbox, with no network unless
/// `--network host`. The command's exit status becomes reprise's.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command in an image from the journal (like docker run --rm; no network by default).",
        discussion: CommandHelp.discussion("run", exitStatus: CommandHelp.runExitStatus))

    @OptionGroup var journalOptions: JournalOptions
    @Option(name: [.short, .long], help: "Set an environment variable, KEY=VALUE (repeatable).") var env: [String] = []
    @Option(help: "Network: none (default) or host.") var network: String = "none"
    @Option(help: ArgumentHelp("The platform to run when the image is an index, os/arch[/variant] (default: the host's); "
                               + "another architecture runs under QEMU user emulation."))
    var platform: String?
    @Argument(help: "An image name or digest from the journal, or a build id.") var image: String
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (default: the image's entrypoint and cmd).")
    var command: [String] = []

    func validate() throws {
        guard ["none", "host"].contains(network) else { throw ValidationError("--network must be none or host") }
        _ = try wantedPlatform()
    }

    func wantedPlatform() throws -> Platform {
        guard let platform else { return BuildFlags.hostPlatform }
        guard let parsed = Platform(parsing: platform) else {
            throw ValidationError("--platform \(platform): expected os/arch[/variant]")
        }
        return parsed
    }

    func run() async throws {
        let (image, command, env, network) = (self.image, self.command, self.env, self.network)
        let platform = try wantedPlatform()
        let result = try await ReplayRunner(journalOptions: journalOptions, progress: .quiet).run { engine in
            let journal = engine.journal
            let manifest: Digest
            if let digest = try? journal.resolveImage(named: image) {
                manifest = digest
            } else {
                let record = try journal.build(id: journal.resolveBuild(named: image))
                guard let built = record.manifest else {
                    throw ValidationError("build \(record.id) produced no image")
                }
                manifest = built
            }
            return try await ImageRunner(journal: journal, runner: engine.runner).run(
                manifest: manifest, arguments: command.isEmpty ? nil : command, environment: env,
                network: network == "host" ? .host : .none, platform: platform) { chunk in
                    (chunk.stream == .stdout ? FileHandle.standardOutput : FileHandle.standardError).write(Data(chunk.bytes))
                }
        }
        switch result.status {
        case .exited(let code): if code != 0 { throw ExitCode(code) }
        case .signaled(let signal): throw ExitCode(128 + signal)
        }
    }
}
