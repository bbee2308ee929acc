#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Running another architecture's programs in the sandbox through QEMU user emulation
/// (Debian's `qemu-user-static`) and the kernel's binfmt_misc.
///
/// The sandbox needs nothing of its own for this: once binfmt_misc maps the foreign ELF
/// machine to a qemu interpreter, `execve` of such a binary runs qemu. The registration must
/// carry the `F` (fix-binary) flag: the kernel then opens the interpreter when it is
/// registered, so it still works after the step's `pivot_root` into a rootfs that has no
/// `/usr/libexec/qemu-binfmt`. qemu-user translates the guest's system calls into the host's,
/// so the host-architecture seccomp filter still applies to every one of them.
public enum UserEmulation {
    /// Where binfmt_misc lives (procfs), as systemd-binfmt and update-binfmts expect it.
    public static let binfmtDirectory = "/proc/sys/fs/binfmt_misc"
    /// Debian's qemu-user-static ships one registration line per architecture here.
    public static let definitionDirectories = ["/usr/lib/binfmt.d", "/etc/binfmt.d"]

    /// The OCI architecture of this machine (Go's names: `amd64`, `arm64`, …).
    public static var hostArchitecture: String {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return goArchitecture(machine: machine)
    }

    /// `uname -m` → Go's architecture name.
    static func goArchitecture(machine: String) -> String {
        ["x86_64": "amd64", "aarch64": "arm64", "i686": "386", "i386": "386", "armv7l": "arm",
         "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"][machine] ?? machine
    }

    /// Whether programs of `architecture` run on this machine without emulation. An amd64
    /// kernel runs 386 programs itself (IA-32 emulation), an arm64 one 32-bit arm.
    public static func runsNatively(_ architecture: String) -> Bool {
        let host = hostArchitecture
        // Configs written by older tools say `x86_64` or `aarch64`.
        let architecture = goArchitecture(machine: architecture)
        if architecture == host { return true }
        return (host == "amd64" && architecture == "386") || (host == "arm64" && architecture == "arm")
    }

    /// qemu's name for an OCI architecture (`qemu-NAME-static`, the binfmt entry `qemu-NAME`).
    public static func qemuName(for architecture: String) -> String? {
        ["amd64": "x86_64", "arm64": "aarch64", "arm": "arm", "386": "i386", "ppc64le": "ppc64le",
         "s390x": "s390x", "riscv64": "riscv64", "mips64le": "mips64el", "mips64": "mips64",
         "loong64": "loongarch64"][architecture]
    }

    /// Whether the emulator for `architecture` is installed (tests skip without it).
    public static func emulatorInstalled(for architecture: String) -> Bool {
        guard let name = qemuName(for: architecture) else { return false }
        return FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-\(name)-static")
    }

    /// Makes sure `architecture`'s programs can run in the sandbox: nothing when they run
    /// natively; otherwise the qemu interpreter is registered with binfmt_misc (mounting it
    /// first when it is not), unless a usable registration is already there, which is left as
    /// it is. Throws ``EmulationError`` saying what to do when the host refuses. Looked at again
    /// for every stage (one read of procfs): someone may have removed the entry meanwhile.
    public static func prepare(architecture: String) throws {
        if runsNatively(architecture) { return }
        let architecture = goArchitecture(machine: architecture)
        guard let name = qemuName(for: architecture) else { throw EmulationError.unknownArchitecture(architecture) }
        let emulator = "/usr/bin/qemu-\(name)-static"
        guard FileManager.default.isExecutableFile(atPath: emulator) else {
            throw EmulationError.emulatorMissing(architecture: architecture, path: emulator)
        }
        try mountBinfmtIfNeeded()
        let entry = binfmtDirectory + "/qemu-" + name
        if let existing = try? String(contentsOfFile: entry, encoding: .utf8) {
            try checkExisting(existing, entry: entry, architecture: architecture)
        } else {
            try register(name: name, architecture: architecture, emulator: emulator)
            // Another process may have registered it between our look and our write.
            guard let now = try? String(contentsOfFile: entry, encoding: .utf8) else {
                throw EmulationError.registrationRefused(architecture: architecture, reason: "the entry \(entry) did not appear")
            }
            try checkExisting(now, entry: entry, architecture: architecture)
        }
        if let status = try? String(contentsOfFile: binfmtDirectory + "/status", encoding: .utf8),
           status.trimmingCharacters(in: .whitespacesAndNewlines) != "enabled" {
            throw EmulationError.binfmtDisabled
        }
    }

