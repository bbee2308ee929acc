import Foundation
import TestSupport

/// Looks for a secret's bytes anywhere under a directory: plain files (the SQLite index, records,
/// logs, extracted layers) and, decompressed, every gzip file (compressed layers).
enum SecretCanary {
    /// Paths (relative to `directory`) whose bytes, or decompressed bytes, contain `value`.
    static func occurrences(of value: String, under directory: String) throws -> [String] {
        let needle = Data(value.utf8)
        guard !needle.isEmpty, let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let path = directory + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            if data.range(of: needle) != nil {
                found.append(relative)
            } else if data.starts(with: [0x1f, 0x8b]) {
                let search = try Tool.run(["sh", "-c", "gzip -dc \"$1\" | grep -qaF -e \"$2\"", "sh", path, value])
                if search.status == 0 { found.append(relative + " (gunzipped)") }
            }
        }
        return found
    }
}
