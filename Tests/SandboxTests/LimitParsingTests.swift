@testable import Sandbox
import Testing

/// The values behind `--ulimit`, `--memory`/`--shm-size`, and how cgroup hierarchies are found
/// in /proc/self/mountinfo and /proc/self/cgroup (a hybrid host like the CI machine, and a
/// unified one inside a cgroup namespace).
@Suite struct LimitParsingTests {
    @Test func ulimitsAsDockerSpellsThem() throws {
        #expect(try Ulimit(parsing: "nofile=1024:2048") == Ulimit(resource: .nofile, soft: 1024, hard: 2048))
        #expect(try Ulimit(parsing: "core=0") == Ulimit(resource: .core, soft: 0, hard: 0))
        #expect(try Ulimit(parsing: "memlock=-1:-1") == Ulimit(resource: .memlock, soft: .max, hard: .max))
        #expect(try Ulimit(parsing: "nofile=1024:2048").description == "nofile=1024:2048")
        #expect(Ulimit.Resource.nofile.number == 7 && Ulimit.Resource.nproc.number == 6
                    && Ulimit.Resource.stack.number == 3 && Ulimit.Resource.rttime.number == 15)
        for bad in ["nofile", "nofiles=1", "nofile=x", "nofile=2:1", "nofile=1:2:3", "nofile="] {
            #expect(throws: Ulimit.ParseError.self, "\(bad)") { try Ulimit(parsing: bad) }
        }
    }

    @Test func sizesAsDockerSpellsThem() throws {
        #expect(try ByteSize.parse("128m") == 128 << 20)
        #expect(try ByteSize.parse("1g") == 1 << 30)
        #expect(try ByteSize.parse("1GB") == 1 << 30)
        #expect(try ByteSize.parse("512MiB") == 512 << 20)
        #expect(try ByteSize.parse("4096") == 4096)
        #expect(try ByteSize.parse("1.5k") == 1536)
        #expect(throws: ByteSize.ParseError.self) { try ByteSize.parse("lots") }
        #expect(throws: ByteSize.ParseError.self) { try ByteSize.parse("12q") }
        #expect(ByteSize.describe(256 << 20) == "256 MiB")
        #expect(ByteSize.describe(2 << 30) == "2 GiB")
        #expect(ByteSize.describe(1000) == "1000 bytes")
    }

    @Test func hybridHierarchiesAreFound() {
        let mountinfo = """
            30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755
            35 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            38 30 0:34 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            40 30 0:36 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            41 30 0:37 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
            """
        let mounts = CgroupMount.parse(mountinfo)
        #expect(mounts.map(\.mountPoint) == ["/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids",
                                             "/sys/fs/cgroup/unified", "/sys/fs/cgroup/cpu,cpuacct"])
        #expect(mounts.filter(\.isUnified).count == 1)
        let memberships = CgroupMembership.parse("8:pids:/\n4:memory:/process_api/abc\n0::/\n")
        let memory = memberships.first { $0.controllers.contains("memory") }
        #expect(memory?.path == "/process_api/abc")
        #expect(mounts[0].directory(for: "/process_api/abc") == "/sys/fs/cgroup/memory/process_api/abc")
        #expect(mounts[1].directory(for: "/") == "/sys/fs/cgroup/pids")
    }

    @Test func aMountShowingASubtreeMapsPathsBelowItsRoot() {
        // Inside a container the cgroup mount's root field is the container's own cgroup.
        let mount = CgroupMount.parse("50 40 0:30 /docker/x /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")[0]
        #expect(mount.directory(for: "/docker/x") == "/sys/fs/cgroup")
        #expect(mount.directory(for: "/docker/x/build") == "/sys/fs/cgroup/build")
        #expect(mount.directory(for: "/other") == nil)
        // Escaped spaces in a mount point.
        let spaced = CgroupMount.parse("51 40 0:31 / /mnt/my\\040cgroups rw - cgroup cgroup rw,pids\n")[0]
        #expect(spaced.mountPoint == "/mnt/my cgroups")
    }

    @Test func whatAHostCannotEnforceIsSaid() {
        let none = ControlGroupHost.unavailable(reason: "no cgroups here")
        #expect(none.unenforced(ResourceLimits()) == "RUN steps run without pids limit 4096: no cgroups here")
        #expect(none.unenforced(ResourceLimits(pids: nil)) == nil)
        let pidsOnly = ControlGroupHost.legacy(pids: "/sys/fs/cgroup/pids/reprise", memory: nil)
        #expect(pidsOnly.unenforced(ResourceLimits()) == nil)
        #expect(pidsOnly.unenforced(ResourceLimits(memoryBytes: 256 << 20))
                    == "RUN steps run without memory limit 256 MiB: this host's cgroup v1 lacks the controller")
        #expect(ControlGroupHost.detect(environment: ["REPRISE_CGROUPS": "off"])
                    == .unavailable(reason: "REPRISE_CGROUPS=off"))
    }
}