    /// An existing `qemu-NAME` entry is used only if it is enabled and fixed (`F`); otherwise
    /// it is someone else's and is not replaced: the error says how to fix it.
    private static func checkExisting(_ text: String, entry: String, architecture: String) throws {
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.first == "enabled" else { throw EmulationError.entryDisabled(entry: entry) }
        let flags = lines.first { $0.hasPrefix("flags:") }.map { String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) } ?? ""
        guard flags.contains("F") else {
            let interpreter = lines.first { $0.hasPrefix("interpreter ") }.map { String($0.dropFirst(12)) } ?? "?"
            throw EmulationError.entryNotFixed(entry: entry, interpreter: interpreter)
        }
    }

    /// `mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc` when it is not mounted.
    private static func mountBinfmtIfNeeded() throws {
        if FileManager.default.fileExists(atPath: binfmtDirectory + "/register") { return }
        guard mount("binfmt_misc", binfmtDirectory, "binfmt_misc", 0, nil) == 0 else {
            throw EmulationError.cannotMount(errno: errno)
        }
        guard FileManager.default.fileExists(atPath: binfmtDirectory + "/register") else {
            throw EmulationError.cannotMount(errno: ENOENT)
        }
    }

    /// Writes Debian's registration line for `qemu-NAME` (with `F` added if it lacks it) to
    /// binfmt_misc's `register`.
    private static func register(name: String, architecture: String, emulator: String) throws {
        var line: String?
        for directory in definitionDirectories {
            if let text = try? String(contentsOfFile: "\(directory)/qemu-\(name).conf", encoding: .utf8) {
                line = text.split(separator: "\n").map(String.init).first { $0.hasPrefix(":qemu-\(name):") }
                if line != nil { break }
            }
        }
        guard var line else { throw EmulationError.definitionMissing(architecture: architecture, name: name) }
        // :name:type:offset:magic:mask:interpreter:flags
        var fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 8 else { throw EmulationError.definitionMissing(architecture: architecture, name: name) }
        if !FileManager.default.isExecutableFile(atPath: fields[6]) { fields[6] = emulator }
        if !fields[7].contains("F") { fields[7] += "F" }
        line = fields.joined(separator: ":")
        let descriptor = open(binfmtDirectory + "/register", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw EmulationError.registrationRefused(architecture: architecture, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let bytes = Array(line.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        // EEXIST: registered by someone else meanwhile; the caller reads what is there.
        if written < 0, errno != EEXIST {
            throw EmulationError.registrationRefused(architecture: architecture, reason: String(cString: strerror(errno)))
        }
    }
}

/// Why another architecture's programs cannot run here, and what to do about it.
public enum EmulationError: Error, CustomStringConvertible, Equatable, Sendable {
    case unknownArchitecture(String)
    case emulatorMissing(architecture: String, path: String)
    case definitionMissing(architecture: String, name: String)
    case cannotMount(errno: Int32)
    case registrationRefused(architecture: String, reason: String)
    case entryDisabled(entry: String)
    case entryNotFixed(entry: String, interpreter: String)
    case binfmtDisabled

    public var description: String {
        switch self {
        case .unknownArchitecture(let architecture):
            return "no emulator is known for architecture \(architecture)"
        case .emulatorMissing(let architecture, let path):
            return "running \(architecture) programs needs QEMU user emulation, and \(path) is missing: "
                + "install it with `apt-get install qemu-user-static`"
        case .definitionMissing(let architecture, let name):
            return "no binfmt_misc definition for \(architecture) (qemu-\(name).conf in "
                + UserEmulation.definitionDirectories.joined(separator: " or ") + "): reinstall qemu-user-static"
        case .cannotMount(let code):
            return "binfmt_misc is not mounted at \(UserEmulation.binfmtDirectory) and mounting it failed "
                + "(\(String(cString: strerror(code)))): run as root on a kernel with binfmt_misc (`modprobe binfmt_misc`), "
                + "or mount it yourself: `mount -t binfmt_misc binfmt_misc \(UserEmulation.binfmtDirectory)`; "
                + "in a container, register the emulators on the host (e.g. `docker run --privileged --rm tonistiigi/binfmt --install all`)"
        case .registrationRefused(let architecture, let reason):
            return "cannot register the qemu emulator for \(architecture) with binfmt_misc (\(reason)): run as root, "
                + "or register it on the host with the F flag (`update-binfmts --enable`, or systemd-binfmt with qemu-user-static's "
                + "/usr/lib/binfmt.d files)"
        case .entryDisabled(let entry):
            return "the binfmt_misc entry \(entry) is disabled: enable it with `echo 1 > \(entry)`"
        case .entryNotFixed(let entry, let interpreter):
            return "the binfmt_misc entry \(entry) (interpreter \(interpreter)) lacks the F (fix-binary) flag, so the "
                + "interpreter cannot be found inside the build's sandbox. Reprise leaves existing entries alone: remove it "
                + "with `echo -1 > \(entry)` and Reprise registers it with F, or register it yourself with F "
                + "(qemu-user-static's /usr/lib/binfmt.d files have it)"
        case .binfmtDisabled:
            return "binfmt_misc is disabled (\(UserEmulation.binfmtDirectory)/status): enable it with "
                + "`echo 1 > \(UserEmulation.binfmtDirectory)/status`"
        }
    }
}
