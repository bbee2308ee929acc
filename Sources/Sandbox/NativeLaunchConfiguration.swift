#if canImport(Glibc)
import Glibc
#endif
import CSandbox

/// The C view of a run: a `csb_config` whose every string and array is a malloc'd copy owned by
/// this object. The cloned child reads its own copy of this memory and never allocates, so all
/// allocation happens here, before the clone; the copies are freed when this object goes away.
final class NativeLaunchConfiguration {
    private var allocations: [UnsafeMutableRawPointer] = []
    private(set) var config = csb_config()

    /// Everything the child needs, already resolved (user, mount targets, scaffold).
    struct Inputs {
        var spec: SandboxSpec
        var user: ResolvedUser
        var rootMountPoint: String
        /// Empty directory where the child stages the layers under short names.
        var stageDirectory: String
        var scaffoldDirectory: String
        var mounts: [MountPointScaffold.PreparedMount]
        var stdoutDescriptor: Int32
        var stderrDescriptor: Int32
        /// The BPF program the payload loads (``SeccompFilter``); nil = none.
        var seccompProgram: [UInt8]? = nil
        /// Write-only descriptors of the step's `cgroup.procs` files (owned by the caller).
        var controlGroupDescriptors: [Int32] = []
        /// An open descriptor of the network namespace to join (owned by the caller); nil = none.
        var networkNamespaceDescriptor: Int32? = nil
    }

    init(_ inputs: Inputs) {
        let spec = inputs.spec
        // overlayfs refuses a lower directory given twice (ELOOP); the top-most one shows the
        // same tree as both (see LayerCache.lowerDirectories), so repeats are dropped here too.
        var seen = Set<String>()
        let lowers = ([inputs.scaffoldDirectory] + spec.lowerDirectories).filter { seen.insert($0).inserted }
        config.root = cString(inputs.rootMountPoint)
        config.lowerdirs = cStringArray(lowers)
        config.lowerdir_count = lowers.count
        if let data = spec.lowerData {
            config.data_directory = cString(data.directory)
            let flags = allocate(UInt8.self, count: max(lowers.count, 1))
            for (index, lower) in lowers.enumerated() {
                // The scaffold (lower 0) is the sandbox's own, never metadata-only.
                flags[index] = index > 0 && data.redirectingLowers.contains(lower) ? 1 : 0
            }
            config.lower_redirects = UnsafePointer(flags)
        }
        let staged = Self.stagedUpper(upper: spec.upperDirectory, work: spec.workDirectory)
        config.upper_base = cString(staged.base)
        config.upperdir = cString(staged.upper)
        config.workdir = cString(staged.work)
        config.stage = cString(inputs.stageDirectory)
        // The child stages lower N as "lN" and the upper base as "u" (see stage_layers in child.c).
        config.legacy_overlay_options = cString(
            "lowerdir=\(lowers.indices.map { "l\($0)" }.joined(separator: ":")),upperdir=u/\(staged.upper),"
                + "workdir=u/\(staged.work),metacopy=off,redirect_dir=off,index=off")

        let mounts = allocate(csb_mount.self, count: max(inputs.mounts.count, 1))
        for (index, prepared) in inputs.mounts.enumerated() {
            mounts[index] = nativeMount(prepared)
        }
        config.mounts = UnsafePointer(mounts)
        config.mount_count = inputs.mounts.count

        config.argv = cStringArray(spec.arguments)
        config.envp = cStringArray(spec.environment(for: inputs.user))
        config.search_path = cString(spec.searchPath)
        config.cwd = cString(spec.workingDirectory)
        config.hostname = cString(spec.hostname)
        config.domainname = spec.domainName.map(cString)

        config.uid = inputs.user.uid
        config.gid = inputs.user.gid
        let groups = allocate(UInt32.self, count: max(inputs.user.supplementaryGroups.count, 1))
        for (index, group) in inputs.user.supplementaryGroups.enumerated() {
            groups[index] = group
        }
        config.groups = UnsafePointer(groups)
        config.group_count = inputs.user.supplementaryGroups.count
        config.umask = spec.umask

        config.isolate_network = spec.network == .none ? 1 : 0
        if let descriptor = inputs.networkNamespaceDescriptor {
            config.join_netns = 1
            config.netns_fd = descriptor
        }
        config.disable_aslr = spec.disableASLR ? 1 : 0
        if let cpus = spec.cpuAffinity {
            let mask = Self.cpuMask(cpus)
            let bytes = allocate(UInt8.self, count: mask.count)
            bytes.initialize(from: mask, count: mask.count)
            config.cpu_mask = UnsafeRawPointer(bytes)
            config.cpu_mask_size = mask.count
        }
        config.capabilities = spec.capabilities.rawValue
        if let program = inputs.seccompProgram, !program.isEmpty {
            let bytes = allocate(UInt8.self, count: program.count)
            bytes.initialize(from: program, count: program.count)
            config.seccomp_program = UnsafeRawPointer(bytes)
            config.seccomp_length = program.count
        }
        config.stdout_fd = inputs.stdoutDescriptor
        config.stderr_fd = inputs.stderrDescriptor

        let descriptors = inputs.controlGroupDescriptors
        let fds = allocate(Int32.self, count: max(descriptors.count, 1))
        for (index, descriptor) in descriptors.enumerated() { fds[index] = descriptor }
        config.cgroup_fds = UnsafePointer(fds)
        config.cgroup_fd_count = descriptors.count

        let ulimits = spec.limits.ulimits
        let rlimits = allocate(csb_rlimit.self, count: max(ulimits.count, 1))
        for (index, ulimit) in ulimits.enumerated() {
            rlimits[index] = csb_rlimit(resource: ulimit.resource.number, soft: ulimit.soft, hard: ulimit.hard)
        }
        config.rlimits = UnsafePointer(rlimits)
        config.rlimit_count = ulimits.count
        config.shm_size = spec.limits.shmSizeBytes ?? 0
    }

