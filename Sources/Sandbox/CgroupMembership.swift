/// A line of /proc/self/cgroup: `ID:CONTROLLERS:PATH`.
struct CgroupMembership: Hashable {
    var hierarchyID: Int
    var controllers: Set<String>
    var path: String

    static func parse(_ text: String) -> [CgroupMembership] {
        text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let id = Int(parts[0]) else { return nil }
            return CgroupMembership(hierarchyID: id, controllers: Set(parts[1].split(separator: ",").map(String.init)),
                                    path: String(parts[2]))
        }
    }
}
