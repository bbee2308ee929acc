/// The names under which a record keeps the variations a build ran under. The engine writes
/// them, replay sets them and the differ reads them: one type, so a name cannot drift between
/// the writer and a reader.
public enum VariationKey: String, Sendable, Hashable, CaseIterable, Codable {
    case hostname
    case domainName = "domainname"
    case umask
    case cpus
    case aslr
    case timezone
    case locale
    case time
    case fileOrdering = "fileordering"
    /// The directory the build's contexts were laid out in (a replay under `buildpath`).
    case buildPath = "buildpath"

    /// The prefix of an added environment variable's entry (`env.NAME`).
    public static let environmentPrefix = "env."
}

extension BuildRecord {
    /// The value recorded for a variation, if the build ran under it.
    public func variation(_ key: VariationKey) -> String? { variations[key.rawValue] }
}

extension StepRecord {
    public func variation(_ key: VariationKey) -> String? { variations[key.rawValue] }
}
