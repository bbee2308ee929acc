import Foundation
import Sandbox
import Testing

/// binfmt_misc registration of QEMU user emulation, on the real kernel. Uses s390x, which no
/// test builds for: an entry made here is removed again, and one that was there before the
/// test is left exactly as it was.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-s390x-static")
                              && getuid() == 0,
                             "qemu-user-static is not installed (scripts/install-deps installs it), or not root"))
struct UserEmulationTests {
    let entry = UserEmulation.binfmtDirectory + "/qemu-s390x"

    func remove() {
        if let handle = FileHandle(forWritingAtPath: entry) {
            try? handle.write(contentsOf: Data("-1".utf8))
            try? handle.close()
        }
    }

    func register(_ line: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: UserEmulation.binfmtDirectory + "/register"))
        try handle.write(contentsOf: Data(line.utf8))
        try handle.close()
    }

    @Test func aMissingEntryIsRegisteredWithTheFixBinaryFlag() throws {
        let before = try? String(contentsOfFile: entry, encoding: .utf8)
        if before == nil {
            defer { remove() }
            try UserEmulation.prepare(architecture: "s390x")
            let made = try String(contentsOfFile: entry, encoding: .utf8)
            #expect(made.hasPrefix("enabled"), "\(made)")
            #expect(made.split(separator: "\n").contains { $0.hasPrefix("flags:") && $0.contains("F") }, "\(made)")
        } else {
            // Someone's registration: prepare either accepts it (F) or refuses; it never changes it.
            _ = try? UserEmulation.prepare(architecture: "s390x")
            #expect(try String(contentsOfFile: entry, encoding: .utf8) == before)
        }
        // The host's own architecture needs nothing.
        try UserEmulation.prepare(architecture: UserEmulation.hostArchitecture)
        #expect(UserEmulation.runsNatively(UserEmulation.hostArchitecture))
    }

    @Test func anEntryWithoutTheFixBinaryFlagIsLeftAloneAndExplained() throws {
        guard (try? String(contentsOfFile: entry, encoding: .utf8)) == nil else {
            print("UserEmulationTests: \(entry) already exists on this host; the refusal test leaves it alone")
            return
        }
        defer { remove() }
        // The same magic as qemu-user-static's, without F: the interpreter path would not exist
        // inside the sandbox's rootfs.
        try register(":qemu-s390x:M::\\x7fELF\\x02\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x16:"
                     + "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff:"
                     + "/usr/bin/qemu-s390x-static:")
        let before = try String(contentsOfFile: entry, encoding: .utf8)
        #expect(throws: EmulationError.self) { try UserEmulation.prepare(architecture: "s390x") }
        do {
            try UserEmulation.prepare(architecture: "s390x")
        } catch let error as EmulationError {
            #expect("\(error)".contains("lacks the F (fix-binary) flag") && "\(error)".contains("echo -1 > \(entry)"), "\(error)")
        }
        #expect(try String(contentsOfFile: entry, encoding: .utf8) == before)
    }
}
