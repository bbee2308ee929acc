import Foundation

/// Just enough of an ELF file to compare it section by section: the header and the section
/// table with names. Every offset is bounds-checked; a malformed file gives nil, never a trap.
struct ELFFile {
    struct Section {
        var name: String
        var type: UInt32
        var offset: Int
        var size: Int
        /// SHT_NOBITS (.bss) occupies no bytes in the file.
        var hasBytes: Bool { type != 8 }
    }

    let bytes: [UInt8]
    let is64: Bool
    let littleEndian: Bool
    let type: UInt16
    let machine: UInt16
    let sections: [Section]

    init?(_ data: Data) {
        let bytes = [UInt8](data)
        guard bytes.count >= 52, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46,
              bytes[4] == 1 || bytes[4] == 2, bytes[5] == 1 || bytes[5] == 2 else { return nil }
        self.bytes = bytes
        is64 = bytes[4] == 2
        littleEndian = bytes[5] == 1
        let reader = Reader(bytes: bytes, littleEndian: littleEndian)
        guard let type = reader.u16(16), let machine = reader.u16(18) else { return nil }
        self.type = type
        self.machine = machine
        let tableOffset = is64 ? reader.u64(0x28) : reader.u32(0x20).map(UInt64.init)
        let entrySize = reader.u16(is64 ? 0x3a : 0x2e)
        let count = reader.u16(is64 ? 0x3c : 0x30)
        let namesIndex = reader.u16(is64 ? 0x3e : 0x32)
        guard let tableOffset, let entrySize, let count, let namesIndex,
              tableOffset < UInt64(bytes.count), entrySize >= (is64 ? 64 : 40), count < 0x4000 else {
            sections = []
            return
        }
        var raw: [(nameOffset: UInt32, type: UInt32, offset: Int, size: Int)] = []
        for index in 0..<Int(count) {
            let base = Int(tableOffset) + index * Int(entrySize)
            guard let nameOffset = reader.u32(base), let sectionType = reader.u32(base + 4) else { break }
            let offset = is64 ? reader.u64(base + 0x18) : reader.u32(base + 0x10).map(UInt64.init)
            let size = is64 ? reader.u64(base + 0x20) : reader.u32(base + 0x14).map(UInt64.init)
            guard let offset, let size, offset <= UInt64(bytes.count), size <= UInt64(bytes.count) else { break }
            raw.append((nameOffset, sectionType, Int(offset), Int(size)))
        }
        let names = Int(namesIndex) < raw.count ? raw[Int(namesIndex)] : nil
        sections = raw.enumerated().map { index, entry in
            var name = "[\(index)]"
            if let names, names.offset + Int(entry.nameOffset) < bytes.count {
                let start = names.offset + Int(entry.nameOffset)
                let end = bytes[start...].firstIndex(of: 0) ?? bytes.count
                if end > start, end - start < 256 { name = String(decoding: bytes[start..<end], as: UTF8.self) }
            }
            return Section(name: name, type: entry.type, offset: entry.offset, size: entry.size)
        }
    }

    /// A section's bytes, clipped to the file.
    func contents(of section: Section) -> ArraySlice<UInt8> {
        guard section.hasBytes, section.offset < bytes.count else { return [] }
        return bytes[section.offset..<min(bytes.count, section.offset + section.size)]
    }

    /// The GNU build id, from `.note.gnu.build-id`.
    var buildID: String? {
        guard let note = sections.first(where: { $0.name == ".note.gnu.build-id" }) else { return nil }
        let data = Array(contents(of: note))
        let reader = Reader(bytes: data, littleEndian: littleEndian)
        guard let nameSize = reader.u32(0), let descSize = reader.u32(4) else { return nil }
        let descStart = 12 + (Int(nameSize) + 3) / 4 * 4
        guard descStart + Int(descSize) <= data.count else { return nil }
        return Printable.hex(data[descStart..<descStart + Int(descSize)])
    }

    /// NUL-separated strings of a section (`.comment`).
    func strings(of section: Section) -> [String] {
        contents(of: section).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    struct Reader {
        let bytes: [UInt8]
        let littleEndian: Bool

        func value(_ offset: Int, _ width: Int) -> UInt64? {
            guard offset >= 0, offset + width <= bytes.count else { return nil }
            var result: UInt64 = 0
            for index in 0..<width {
                let byte = UInt64(bytes[offset + (littleEndian ? width - 1 - index : index)])
                result = result << 8 | byte
            }
            return result
        }

        func u16(_ offset: Int) -> UInt16? { value(offset, 2).map { UInt16($0) } }
        func u32(_ offset: Int) -> UInt32? { value(offset, 4).map { UInt32($0) } }
        func u64(_ offset: Int) -> UInt64? { value(offset, 8) }
    }
}
