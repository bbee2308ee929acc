// libFuzzer entry point for the differ's ELF reader (Differ/ELFFile.swift). Built by
// scripts/fuzz-elf together with ELFFile.swift (and Printable.swift, which it uses) into one
// module, so it reaches the internal type directly. The reader promises: every offset
// bounds-checked, a malformed file gives nil or no sections, never a trap.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func elfFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    guard let file = ELFFile(bytes) else { return 0 }
    for section in file.sections {
        let contents = file.contents(of: section)
        precondition(contents.count <= size, "section \(section.name) longer than the file")
        _ = file.strings(of: section)
    }
    _ = file.buildID
    return 0
}

// Printable.swift (compiled with the reader) uses this helper from EntryRecord.swift, which
// brings the rest of the differ with it; the same two lines stand in for it here.
extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
