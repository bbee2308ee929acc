#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Sandbox

/// A minimal root filesystem for sandbox tests, made from Debian's busybox-static: `/bin/busybox`
/// with applet symlinks, `/etc/passwd` and `/etc/group` with root, `app` and `nobody`, and a
/// per-run upper and work directory, all below one temporary directory removed by `remove()`.
struct TestRootFilesystem {
    let base: String
    var lower: String { base + "/lower" }

    static let applets = [
        "sh", "ls", "cat", "echo", "id", "hostname", "dnsdomainname", "wget", "touch", "mkdir",
        "rm", "sleep", "pwd", "env", "true", "false", "kill", "ip", "nproc", "stat", "httpd",
        "umask", "test", "grep", "mount", "mknod", "sort", "find", "readlink", "printf", "seq", "head", "wc",
        "df", "dd", "chmod",
    ]

    static let passwd = """
        root:x:0:0:root:/root:/bin/sh
        app:x:1000:1000:App User:/home/app:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/bin/sh

        """

    static let group = """
        root:x:0:
        app:x:1000:
        builders:x:2000:app
        tools:x:3000:root,app
        nogroup:x:65534:

        """

    /// Builds the lower layer under a fresh temporary directory.
    init() throws {
        var template = Array("/tmp/reprise-sandbox-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        base = String(cString: made)
        let fm = FileManager.default
        for directory in ["bin", "etc", "root", "home/app", "tmp", "usr"] {
            try fm.createDirectory(atPath: lower + "/" + directory,
                                   withIntermediateDirectories: true)
        }
        chmod(lower + "/tmp", 0o1777)
        chown(lower + "/home/app", 1000, 1000)
        try fm.copyItem(atPath: "/bin/busybox", toPath: lower + "/bin/busybox")
        for applet in Self.applets {
            try fm.createSymbolicLink(atPath: lower + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try Self.passwd.write(toFile: lower + "/etc/passwd", atomically: false, encoding: .utf8)
        try Self.group.write(toFile: lower + "/etc/group", atomically: false, encoding: .utf8)
        try "to be removed\n".write(toFile: lower + "/etc/x", atomically: false, encoding: .utf8)
        // A merged-/usr style link, so that scaffolding must follow links, not shadow them.
        try fm.createSymbolicLink(atPath: lower + "/lib", withDestinationPath: "usr/lib")
    }

    /// A spec over the lower layer with fresh upper and work directories named `name`.
    func spec(_ name: String, _ arguments: [String]) throws -> SandboxSpec {
        let upper = base + "/\(name)-upper"
        let work = base + "/\(name)-work"
        for directory in [upper, work] {
            try FileManager.default.createDirectory(atPath: directory,
                                                    withIntermediateDirectories: true)
        }
        return SandboxSpec(lowerDirectories: [lower], upperDirectory: upper,
                           workDirectory: work, arguments: arguments)
    }

    /// A spec running `script` with `sh -c`.
    func shell(_ name: String, _ script: String) throws -> SandboxSpec {
        try spec(name, ["sh", "-c", script])
    }

    /// Every path below `directory`, relative, sorted, with a marker for whiteouts.
    static func tree(_ directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var paths: [String] = []
        while let relative = enumerator.nextObject() as? String {
            var info = stat()
            lstat(directory + "/" + relative, &info)
            let isWhiteout = (info.st_mode & S_IFMT) == S_IFCHR && info.st_rdev == 0
            paths.append(isWhiteout ? relative + " (whiteout)" : relative)
        }
        return paths.sorted()
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: base)
    }
}

/// Host-side observations that must not change across a sandbox run.
struct HostSnapshot: Equatable {
    var mountInfo: [String]
    var childProcesses: [String]

    /// The host's mount table, and the sandbox init processes this process has. Other test
    /// suites run at the same time: the overlay mounts of LayerArchive's tests and the tools
    /// other suites start are not the sandbox's, so they are left out.
    static func take() -> HostSnapshot {
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return HostSnapshot(mountInfo: mounts.split(separator: "\n").map(String.init)
                                .filter { !isOtherSuitesMount($0) }.sorted(),
                            childProcesses: childProcesses())
    }

    /// Mounts other suites make on the host meanwhile: LayerArchive's overlay tests, buildah's
    /// storage in the differ's foreign-image test, and the disorderfs views of replay's
    /// file-ordering variation. The sandbox makes none of these.
    static func isOtherSuitesMount(_ line: String) -> Bool {
        line.contains("/reprise-archive-test-") || line.contains("/reprise-buildah-diff-")
            || line.contains(" - fuse.disorderfs ") || isRecordingNamespaceMount(line)
    }

    /// The recording network's per-step namespaces (`/run/netns/reprise-…`, and `/run/netns`
    /// itself, which `ip netns` bind-mounts on first use): every build on the default network
    /// makes one, and other suites build at the same time. A test that owns one checks it by name.
    static func isRecordingNamespaceMount(_ line: String) -> Bool {
        let fields = line.split(separator: " ")
        return fields.count > 4 && fields[4].hasPrefix("/run/netns")
    }

    /// Direct children of this process that run this very executable: a sandbox's pid 1 never
    /// execs, while tools and `reprise` processes started by other suites do.
    static func childProcesses() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return tasks.flatMap { task -> [String] in
            let text = (try? String(contentsOfFile: "/proc/self/task/\(task)/children",
                                    encoding: .utf8)) ?? ""
            return text.split(separator: " ").map(String.init)
        }.filter { pid in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) == own
        }.sorted()
    }

    /// Processes anywhere on the host whose command line contains `marker`.
    static func processes(containing marker: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else {
                return false
            }
            let text = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return text.contains(marker)
        }
    }
}
