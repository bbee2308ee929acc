/// A set of Linux capabilities (`capabilities(7)`), as the bit mask the kernel uses.
///
/// A step's command keeps only these: the bounding set is cut to them (so no setuid binary or
/// file capability can regain others), and a root command runs with exactly these. A non-root
/// command has none, as usual.
public struct LinuxCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// The capability with kernel number `number` (e.g. 21 for CAP_SYS_ADMIN).
    public init(number: Int) {
        self.init(rawValue: 1 << UInt64(number))
    }

    public static let chown = LinuxCapabilities(number: 0)
    public static let dacOverride = LinuxCapabilities(number: 1)
    public static let fowner = LinuxCapabilities(number: 3)
    public static let fsetid = LinuxCapabilities(number: 4)
    public static let kill = LinuxCapabilities(number: 5)
    public static let setgid = LinuxCapabilities(number: 6)
    public static let setuid = LinuxCapabilities(number: 7)
    public static let setpcap = LinuxCapabilities(number: 8)
    public static let netBindService = LinuxCapabilities(number: 10)
    public static let netRaw = LinuxCapabilities(number: 13)
    public static let sysChroot = LinuxCapabilities(number: 18)
    public static let sysAdmin = LinuxCapabilities(number: 21)
    public static let mknod = LinuxCapabilities(number: 27)
    public static let auditWrite = LinuxCapabilities(number: 29)
    public static let setfcap = LinuxCapabilities(number: 31)

    /// Every capability; the command is as powerful as the caller (no isolation from the host's
    /// kernel: it could mount, load modules, change the clock).
    public static let all = LinuxCapabilities(rawValue: ~0)

    /// Docker's and BuildKit's default set *without* `CAP_MKNOD`: Docker relies on a devices
    /// cgroup to make `mknod` harmless, and this sandbox has none, so a step could otherwise make
    /// a node for the host's disk and write to it.
    public static let buildDefault: LinuxCapabilities = [
        .chown, .dacOverride, .fowner, .fsetid, .kill, .setgid, .setuid, .setpcap,
        .netBindService, .netRaw, .sysChroot, .auditWrite, .setfcap,
    ]
}
