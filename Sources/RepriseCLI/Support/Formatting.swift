import DisplayText
import Foundation

/// Small, shared ways of showing numbers and times to people.
enum Formatting {
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 1 ? String(format: "%.0fms", seconds * 1000) : String(format: "%.1fs", seconds)
    }

    /// A UTC timestamp in ISO 8601, as logs and OCI configs write them.
    static func timestamp(_ secondsSinceEpoch: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: secondsSinceEpoch))
    }

    /// RFC 3339 with fractional seconds, UTC: `2026-11-30T17:07:05.123Z`.
    static func rfc3339(_ secondsSinceEpoch: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: secondsSinceEpoch))
    }

    /// `object` (parsed JSON) with every number under a key ending in `At` (`startedAt`,
    /// `finishedAt`…) turned into an RFC 3339 string.
    static func rfc3339Times(in object: Any) -> Any {
        if let dictionary = object as? [String: Any] {
            var result: [String: Any] = [:]
            for (key, value) in dictionary {
                if key.hasSuffix("At"), let number = value as? NSNumber, !(value is Bool) {
                    result[key] = rfc3339(number.doubleValue)
                } else {
                    result[key] = rfc3339Times(in: value)
                }
            }
            return result
        }
        if let array = object as? [Any] { return array.map(rfc3339Times(in:)) }
        return object
    }

    /// Pads columns so a table lines up, as `docker images` does. Cells are outside text (ids,
    /// paths, names): control characters in them are shown escaped.
    static func table(_ rows: [[String]]) -> String {
        let rows = rows.map { $0.map { DisplayText.escaped($0) } }
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 3, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n")
    }
}
