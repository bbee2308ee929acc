import Foundation
import TestSupport
import Testing

/// `RUN --mount=type=ssh` with a real `ssh-agent`: the step's `ssh-add -l` (the host's binary and
/// its libraries, bound in from a named context, since busybox has none) lists the key.
@Suite(.serialized) struct SSHMountTests {
    let workspace: BuildWorkspace

    init() throws { workspace = try BuildWorkspace("ssh") }

    /// A directory holding the host's `ssh-add`, the libraries it loads and the dynamic loader,
    /// so a step can run it as `/tools/ld.so --library-path /tools/lib /tools/ssh-add`.
    func hostTools() throws -> String {
        let tools = workspace.scratch.sub("tools")
        try FileManager.default.createDirectory(atPath: tools + "/lib", withIntermediateDirectories: true)
        let binary = try Tool.check(["sh", "-c", "command -v ssh-add"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.copyItem(atPath: binary, toPath: tools + "/ssh-add")
        for line in try Tool.check(["ldd", binary]).stdout.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            if let arrow = fields.firstIndex(of: "=>"), arrow + 1 < fields.count, fields[arrow + 1].hasPrefix("/") {
                let library = fields[arrow + 1]
                try FileManager.default.copyItem(atPath: URL(fileURLWithPath: library).resolvingSymlinksInPath().path,
                                                 toPath: tools + "/lib/" + (library as NSString).lastPathComponent)
            } else if let first = fields.first?.trimmingCharacters(in: .whitespaces), first.hasPrefix("/"),
                      first.contains("ld-linux") {
                try FileManager.default.copyItem(atPath: URL(fileURLWithPath: first).resolvingSymlinksInPath().path,
                                                 toPath: tools + "/ld.so")
            }
        }
        return tools
    }

    /// `ssh-agent -D -a SOCKET` holding one new ed25519 key with `comment`; stopped by the caller.
    func startAgent(comment: String) throws -> (agent: Process, socket: String, key: String) {
        let key = workspace.scratch.sub("id_\(comment)")
        try Tool.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key])
        let socket = workspace.scratch.sub("agent-\(comment).sock")
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        agent.arguments = ["ssh-agent", "-D", "-a", socket]
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle.nullDevice
        try agent.run()
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) { usleep(10_000) }
        try Tool.check(["ssh-add", "-q", key], environment: ["SSH_AUTH_SOCK": socket])
        return (agent, socket, key)
    }

    @Test func theStepSeesTheForwardedAgentAndItsKeys() throws {
        let (agent, socket, _) = try startAgent(comment: "reprise-agent-key")
        // SIGKILL: children of the test process inherit its blocked signal mask.
        defer { kill(agent.processIdentifier, SIGKILL); agent.waitUntilExit() }
        let (otherAgent, _, otherKey) = try startAgent(comment: "reprise-file-key")
        kill(otherAgent.processIdentifier, SIGKILL)
        otherAgent.waitUntilExit()
        let socketMode = try Tool.check(["stat", "-c", "%a", socket]).stdout
        let directory = try workspace.context("""
            FROM busybox
            RUN --mount=type=ssh --mount=type=bind,from=tools,target=/tools \\
                /tools/ld.so --library-path /tools/lib /tools/ssh-add -l > /keys.txt \\
                && echo "$SSH_AUTH_SOCK" > /sock.txt && stat -c '%a %u' "$SSH_AUTH_SOCK" > /sock-mode.txt
            RUN --mount=type=ssh,id=deploy,target=/agent.sock,mode=0660,uid=1000 --mount=type=bind,from=tools,target=/tools \\
                SSH_AUTH_SOCK=/agent.sock /tools/ld.so --library-path /tools/lib /tools/ssh-add -l > /deploy-keys.txt \\
                && stat -c '%a %u' /agent.sock > /deploy-mode.txt
            RUN --mount=type=ssh,id=absent echo optional > /optional.txt
            """)
        let layout = workspace.scratch.sub("ssh-layout")
        let result = try workspace.build(
            ["--ssh", "default", "--ssh", "deploy=\(otherKey)", "--build-context", "tools=\(try hostTools())",
             "--output", "type=oci,dest=\(layout),tar=false", directory],
            environment: ["SSH_AUTH_SOCK": socket])
        try #require(result.status == 0, "\(result.stderr)")
        let files = try workspace.unpack(layout)
        func read(_ name: String) throws -> String { try String(contentsOfFile: files + "/" + name, encoding: .utf8) }
        #expect(try read("keys.txt").contains("reprise-agent-key (ED25519)"))
        #expect(try read("sock.txt") == "/run/buildkit/ssh_agent.0\n")
        #expect(try read("sock-mode.txt") == "600 0\n")
        #expect(try read("deploy-keys.txt").contains("reprise-file-key (ED25519)"), "a key file is served by a private agent")
        #expect(!(try read("deploy-keys.txt")).contains("reprise-agent-key"))
        #expect(try read("deploy-mode.txt") == "660 1000\n")
        #expect(try read("optional.txt") == "optional\n")
        for absent in ["run/buildkit", "agent.sock", "tools"] {
            #expect(!FileManager.default.fileExists(atPath: files + "/" + absent), "/\(absent) reached the image")
        }
        #expect(try Tool.check(["stat", "-c", "%a", socket]).stdout == socketMode, "the user's socket is untouched")
        let mounts = try workspace.mounts(try workspace.latestBuild()).filter { $0["kind"] as? String == "ssh" }
        #expect(mounts.compactMap { $0["id"] as? String } == ["default", "deploy"])
    }

    @Test func anSSHFlagWithoutAnAgentIsAnErrorBeforeAnyStep() throws {
        let directory = try workspace.context("""
            FROM busybox
            RUN --mount=type=ssh true
            """)
        let result = try workspace.build(["--ssh", "default", directory], environment: ["SSH_AUTH_SOCK": ""])
        #expect(result.status != 0)
        #expect(result.stderr.contains("ssh 'default'"), "\(result.stderr)")
    }
}
