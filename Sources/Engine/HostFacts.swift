#if canImport(Glibc)
import Glibc
#endif
import BuildJournal

/// The version every build records, and the facts about the machine it ran on.
public enum RepriseVersion {
    public static let current = "0.1.0"
}

extension BuildRecord.HostFacts {
    /// This machine: kernel release and architecture from uname(2).
    static var current: BuildRecord.HostFacts {
        var names = utsname()
        uname(&names)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return BuildRecord.HostFacts(kernel: field(names.release), architecture: field(names.machine),
                                     repriseVersion: RepriseVersion.current)
    }
}
