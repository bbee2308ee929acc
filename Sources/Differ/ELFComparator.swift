import DifferenceModel
import Foundation

/// ELF objects compared section by section: the build id, `.comment`, debug sections, symbol
/// tables and code each become a node, so "only the build id and .debug_str differ" is visible.
struct ELFComparator: ContentComparator {
    let name = "elf"

    func compare(_ pair: ContentPair, context: ContentContext) -> DifferenceNode? {
        guard Sniff.isELF(pair.a), Sniff.isELF(pair.b),
              let a = ELFFile(pair.a), let b = ELFFile(pair.b), !a.sections.isEmpty || !b.sections.isEmpty else {
            return nil
        }
        var node = DifferenceNode(kind: .content, name: "content", a: describe(a), b: describe(b), comparator: name)
        if a.type != b.type || a.machine != b.machine || a.is64 != b.is64 {
            node.children.append(DifferenceNode(kind: .field, name: "ELF header", a: describe(a), b: describe(b)))
        }
        let sectionsB = Dictionary(b.sections.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let namesA = Set(a.sections.map(\.name))
        var seen = Set<String>()
        for section in a.sections where seen.insert(section.name).inserted {
            guard let other = sectionsB[section.name] else {
                node.children.append(DifferenceNode(kind: .section, name: section.name, status: .removed,
                                                    a: "\(section.size) bytes"))
                continue
            }
            let bytesA = a.contents(of: section)
            let bytesB = b.contents(of: other)
            guard bytesA != bytesB || section.size != other.size else { continue }
            node.children.append(sectionNode(section.name, a: a, sectionA: section, b: b, sectionB: other,
                                             context: context))
        }
        for section in b.sections where !namesA.contains(section.name) {
            node.children.append(DifferenceNode(kind: .section, name: section.name, status: .added,
                                                b: "\(section.size) bytes"))
        }
        if node.children.isEmpty {
            node.children.append(DifferenceNode(
                kind: .note, name: "outside sections",
                detail: Detail(format: .text, lines: [Detail.Line(.context, "the sections are equal; headers or padding differ")])))
        }
        return node
    }

    private func sectionNode(_ name: String, a: ELFFile, sectionA: ELFFile.Section, b: ELFFile,
                             sectionB: ELFFile.Section, context: ContentContext) -> DifferenceNode {
        var node = DifferenceNode(kind: .section, name: name, a: "\(sectionA.size) bytes", b: "\(sectionB.size) bytes",
                                  comparator: "elf-section")
        switch name {
        case ".note.gnu.build-id":
            node.a = a.buildID
            node.b = b.buildID
            node.detail = Detail(format: .text, lines: [Detail.Line(.context,
                "the build id hashes the rest of the file: it differs whenever any other section does")])
        case ".comment":
            let stringsA = a.strings(of: sectionA).map { Substring($0) }
            let stringsB = b.strings(of: sectionB).map { Substring($0) }
            node.detail = LineDiff.unified(stringsA, stringsB, limit: context.options.maxDetailLines)
        default:
            let bytesA = Data(a.contents(of: sectionA))
            let bytesB = Data(b.contents(of: sectionB))
            if name.hasPrefix(".debug_str") || name == ".rodata" || name == ".dynstr" || name == ".strtab" {
                let stringsA = bytesA.split(separator: 0).map { Substring(String(decoding: $0, as: UTF8.self)) }
                let stringsB = bytesB.split(separator: 0).map { Substring(String(decoding: $0, as: UTF8.self)) }
                if stringsA.count < 20_000 && stringsB.count < 20_000 {
                    node.detail = LineDiff.unified(stringsA, stringsB, context: 1, limit: context.options.maxDetailLines)
                }
            }
            if node.detail == nil {
                let ranges = BinaryComparator.differingRanges([UInt8](bytesA), [UInt8](bytesB))
                node.detail = BinaryComparator.hexdump([UInt8](bytesA), [UInt8](bytesB), ranges: ranges.ranges.prefix(2))
            }
            for cause in context.classifier.classifyContent(bytesA, bytesB) { node.addCause(cause) }
        }
        return node
    }

    private func describe(_ file: ELFFile) -> String {
        let kind: String
        switch file.type {
        case 1: kind = "relocatable"
        case 2: kind = "executable"
        case 3: kind = "shared object"
        case 4: kind = "core"
        default: kind = "type \(file.type)"
        }
        return "ELF\(file.is64 ? 64 : 32) \(kind), \(file.bytes.count) bytes, \(file.sections.count) sections"
    }
}
