#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Whether and where the engine gives RUN steps metadata-only lowers (see ``LowerData``), from
/// the kernel and `REPRISE_DATA_ONLY_LOWERS`: overlayfs has data-only lowers since Linux 6.5 and
/// the `datadir+` option the sandbox passes them with since 6.8.
public enum DataOnlyLowers {
    public enum Mode: Sendable, Equatable {
        /// Every lower is a complete copy (`REPRISE_DATA_ONLY_LOWERS=0`, or an older kernel).
        case off
        /// Metadata-only lowers in the journal's scratch (`=journal`).
        case journal
        /// Metadata-only lowers on a tmpfs (/dev/shm) when there is one: the default.
        case memory
    }

    public static let mode: Mode = {
        var names = utsname()
        guard uname(&names) == 0 else { return .off }
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return mode(setting: ProcessInfo.processInfo.environment["REPRISE_DATA_ONLY_LOWERS"], release: release)
    }()

    public static var isAvailable: Bool { mode != .off }

    /// The mode for a value of `REPRISE_DATA_ONLY_LOWERS` (nil: unset) on a kernel `release`.
    public static func mode(setting: String?, release: String) -> Mode {
        guard supports(release: release) else { return .off }
        switch setting?.lowercased() {
        case "0", "off", "false", "no": return .off
        case "journal": return .journal
        default: return .memory
        }
    }

    /// `release` as uname(2) gives it ("6.18.44-fc-v657"): at least 6.8.
    static func supports(release: String) -> Bool {
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return false }
        return (numbers[0], numbers[1]) >= (6, 8)
    }
}
