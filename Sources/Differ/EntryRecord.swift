import ContentStore

/// What the differ keeps of one archive or directory entry: its header and the digest of its
/// content, never the content itself (so a layer of any size costs memory per entry only).
struct EntryRecord: Sendable, Hashable {
    enum EntryType: String, Sendable, Hashable {
        case file, directory, symlink, hardlink, characterDevice = "char-device"
        case blockDevice = "block-device", fifo, socket, unknown
    }

    /// Normalised: no leading `./` or `/`, no trailing `/`.
    var path: String
    /// Position in the archive (or in a sorted directory walk).
    var ordinal: Int
    var type: EntryType
    /// Permission bits, including setuid/setgid/sticky.
    var mode: UInt32
    var uid: Int64
    var gid: Int64
    var userName: String?
    var groupName: String?
    var size: Int64
    var mtime: Int64
    var mtimeNanoseconds: Int
    var linkTarget: String?
    var device: String?
    /// Extended attribute name → value (printable, or hex for binary values).
    var xattrs: [String: String]
    /// Pax records the fields above do not carry (atime, ctime, vendor keys).
    var paxRecords: [String: String] = [:]
    /// sha256 of the content of regular files.
    var contentDigest: Digest?

    /// Strips `./` and `/` prefixes and a trailing `/`, so `./etc/` and `etc` are one key.
    static func normalize(_ path: String) -> String {
        var text = Substring(path)
        while text.hasPrefix("./") { text = text.dropFirst(2) }
        while text.hasPrefix("/") { text = text.dropFirst() }
        while text.hasSuffix("/") { text = text.dropLast() }
        return text.isEmpty ? "." : String(text)
    }

    /// `-rw-r--r--` style, with the type letter.
    var modeText: String { Self.modeString(mode, type: type) }

    static func modeString(_ mode: UInt32, type: EntryType) -> String {
        let letter: Character
        switch type {
        case .directory: letter = "d"
        case .symlink: letter = "l"
        case .hardlink: letter = "h"
        case .characterDevice: letter = "c"
        case .blockDevice: letter = "b"
        case .fifo: letter = "p"
        case .socket: letter = "s"
        default: letter = "-"
        }
        var text = String(letter)
        let symbols: [Character] = ["r", "w", "x"]
        for shift in stride(from: 6, through: 0, by: -3) {
            for bit in 0..<3 {
                text.append(mode & (UInt32(4 >> bit) << UInt32(shift)) != 0 ? symbols[bit] : "-")
            }
        }
        return text + " (" + String(mode & 0o7777, radix: 8).leftPadded(to: 4) + ")"
    }

    /// One line for people: `file 1.2 KiB -rw-r--r--`.
    var shortDescription: String {
        var text = type.rawValue
        if type == .file { text += " \(size) bytes" }
        if let linkTarget { text += " → " + linkTarget }
        return text + " " + String(mode & 0o7777, radix: 8).leftPadded(to: 4)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
