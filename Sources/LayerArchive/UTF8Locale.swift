#if canImport(Glibc)
import Glibc
#endif

/// Runs libarchive under a UTF-8 character type on the calling thread only.
///
/// libarchive converts names between the process locale and UTF-8. A Swift program never calls
/// `setlocale`, so it runs in the "C" locale, where libarchive 3.6 cannot convert a non-ASCII
/// name and its pax writer dereferences the failed conversion (a crash, not an error). Changing
/// the process locale would affect every thread; `uselocale` changes only this one, for the
/// duration of one synchronous layer write, and makes the output independent of the locale the
/// user happens to run in.
enum UTF8Locale {
    // Created once and never changed or freed; locale_t is a plain pointer Swift cannot vouch for.
    nonisolated(unsafe) private static let locale: locale_t? = {
        for name in ["C.UTF-8", "C.utf8", "en_US.UTF-8"] {
            if let made = newlocale(LC_CTYPE_MASK, name, nil) { return made }
        }
        return nil
    }()

    /// Whether a UTF-8 locale exists on this machine (glibc ≥ 2.35 always has C.UTF-8).
    static var isAvailable: Bool { locale != nil }

    static func run<Result>(_ body: () throws -> Result) rethrows -> Result {
        guard let locale else { return try body() }
        let previous = uselocale(locale)
        defer { uselocale(previous) }
        return try body()
    }
}
