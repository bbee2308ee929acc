import Foundation

/// One tar entry as a layer holds it, with every header fact a differ may want to compare.
public struct LayerEntry: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case regular, hardlink, symlink, characterDevice, blockDevice, directory, fifo
        /// Any other type flag (sparse, volume header, vendor types), by its byte.
        case other(UInt8)
    }

    /// The entry's name as stored (after pax `path` and GNU long names), e.g. `usr/bin/` or
    /// `./etc/passwd`. Not cleaned: `LayerApplier` judges and cleans it.
    public var path: String
    public var kind: Kind
    /// Permission bits including setuid, setgid and sticky.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// Content bytes that follow the header (0 for header-only kinds).
    public var size: Int64
    /// Modification time in nanoseconds (pax `mtime` keeps sub-second precision).
    public var mtime: Int64
    /// Symlink target or hardlink target (an archive path).
    public var linkName: String
    public var userName: String
    public var groupName: String
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    /// Extended attributes from `SCHILY.xattr.*` (and `LIBARCHIVE.xattr.*`) records.
    public var xattrs: [String: Data]
    /// Every other pax record that applied to this entry (local and global), e.g. `atime`.
    public var paxRecords: [String: String]
    /// The tar format of the entry's own header: "ustar", "gnu" or "v7".
    public var format: String
    /// Offset of the entry's first header block (pax or long-name headers included) in the tar.
    public var headerOffset: Int64

    public var isDirectory: Bool { kind == .directory }
}
