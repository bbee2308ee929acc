#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Whether a step's overlay can take a data-only lower layer (``SandboxSpec/lowerDataDirectory``):
/// overlayfs has data-only lowers since Linux 6.5 and the `datadir+` option the sandbox passes
/// them with since 6.8. `REPRISE_DATA_ONLY_LOWERS=0` turns them off (every lower is then a
/// complete copy), for comparisons and as a way out should a kernel misbehave.
public enum DataOnlyLowers {
    public static let isAvailable: Bool = {
        if ProcessInfo.processInfo.environment["REPRISE_DATA_ONLY_LOWERS"] == "0" { return false }
        var names = utsname()
        guard uname(&names) == 0 else { return false }
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return supports(release: release)
    }()

    /// `release` as uname(2) gives it ("6.18.44-fc-v657"): at least 6.8.
    static func supports(release: String) -> Bool {
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return false }
        return (numbers[0], numbers[1]) >= (6, 8)
    }
}
