import Foundation

/// Sizes as Docker's flags take them (`--shm-size 128m`, `--memory 1g`): a number with an
/// optional binary unit b, k, m, g, t (also kb/kib…, case-insensitive), as go-units' RAMInBytes.
public enum ByteSize {
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    public static func parse(_ text: String) throws -> UInt64 {
        let lowered = text.lowercased().trimmingCharacters(in: .whitespaces)
        let digits = lowered.prefix { $0.isNumber || $0 == "." }
        var unit = String(lowered.dropFirst(digits.count)).trimmingCharacters(in: .whitespaces)
        for suffix in ["ib", "b"] where unit.count > suffix.count && unit.hasSuffix(suffix) {
            unit.removeLast(suffix.count)
            break
        }
        let multipliers: [String: Double] = [
            "": 1, "b": 1, "k": 0x1p10, "m": 0x1p20, "g": 0x1p30, "t": 0x1p40, "p": 0x1p50,
        ]
        guard !digits.isEmpty, let number = Double(digits), let multiplier = multipliers[unit] else {
            throw ParseError(description: "invalid size '\(text)': expected a number with an optional unit (b, k, m, g)")
        }
        let bytes = number * multiplier
        guard bytes < Double(UInt64.max) else { throw ParseError(description: "invalid size '\(text)': too large") }
        return UInt64(bytes)
    }

    /// "256 MiB", "1 GiB", or bytes when no binary unit divides it: how limits are named in
    /// messages.
    public static func describe(_ bytes: UInt64) -> String {
        for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] where bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift) \(unit)"
        }
        return "\(bytes) bytes"
    }
}
