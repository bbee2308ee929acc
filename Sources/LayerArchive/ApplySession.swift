#if canImport(Glibc)
import Glibc
#endif
import CLibArchive
import ContentStore
import Foundation

/// The state of one `LayerApplier.apply` call: which paths this layer has written, so that an
/// opaque marker (which may sort after entries of its own directory) clears only what earlier
/// layers left.
struct ApplySession {
    static let whiteoutPrefix = ".wh."
    static let opaqueMarker = ".wh..wh..opq"

    let mode: LayerApplier.Mode
    let directory: ContainedDirectory
    let builder: TreeBuilder
    let reserve: DiskReserve
    private var written: Set<String> = []

    init(mode: LayerApplier.Mode, directory: ContainedDirectory, builder: TreeBuilder, reserve: DiskReserve) {
        self.mode = mode
        self.directory = directory
        self.builder = builder
        self.reserve = reserve
    }

    mutating func apply(_ entry: LayerEntry, from reader: LayerReader) throws {
        let components = try ContainedDirectory.components(of: entry.path, entry: entry.path)
        guard let name = components.last else { return }  // "./": the root keeps its own metadata
        if name.hasPrefix(ApplySession.whiteoutPrefix) {
            try applyWhiteout(name: name, parent: Array(components.dropLast()), entry: entry.path)
            return
        }
        let tree = try treeEntry(for: entry, components: components)
        let reserve = self.reserve
        let content: TreeBuilder.ContentProducer? = entry.kind == .regular
            ? { consume in
                try reader.forEachContentChunk { chunk in
                    try reserve.account(chunk.count, entry: entry.path)
                    try consume(chunk)
                }
            } : nil
        try builder.create(tree, at: components, shownAs: entry.path, content: content)
        markWritten(components)
    }

    private func treeEntry(for entry: LayerEntry, components: [String]) throws -> TreeEntry {
        let kind: TreeEntry.Kind
        var linkTarget: String?
        switch entry.kind {
        case .regular: kind = .file
        case .directory: kind = .directory
        case .symlink:
            kind = .symlink
            linkTarget = entry.linkName
        case .hardlink:
            kind = .hardlink
            let target = try ContainedDirectory.components(of: entry.linkName, entry: entry.path)
            guard !target.isEmpty else {
                throw LayerArchiveError.unsafePath(entry: entry.path, reason: "hardlink to the root")
            }
            linkTarget = target.joined(separator: "/")
        case .characterDevice: kind = .characterDevice
        case .blockDevice: kind = .blockDevice
        case .fifo: kind = .fifo
        case .other(let flag):
            throw LayerArchiveError.unsupported(
                "entry \"\(entry.path)\" has tar type '\(String(UnicodeScalar(flag)))' (\(flag))")
        }
        let xattrs = entry.xattrs.filter { !OverlayXattr.isOverlayAttribute($0.key) }
        return TreeEntry(path: components.joined(separator: "/"), kind: kind, mode: entry.mode,
                         uid: entry.uid, gid: entry.gid, size: entry.size, mtime: entry.mtime,
                         linkTarget: linkTarget, xattrs: xattrs.isEmpty ? nil : xattrs,
                         deviceMajor: entry.deviceMajor, deviceMinor: entry.deviceMinor)
    }

    private mutating func applyWhiteout(name: String, parent: [String], entry: String) throws {
        let parentPath = parent.joined(separator: "/")
        if name == ApplySession.opaqueMarker {
            try applyOpaque(parent, path: parentPath, entry: entry)
            return
        }
        if name.hasPrefix(ApplySession.opaqueMarker.prefix(8)) { return }  // other aufs metadata
        let hidden = String(name.dropFirst(ApplySession.whiteoutPrefix.count))
        let hiddenComponents = parent + [hidden]
        guard !hidden.isEmpty, hidden != ".", hidden != ".." else {
            throw LayerArchiveError.unsafePath(entry: entry, reason: "whiteout of \"\(hidden)\"")
        }
        let hiddenPath = hiddenComponents.joined(separator: "/")
        switch mode {
        case .merge:
            guard !written.contains(hiddenPath) else { return }
            _ = try directory.withParent(of: hiddenComponents, entry: entry, create: false) { fd, name in
                try Remover.remove(name: name, in: fd, shownAs: entry)
            }
        case .overlayLower:
            let device = TreeEntry(path: hiddenPath, kind: .characterDevice, mode: 0,
                                   deviceMajor: 0, deviceMinor: 0)
            try TreeBuilder(directory: directory, allowDevices: true, preserveOwnership: false)
                .create(device, at: hiddenComponents, shownAs: entry, content: nil)
            markWritten(hiddenComponents)
        }
    }

    private mutating func applyOpaque(_ components: [String], path: String, entry: String) throws {
        switch mode {
        case .merge:
            let keep: (String) -> Bool = { [written] relative in
                written.contains(path.isEmpty ? relative : path + "/" + relative)
            }
            if components.isEmpty {
                try Remover.removeContents(of: directory.rootFD, prefix: "", shownAs: ".", keeping: keep)
                return
            }
            _ = try directory.withParent(of: components, entry: entry, create: false) { fd, name in
                guard try FileStatus.of(name: name, in: fd, path: entry)?.kind == .directory else { return }
                try Remover.removeContents(ofDirectory: name, in: fd, shownAs: path, keeping: keep)
            }
        case .overlayLower:
            let fd = try directory.openDirectory(components, entry: entry, create: true)!
            defer { if fd != directory.rootFD { close(fd) } }
            try ExtendedAttributes.write([OverlayXattr.trustedOpaque: Data("y".utf8)], descriptor: fd, path: entry)
            markWritten(components)
        }
    }

    private mutating func markWritten(_ components: [String]) {
        var prefix = ""
        for component in components {
            prefix = prefix.isEmpty ? component : prefix + "/" + component
            written.insert(prefix)
        }
    }
}
