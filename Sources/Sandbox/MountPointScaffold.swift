#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Keeps the sandbox's own mount points out of the step's layer.
///
/// Mounting needs a mount point, and in a minimal image `/proc`, `/sys`, `/dev`, `/etc/hostname`,
/// `/run/secrets` or a bind target may not exist. Creating them through the overlay would put them
/// in the upper directory, i.e. in the layer, and removing them afterwards is fragile: their parent
/// directories would already have been copied up with new mtimes, and a step that created the same
/// path itself could not be told apart.
///
/// Instead, the missing mount points are created in a *scaffold* directory on the host that is
/// stacked as the top-most **lower** layer of the overlay. Lowers are never written, so the upper
/// stays untouched by setup. Two details keep the scaffold invisible:
/// - paths are resolved through the image's layers first (``LayeredRootView``), so a scaffold entry
///   never shadows a symlink such as `/lib -> usr/lib`; it is created where the link leads;
/// - a scaffold directory that shadows an existing directory copies its mode, owner and times, so
///   the merged view, and a copy-up of it when the step writes there, look as without scaffold.
///
/// Targets inside other mounts (the sandbox's `/dev`, an earlier tmpfs or bind) are not in the
/// image at all; they are created inside that mount at run time or must exist in the bind source.
struct MountPointScaffold {
    /// A mount with its target resolved to a symlink-free path relative to the new root.
    struct PreparedMount {
        var mount: SandboxMount
        var relativeTarget: String
        /// 0: exists; 1: the child creates a directory; 2: the child creates an empty file.
        var createTarget: Int32
    }

    let view: LayeredRootView
    /// Host directory of the scaffold layer.
    let directory: String
    private(set) var prepared: [PreparedMount] = []
    /// Files extended by a ``FileAppendix``, for ``AppendixStripper`` after the run.
    private(set) var extended: [AppendixStripper.Extended] = []
    private var mirroredDirectories: [(scaffoldPath: String, original: stat)] = []

    /// Names under the sandbox's `/dev` that are symlinks or other mounts.
    private static let reservedDeviceNames: Set<String> =
        ["fd", "stdin", "stdout", "stderr", "ptmx", "pts", ".reprise-scratch"]

    init(view: LayeredRootView, directory: String) {
        self.view = view
        self.directory = directory
    }

    /// Ensures `/proc`, `/sys` and `/dev` exist as plain directories. The child mounts them by
    /// these fixed relative names, so a symlink there would be followed on the host: refused.
    mutating func prepareKernelFilesystemMountPoints() throws {
        for name in ["proc", "sys", "dev"] {
            let resolution = try resolve("/" + name, followFinalLink: false)
            switch resolution {
            case .found(let entry) where entry.kind == .directory:
                continue
            case .found:
                throw SandboxError.invalidMountTarget(
                    target: "/" + name, reason: "the image has it, but not as a directory")
            case .missing(let existing, let missing):
                try createMissing(existing: existing, missing: missing, finalIsFile: false)
            }
        }
    }

    /// Resolves the target of `mount` and makes sure a mount point will exist for it.
    mutating func prepare(_ mount: SandboxMount) throws {
        let isFile = mount.targetIsFile
        let components = try Self.normalizedComponents(mount.target)
        if let first = components.first,
           first == "proc" || first == "sys" || components == ["dev"]
        {
            throw SandboxError.invalidMountTarget(
                target: mount.target, reason: "/proc, /sys and /dev belong to the sandbox")
        }
        if components.first == "dev" && components.count > 1 {
            guard !Self.reservedDeviceNames.contains(components[1]) else {
                throw SandboxError.invalidMountTarget(
                    target: mount.target, reason: "reserved by the sandbox's /dev")
            }
            return append(mount, components, createTarget: isFile ? 2 : 1)
        }
        if let inner = try targetInsideEarlierMount(mount, components, isFile: isFile) {
            return prepared.append(inner)
        }
        switch try resolve(mount.target, followFinalLink: true) {
        case .found(let entry):
            if let inner = try targetInsideEarlierMount(mount, entry.components, isFile: isFile) {
                return prepared.append(inner)
            }
            if (entry.kind == .directory) == isFile {
                throw SandboxError.invalidMountTarget(
                    target: mount.target,
                    reason: isFile ? "the image has a directory where a file is mounted"
                        : "the image has a file where a directory is mounted")
            }
            append(mount, entry.components, createTarget: 0)
        case .missing(let existing, let missing):
            let full = existing.components + missing
            if let inner = try targetInsideEarlierMount(mount, full, isFile: isFile) {
                return prepared.append(inner)
            }
            try createMissing(existing: existing, missing: missing, finalIsFile: isFile)
            append(mount, full, createTarget: 0)
        }
    }

