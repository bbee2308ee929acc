#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import NetworkRecorder
import Testing
import TestSupport

/// The step's namespace is made in-process (unshare, a bind onto /run/netns, rtnetlink) and only
/// the packet filter by a tool: it must be the very namespace `ip netns add`, `ip -batch` and
/// `iptables-restore` made before, be listed and deleted like one, and namespaces that killed
/// builds left must be reclaimed without touching a live process's. Needs root.
@Suite(.serialized)
struct StepNamespaceTests {
    /// What `StepNamespace` ran before it made the namespace itself: the reference.
    static let linkScript = """
        link set lo up
        link add rp0 type veth peer name rp1
        address add 198.18.255.254/15 dev rp0
        link set rp0 up
        link set rp1 up
        route add default dev rp0

        """
    static let filterRules = """
        *nat
        -A OUTPUT -p tcp -d 127.0.0.0/8 -j RETURN
        -A OUTPUT -p tcp -j REDIRECT --to-ports 3129
        COMMIT
        *filter
        -A OUTPUT -p udp ! -d 127.0.0.0/8 -j REJECT
        COMMIT

        """

    /// Everything the step can see of a namespace's network: links (MAC addresses are random),
    /// addresses, every routing table, the packet filter, and whether IPv6 is off.
    func view(of namespace: String) throws -> String {
        let links = try Tool.check(["ip", "-n", namespace, "-d", "-o", "link", "show"]).stdout
            .replacingOccurrences(of: #"([0-9a-f]{2}:){5}[0-9a-f]{2}"#, with: "MAC", options: .regularExpression)
        let addresses = try Tool.check(["ip", "-n", namespace, "-o", "address", "show"]).stdout
        let routes = try Tool.check(["ip", "-n", namespace, "route", "show", "table", "all"]).stdout
        let filter = try Tool.check(["ip", "netns", "exec", namespace, "iptables-save"]).stdout
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        let ipv6 = try Tool.check(["ip", "netns", "exec", namespace, "cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6"]).stdout
        return [links, addresses, routes, filter, "disable_ipv6=" + ipv6].joined(separator: "\n--\n")
    }

    func listed() throws -> Set<String> {
        Set(try Tool.check(["ip", "netns", "list"]).stdout.split(separator: "\n").map { String($0.split(separator: " ")[0]) })
    }

    @Test func aNamespaceMadeInProcessIsTheOneIpAndIptablesMadeAndIsDeletedLikeOne() throws {
        let reference = "rp-reference-\(UInt32.random(in: 0...UInt32.max))"
        try Tool.check(["ip", "netns", "add", reference])
        defer { _ = try? Tool.run(["ip", "netns", "delete", reference]) }
        try Tool.check(["ip", "-n", reference, "-batch", "-"], input: Data(Self.linkScript.utf8))
        try Tool.check(["ip", "netns", "exec", reference, "iptables-restore", "-w", "5"], input: Data(Self.filterRules.utf8))
        try Tool.check(["ip", "netns", "exec", reference, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6"])

        let namespace = try StepNamespace(bindingRecorderSockets: true)
        defer { namespace.remove() }
        #expect(namespace.name.hasPrefix("reprise-\(getpid())-"), "\(namespace.name)")
        #expect(try listed().contains(namespace.name))
        #expect(try view(of: namespace.name) == view(of: reference))
        // The recorder's sockets are bound inside it, on loopback.
        let sockets = try #require(namespace.takeRecorderSockets())
        defer { sockets.close() }
        #expect(namespace.takeRecorderSockets() == nil, "handed out twice")
        let listening = try Tool.check(["ip", "netns", "exec", namespace.name, "ss", "-Hlntu"]).stdout
        for port in ["127.0.0.1:3128", "127.0.0.1:3129", "127.0.0.1:53"] {
            #expect(listening.contains(port), "\(listening)")
        }

        namespace.remove()
        #expect(try !listed().contains(namespace.name))
        #expect(!FileManager.default.fileExists(atPath: namespace.path))
    }

    @Test func namespacesOfProcessesThatAreGoneAreReclaimedAndALiveOnesAreKept() throws {
        // A process that has ended: its pid names no process (until reused, which the test checks).
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        let deadPID = ended.processIdentifier
        try #require(kill(deadPID, 0) != 0, "pid \(deadPID) was reused at once")
        let abandoned = "reprise-\(deadPID)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let live = try StepNamespace()
        defer { live.remove() }
        // Another tool's namespace that merely starts the same way is none of Reprise's business.
        let foreign = "reprise-notapid-\(UInt32.random(in: 0...UInt32.max))"
        for name in [abandoned, foreign] { try Tool.check(["ip", "netns", "add", name]) }
        defer { for name in [abandoned, foreign] { _ = try? Tool.run(["ip", "netns", "delete", name]) } }

        // (A build another suite runs at the same time may reclaim it first: what counts is that it is gone.)
        let reclaimed = StepNamespace.reclaimAbandoned()
        #expect(!reclaimed.contains(live.name) && !reclaimed.contains(foreign))
        let names = try listed()
        #expect(!names.contains(abandoned))
        #expect(names.contains(live.name) && names.contains(foreign))
    }

    @Test func aSetupToolThatFailsIsNamedWithWhatItSaid() throws {
        let tool = SetupTool("sh")
        #expect(try tool.run(["-c", "cat"], input: "handed over\n") == "handed over\n")
        let error = try #require(throws: StepNamespace.SetupError.self) {
            try tool.run(["-c", "echo refused by the kernel >&2; exit 3"])
        }
        #expect(error.description.contains("`sh -c echo refused by the kernel >&2; exit 3` failed: exit status 3: refused by the kernel"),
                "\(error)")
        let missing = try #require(throws: StepNamespace.SetupError.self) {
            try SetupTool("reprise-no-such-tool").run([])
        }
        #expect(missing.description.contains("`reprise-no-such-tool` failed: not found in PATH"), "\(missing)")
    }
}
