import Foundation
import TestSupport
import Testing

/// `reprise build --pids-limit/--memory/--ulimit/--shm-size` end to end in the real sandbox:
/// a step that hits a limit fails the build with a message naming the limit, and leaves a
/// journal fsck calls clean and no cgroup behind; a RUN sees its ulimits and /dev/shm size; its
/// mountinfo names no journal path.
@Suite struct ResourceLimitBuildTests {
    /// Step cgroups are named CREATORPID-N under a `reprise` directory of each hierarchy; once a
    /// build process is gone, none of its may remain.
    static func orphanedStepCgroups() -> [String] {
        let own = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        var parents: [String] = []
        for line in own.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = parts[2] == "/" ? "" : String(parts[2])
            if parts[1].split(separator: ",").contains("pids") { parents.append("/sys/fs/cgroup/pids\(path)/reprise") }
            if parts[1].split(separator: ",").contains("memory") { parents.append("/sys/fs/cgroup/memory\(path)/reprise") }
            if parts[0] == "0" { parents.append("/sys/fs/cgroup\(path)/reprise") }
        }
        return parents.flatMap { parent in
            ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []).filter { name in
                guard let pid = pid_t(name.prefix { $0 != "-" }) else { return false }
                return kill(pid, 0) != 0 && errno == ESRCH
            }.map { parent + "/" + $0 }
        }
    }

    func expectCleanJournal(_ workspace: BuildWorkspace) throws {
        let fsck = try RepriseProcess.run(["journal", "fsck", "--journal", workspace.journal])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
        #expect(Self.orphanedStepCgroups().isEmpty, "\(Self.orphanedStepCgroups())")
    }

    @Test func aForkBombFailsTheBuildNamingThePidsLimit() throws {
        let workspace = try BuildWorkspace("pids-limit")
        let context = try workspace.context("""
            FROM busybox
            RUN echo before > /before
            RUN for i in $(seq 1 500); do sleep 60 & done; wait
            """)
        let started = Date()
        let build = try workspace.build(["--pids-limit", "64", context])
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(build.status != 0)
        #expect(build.stderr.contains("fork failed: pids limit 64 reached"), "\(build.stderr)")
        try expectCleanJournal(workspace)
        // The journal recorded the failed step and stays usable: the next build runs.
        let next = try workspace.build([try workspace.context("FROM busybox\nRUN echo after-$((40+2))\n")])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("after-42"), "\(next.stderr)")
    }

    @Test func aMemoryHogFailsTheBuildNamingTheMemoryLimit() throws {
        let workspace = try BuildWorkspace("memory-limit")
        let hog = "FROM busybox\nRUN dd if=/dev/zero of=/dev/null bs=200M count=1\n"
        let build = try workspace.build(["--memory", "64m", try workspace.context(hog)])
        #expect(build.status != 0)
        #expect(build.stderr.contains("RUN killed: memory limit 64 MiB reached"), "\(build.stderr)")
        try expectCleanJournal(workspace)
        // The control: without --memory the same step succeeds (no default memory limit).
        let unlimited = try workspace.build([try workspace.context(hog)])
        #expect(unlimited.status == 0, "\(unlimited.stderr)")
    }

    @Test func ulimitAndShmSizeAreWhatARunSees() throws {
        let workspace = try BuildWorkspace("ulimit-shm")
        let context = try workspace.context("""
            FROM busybox
            RUN echo "nofile=$(ulimit -n):$(ulimit -Hn)" && df -k /dev/shm | tail -n 1 | sed 's/^[^ ]* */shm=/'
            """)
        let build = try workspace.build(["--ulimit", "nofile=1024:2048", "--shm-size", "128m", context])
        #expect(build.status == 0, "\(build.stderr)")
        #expect(build.stderr.contains("nofile=1024:2048"), "\(build.stderr)")
        #expect(build.stderr.contains("shm=131072 "), "\(build.stderr)")
        // Without the flags: /dev/shm is Docker's 64 MiB.
        let plain = try workspace.build(["--no-cache", context])
        #expect(plain.stderr.contains("shm=65536 "), "\(plain.stderr)")
    }

    @Test func aRunsMountinfoNamesNoJournalPath() throws {
        let workspace = try BuildWorkspace("mountinfo")
        let context = try workspace.context("""
            FROM busybox
            RUN echo MOUNTS""-BEGIN; cat /proc/self/mountinfo; echo MOUNTS""-END
            RUN --mount=type=tmpfs,target=/scratch --mount=type=secret,id=token \\
                echo MOUNTS""-BEGIN; cat /proc/self/mountinfo; echo MOUNTS""-END
            """)
        try "s3cret\n".write(toFile: workspace.sub("token.txt"), atomically: true, encoding: .utf8)
        let build = try workspace.build(["--secret", "id=token,src=\(workspace.sub("token.txt"))", context])
        #expect(build.status == 0, "\(build.stderr)")
        // What the steps printed between the markers (the progress lines around them name the
        // context directory, which is the caller's own path).
        let sections = build.stderr.components(separatedBy: "MOUNTS-BEGIN").dropFirst()
            .map { $0.components(separatedBy: "MOUNTS-END")[0] }
        #expect(sections.count == 2, "\(build.stderr)")
        for mountinfo in sections {
            #expect(mountinfo.contains("lowerdir+=l0"), "\(mountinfo)")
            #expect(mountinfo.contains(" /run/secrets/token ") == (mountinfo != sections.first), "\(mountinfo)")
            #expect(!mountinfo.contains(workspace.journal), "\(mountinfo)")
            #expect(!mountinfo.contains(workspace.scratch.path), "\(mountinfo)")
        }
    }

    @Test func withoutCgroupsTheBuildWarnsOnceAndRuns() throws {
        let workspace = try BuildWorkspace("no-cgroups")
        let context = try workspace.context("FROM busybox\nRUN echo one\nRUN echo two\n")
        let build = try workspace.build([context], environment: ["REPRISE_CGROUPS": "off"])
        #expect(build.status == 0, "\(build.stderr)")
        let warning = "RUN steps run without pids limit 4096: REPRISE_CGROUPS=off"
        #expect(build.stderr.components(separatedBy: warning).count == 2, "\(build.stderr)")
    }

    @Test func limitFlagsAreValidatedAsDockerDoes() throws {
        let workspace = try BuildWorkspace("limit-flags")
        let context = try workspace.context("FROM busybox\nRUN true\n")
        let cases: [([String], String)] = [
            (["--ulimit", "bogus=1"], "unknown type 'bogus'"),
            (["--ulimit", "nofile=2048:1024"], "greater than the hard limit"),
            (["--memory", "1k"], "minimum memory limit is 6m"),
            (["--shm-size", "lots"], "invalid size 'lots'"),
            (["--pids-limit=-5"], "--pids-limit must be -1"),
        ]
        for (flags, message) in cases {
            let build = try workspace.build(flags + [context])
            #expect(build.status != 0, "\(flags)")
            #expect(build.stderr.contains(message), "\(flags): \(build.stderr)")
        }
        // -1 (as docker spells "no limit") is a value, not a flag.
        let unlimited = try workspace.build(["--pids-limit", "-1", context])
        #expect(unlimited.status == 0, "\(unlimited.stderr)")
    }
}