    /// Puts an extended copy of every candidate the image has as a regular file into the
    /// scaffold, with the original's mode, owner and times, under mirrored directories.
    mutating func prepare(_ appendix: FileAppendix) throws {
        for candidate in appendix.candidates {
            guard case .found(let entry) = try? view.resolve(candidate, followFinalLink: true),
                  entry.kind == .regularFile else { continue }
            let relative = entry.components.joined(separator: "/")
            guard !extended.contains(where: { $0.relativePath == relative }) else { continue }
            let dataPath = view.dataPath(of: entry)
            guard let original = FileManager.default.contents(atPath: dataPath) else {
                throw SandboxError.scratch(path: dataPath, errno: errno)
            }
            var info = stat()
            guard lstat(entry.hostPath, &info) == 0 else { throw SandboxError.scratch(path: entry.hostPath, errno: errno) }
            let path = try mirrorDirectories(entry.components.dropLast()) + "/" + entry.components.last!
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw SandboxError.scratch(path: path, errno: errno) }
            defer { close(fd) }
            let contents = [UInt8](original) + appendix.bytes
            var offset = 0
            while offset < contents.count {
                let n = contents.withUnsafeBytes { write(fd, $0.baseAddress! + offset, contents.count - offset) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw SandboxError.scratch(path: path, errno: errno) }
                offset += n
            }
            var times = [info.st_atim, info.st_mtim]
            guard fchown(fd, info.st_uid, info.st_gid) == 0, fchmod(fd, info.st_mode & 0o7777) == 0,
                  futimens(fd, &times) == 0
            else { throw SandboxError.scratch(path: path, errno: errno) }
            extended.append(.init(relativePath: relative, originalSize: original.count, bytes: appendix.bytes))
        }
    }

    /// Makes the scaffold directories down to `components` (all existing directories of the
    /// image), mirroring the ones they shadow; returns the host path of the last.
    private mutating func mirrorDirectories(_ components: ArraySlice<String>) throws -> String {
        var path = directory
        var shadowed = view.root
        for name in components {
            guard let next = view.lookup(name, in: shadowed) else {
                throw SandboxError.scratch(path: path + "/" + name, errno: ENOENT)
            }
            shadowed = next
            path += "/" + name
            try mirrorDirectory(path, of: next.hostPath)
        }
        return path
    }

    /// Gives mirrored directories the attributes of the ones they shadow. Runs last, because
    /// creating entries inside a directory changes its mtime.
    func finish() throws {
        for (path, original) in mirroredDirectories {
            guard lchown(path, original.st_uid, original.st_gid) == 0,
                  chmod(path, original.st_mode & 0o7777) == 0
            else { throw SandboxError.scratch(path: path, errno: errno) }
            var times = [original.st_atim, original.st_mtim]
            guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw SandboxError.scratch(path: path, errno: errno)
            }
        }
    }

    private mutating func append(_ mount: SandboxMount, _ components: [String],
                                 createTarget: Int32) {
        prepared.append(PreparedMount(mount: mount, relativeTarget: components.joined(separator: "/"),
                                      createTarget: createTarget))
    }

    private func resolve(_ path: String, followFinalLink: Bool) throws
        -> LayeredRootView.Resolution
    {
        do {
            return try view.resolve(path, followFinalLink: followFinalLink)
        } catch let error as LayeredRootView.ResolutionError {
            throw SandboxError.invalidMountTarget(target: path, reason: error.description)
        }
    }

    /// A target below an earlier mount lives in that mount, not in the image.
    private func targetInsideEarlierMount(_ mount: SandboxMount, _ components: [String],
                                          isFile: Bool) throws -> PreparedMount?
    {
        for earlier in prepared.reversed() {
            let base = earlier.relativeTarget.split(separator: "/").map(String.init)
            guard components.count > base.count, Array(components.prefix(base.count)) == base
            else { continue }
            let target = components.joined(separator: "/")
            let rest = components.dropFirst(base.count).joined(separator: "/")
            switch earlier.mount.kind {
            case .tmpfs, .bindDiscardingWrites:
                return PreparedMount(mount: mount, relativeTarget: target,
                                     createTarget: isFile ? 2 : 1)
            case .bind(let source, _):
                var info = stat()
                guard stat(source + "/" + rest, &info) == 0 else {
                    throw SandboxError.invalidMountTarget(
                        target: mount.target,
                        reason: "it lies inside the bind of \(source), which has no \(rest)")
                }
                return PreparedMount(mount: mount, relativeTarget: target, createTarget: 0)
            case .file:
                throw SandboxError.invalidMountTarget(
                    target: mount.target, reason: "it lies inside a file mount")
            }
        }
        return nil
    }

    private mutating func createMissing(existing: LayeredRootView.Entry, missing: [String],
                                        finalIsFile: Bool) throws
    {
        var path = directory
        var shadowed = view.root
        for name in existing.components {
            guard let next = view.lookup(name, in: shadowed) else { break }
            shadowed = next
            path += "/" + name
            try mirrorDirectory(path, of: next.hostPath)
        }
        for (index, name) in missing.enumerated() {
            path += "/" + name
            if index == missing.count - 1 && finalIsFile {
                let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw SandboxError.scratch(path: path, errno: errno) }
                close(fd)
            } else {
                _ = try makeDirectory(path)
            }
        }
    }

    /// Makes `path` in the scaffold for the image's directory at `hostPath`, remembering the
    /// original's owner, mode and times (`finish` gives them to the mirror) when it is new.
    private mutating func mirrorDirectory(_ path: String, of hostPath: String) throws {
        guard try makeDirectory(path) else { return }
        var original = stat()
        guard lstat(hostPath, &original) == 0 else { throw SandboxError.scratch(path: hostPath, errno: errno) }
        mirroredDirectories.append((path, original))
    }

    /// Returns whether the directory was newly made.
    private func makeDirectory(_ path: String) throws -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        if errno == EEXIST { return false }
        throw SandboxError.scratch(path: path, errno: errno)
    }

    static func normalizedComponents(_ target: String) throws -> [String] {
        guard target.hasPrefix("/") else {
            throw SandboxError.invalidMountTarget(target: target, reason: "not an absolute path")
        }
        let components = LayeredRootView.components(of: target).filter { $0 != "." }
        guard !components.isEmpty, !components.contains("..") else {
            throw SandboxError.invalidMountTarget(
                target: target, reason: "must name a path below / without ..")
        }
        return components
    }
}
