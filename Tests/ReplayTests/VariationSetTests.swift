import Engine
import Replay
import Testing

/// `--vary` values, and what each variation asks of the engine.
struct VariationSetTests {
    @Test func parsesListsAllAndNone() throws {
        #expect(try VariationSet(parsing: ["time,hostname", "umask"]).names == ["time", "hostname", "umask"])
        #expect(try VariationSet(parsing: ["all"]).members == Set(Variation.allCases))
        #expect(try VariationSet(parsing: ["none"]).isEmpty)
        #expect(try VariationSet(parsing: ["domain_host,num_cpus,build_path"]).names == ["hostname", "buildpath", "cpus"])
    }

    @Test func refusesUnknownNames() {
        #expect(throws: ReplayError.self) { try VariationSet(parsing: ["kernel"]) }
    }

    @Test func eachVariationChangesTheEngineOrIsRecorded() throws {
        let all = try VariationSet(parsing: ["all"]).engineVariations
        #expect(all.hostname != nil && all.domainName != nil)
        #expect(all.umask == 0o002)
        #expect(all.cpuCount == 1)
        #expect(all.disableASLR)
        #expect(all.timezone != nil && all.locale != nil)
        #expect(!all.extraEnvironment.isEmpty)
        for name in ["time", "fileordering", "buildpath", "hostname", "umask", "cpus", "aslr", "timezone", "locale"] {
            #expect(all.recorded.keys.contains { $0 == name || $0.hasPrefix(name) || ($0 == "domainname" && name == "hostname") },
                    "\(name) is not recorded")
        }
        #expect(VariationSet().engineVariations.recorded.isEmpty)
    }
}