    /// overlayfs wants upper and work on one mount: the child binds their deepest common
    /// directory and names both relative to it.
    static func stagedUpper(upper: String, work: String) -> (base: String, upper: String, work: String) {
        let upperParts = upper.split(separator: "/", omittingEmptySubsequences: true)
        let workParts = work.split(separator: "/", omittingEmptySubsequences: true)
        var common = 0
        while common < min(upperParts.count, workParts.count) - 1, upperParts[common] == workParts[common] {
            common += 1
        }
        let base = "/" + upperParts[..<common].joined(separator: "/")
        return (base, upperParts[common...].joined(separator: "/"), workParts[common...].joined(separator: "/"))
    }

    deinit {
        for pointer in allocations { free(pointer) }
    }

    /// cpu_set_t layout: bit N of the array of unsigned longs is CPU N.
    static func cpuMask(_ cpus: [Int]) -> [UInt8] {
        let highest = cpus.filter { $0 >= 0 }.max() ?? 0
        let words = highest / 64 + 1
        var bytes = [UInt8](repeating: 0, count: words * 8)
        for cpu in cpus where cpu >= 0 {
            bytes[cpu / 8] |= UInt8(1) << UInt8(cpu % 8)
        }
        return bytes
    }

    private func nativeMount(_ prepared: MountPointScaffold.PreparedMount) -> csb_mount {
        var native = csb_mount()
        native.target = cString(prepared.relativeTarget)
        native.create_target = prepared.createTarget
        switch prepared.mount.kind {
        case .bind(let source, let readOnly):
            native.kind = Int32(CSB_MOUNT_BIND.rawValue)
            native.source = cString(source)
            native.read_only = readOnly ? 1 : 0
        case .bindDiscardingWrites(let source):
            native.kind = Int32(CSB_MOUNT_BIND_DISCARD_WRITES.rawValue)
            native.source = cString(source)
        case .tmpfs(let size, let mode):
            native.kind = Int32(CSB_MOUNT_TMPFS.rawValue)
            native.size = size ?? 0
            native.mode = mode
        case .file(let contents, let mode, let uid, let gid, let readOnly):
            native.kind = Int32(CSB_MOUNT_DATA_FILE.rawValue)
            let bytes = allocate(UInt8.self, count: max(contents.count, 1))
            bytes.initialize(from: contents, count: contents.count)
            native.data = UnsafeRawPointer(bytes)
            native.data_length = contents.count
            native.mode = mode
            native.uid = uid
            native.gid = gid
            native.read_only = readOnly ? 1 : 0
        }
        return native
    }

    private func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let raw = calloc(count, MemoryLayout<T>.stride)!
        allocations.append(raw)
        return raw.bindMemory(to: T.self, capacity: count)
    }

    private func cString(_ text: String) -> UnsafePointer<CChar> {
        let copy = strdup(text)!
        allocations.append(UnsafeMutableRawPointer(copy))
        return UnsafePointer(copy)
    }

    /// A NULL-terminated array of C strings, as execve takes.
    private func cStringArray(_ texts: [String]) -> UnsafePointer<UnsafePointer<CChar>?> {
        let array = allocate(UnsafePointer<CChar>?.self, count: texts.count + 1)
        for (index, text) in texts.enumerated() {
            array[index] = cString(text)
        }
        array[texts.count] = nil
        return UnsafePointer(array)
    }
}
