#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Sandbox
import SandboxTestSupport
import Testing

/// libc's setxattr(2), which Swift's Glibc module does not export.
@_silgen_name("setxattr")
private func setExtendedAttribute(_ path: UnsafePointer<CChar>, _ name: UnsafePointer<CChar>,
                                  _ value: UnsafeRawPointer, _ size: Int, _ flags: Int32) -> Int32

/// The parts that need no root: user parsing and resolution, the layered view, exit statuses
/// and the scripted runner.
@Suite("Sandbox model")
struct SandboxModelTests {
    @Test("USER syntax")
    func userSyntax() {
        #expect(SandboxUser("app") == SandboxUser(user: "app"))
        #expect(SandboxUser("1000:2000") == SandboxUser(user: "1000", group: "2000"))
        #expect(SandboxUser("") == .root)
        #expect(SandboxUser("app:").group == nil)
    }

    @Test("users resolve like runc")
    func userResolution() throws {
        let database = UserDatabase(passwd: TestRootFilesystem.passwd,
                                    group: TestRootFilesystem.group)
        #expect(try database.resolve("root")
            == ResolvedUser(uid: 0, gid: 0, supplementaryGroups: [3000], home: "/root"))
        #expect(try database.resolve("app")
            == ResolvedUser(uid: 1000, gid: 1000, supplementaryGroups: [2000, 3000],
                            home: "/home/app"))
        #expect(try database.resolve("1000")
            == ResolvedUser(uid: 1000, gid: 1000, supplementaryGroups: [2000, 3000],
                            home: "/home/app"))
        #expect(try database.resolve("4242")
            == ResolvedUser(uid: 4242, gid: 0, supplementaryGroups: [], home: "/"))
        #expect(try database.resolve("app:nogroup").gid == 65534)
        #expect(throws: UserDatabase.LookupError.unknownUser("ghost")) {
            try database.resolve("ghost")
        }
        #expect(throws: UserDatabase.LookupError.unknownGroup("ghosts")) {
            try database.resolve("app:ghosts")
        }
    }

    @Test("wait statuses decode to exit codes and signals")
    func exitStatus() {
        #expect(ExitStatus(waitStatus: 0) == .exited(0))
        #expect(ExitStatus(waitStatus: 3 << 8) == .exited(3))
        #expect(ExitStatus(waitStatus: 9) == .signaled(9))
        #expect(ExitStatus(waitStatus: 0x80 | 11) == .signaled(11))
        #expect(ExitStatus.exited(0).succeeded && !ExitStatus.exited(1).succeeded)
    }

    @Test("the environment gains HOME only when missing; PATH drives the command search")
    func environment() {
        var spec = SandboxSpec(lowerDirectories: [], upperDirectory: "/u", workDirectory: "/w",
                               arguments: ["true"], environment: ["PATH=/opt/bin"])
        let user = ResolvedUser(uid: 1, gid: 1, home: "/home/u")
        #expect(spec.environment(for: user) == ["PATH=/opt/bin", "HOME=/home/u"])
        #expect(spec.searchPath == "/opt/bin")
        spec.environment = ["HOME=/elsewhere"]
        #expect(spec.environment(for: user) == ["HOME=/elsewhere"])
        #expect(spec.searchPath == SandboxSpec.defaultSearchPath)
    }

    @Test("the layered view reads a metadata-only file's bytes from the data directory, in redirecting lowers only")
    func layeredViewFollowsRedirects() throws {
        let base = NSTemporaryDirectory() + "layered-redirect-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let fm = FileManager.default
        for directory in ["metadata/etc", "other/etc", "data"] {
            try fm.createDirectory(atPath: base + "/" + directory, withIntermediateDirectories: true)
        }
        try "meta:x:4242:4242::/:/bin/sh\n".write(toFile: base + "/data/0a1b", atomically: false, encoding: .utf8)
        for file in ["metadata/etc/passwd", "other/etc/group"] {
            try Data(count: 28).write(to: URL(fileURLWithPath: base + "/" + file))
            for (name, value) in [("trusted.overlay.metacopy", ""), ("trusted.overlay.redirect", "/0a1b")] {
                guard setExtendedAttribute(base + "/" + file, name, value, value.utf8.count, 0) == 0 else {
                    Issue.record("setxattr \(name): errno \(errno) (trusted.* needs root)")
                    return
                }
            }
        }
        let data = LowerData(directory: base + "/data", redirectingLowers: [base + "/metadata"])
        let view = LayeredRootView(layers: [base + "/metadata", base + "/other"], lowerData: data)
        #expect(view.contents(of: "/etc/passwd") == Array("meta:x:4242:4242::/:/bin/sh\n".utf8))
        // The same attributes in a lower that is not metadata-only are not followed.
        #expect(view.contents(of: "/etc/group") == [UInt8](repeating: 0, count: 28))
        #expect(LayeredRootView(layers: [base + "/metadata"]).contents(of: "/etc/passwd") == [UInt8](repeating: 0, count: 28))
    }

    @Test("data-only lowers: Linux 6.8 or newer, and REPRISE_DATA_ONLY_LOWERS chooses where")
    func dataOnlyLowerModes() {
        #expect(DataOnlyLowers.mode(setting: nil, release: "6.18.44-fc-v657") == .memory)
        #expect(DataOnlyLowers.mode(setting: nil, release: "7.0.1") == .memory)
        #expect(DataOnlyLowers.mode(setting: nil, release: "6.7.12-amd64") == .off)
        #expect(DataOnlyLowers.mode(setting: "journal", release: "5.15.0-91-generic") == .off)
        #expect(DataOnlyLowers.mode(setting: "journal", release: "6.8.0") == .journal)
        for off in ["0", "off", "OFF", "false", "no"] {
            #expect(DataOnlyLowers.mode(setting: off, release: "6.8.0") == .off, "\(off)")
        }
    }

    @Test("the layered view follows links inside the root and honours opaque directories")
    func layeredView() throws {
        let base = NSTemporaryDirectory() + "layered-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let fm = FileManager.default
        for directory in ["top/etc", "bottom/etc", "bottom/usr/lib", "bottom/opaque"] {
            try fm.createDirectory(atPath: base + "/" + directory, withIntermediateDirectories: true)
        }
        try fm.createDirectory(atPath: base + "/top/opaque", withIntermediateDirectories: true)
        try "lower".write(toFile: base + "/bottom/opaque/hidden", atomically: false, encoding: .utf8)
        try "top".write(toFile: base + "/top/etc/passwd", atomically: false, encoding: .utf8)
        try "bottom".write(toFile: base + "/bottom/etc/passwd", atomically: false, encoding: .utf8)
        try "group".write(toFile: base + "/bottom/etc/group", atomically: false, encoding: .utf8)
        try fm.createSymbolicLink(atPath: base + "/bottom/lib", withDestinationPath: "/usr/lib")
        let marked = setExtendedAttribute(base + "/top/opaque", "user.overlay.opaque", "y", 1, 0) == 0

        let view = LayeredRootView(layers: [base + "/top", base + "/bottom"])
        #expect(view.contents(of: "/etc/passwd") == Array("top".utf8))
        #expect(view.contents(of: "etc/group") == Array("group".utf8))
        guard case .missing(let existing, let missing) = try view.resolve("/lib/modules/x") else {
            Issue.record("expected a missing path")
            return
        }
        #expect(existing.components == ["usr", "lib"])
        #expect(missing == ["modules", "x"])
        if marked {
            #expect(view.contents(of: "/opaque/hidden") == nil)
        }
        #expect(throws: LayeredRootView.ResolutionError.self) {
            try view.resolve("/etc/passwd/below")
        }
    }

    @Test("the scripted runner records specs and answers from its script")
    func scriptedRunner() async throws {
        let runner = ScriptedStepRunner(replies: [
            .result(StepResult(status: .exited(2), stdout: Array("out".utf8))),
            .failure(.invalidSpec("scripted")),
        ])
        let spec = SandboxSpec(lowerDirectories: [], upperDirectory: "/u", workDirectory: "/w",
                               arguments: ["make"])
        let first = try await runner.run(spec)
        #expect(first.status == .exited(2))
        #expect(first.stdoutText == "out")
        await #expect(throws: SandboxError.invalidSpec("scripted")) { try await runner.run(spec) }
        #expect(try await runner.run(spec).status == .exited(0))
        #expect(runner.recordedSpecs.count == 3)
        #expect(runner.recordedSpecs.allSatisfy { $0 == spec })
    }
}
