#if canImport(Glibc)
import Glibc
#endif
import CNetworkNamespace
import Foundation
import NetworkRecorder
import Testing

/// The splice fast path finds a connection's descriptor by its addresses, and every step's
/// namespace has the same loopback addresses: a connection with a twin in another step's
/// namespace must never be picked (one step would be handed another step's bytes).
@Suite struct SpliceSocketLookupTests {
    /// 127.0.0.1:`port`.
    static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }

    /// A connection inside `namespace` from 127.0.0.1:`clientPort` to the proxy's port: the
    /// client's and the accepted descriptor (the one the recorder would hold).
    static func connection(in namespace: StepNamespace, clientPort: Int) throws -> (client: Int32, accepted: Int32) {
        let listener = try namespace.listeningSocket(port: StepNamespace.proxyPort)
        defer { close(listener) }
        let client = try namespace.inside { () throws -> Int32 in
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var one: Int32 = 1
            setsockopt(client, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var local = Self.loopback(clientPort), proxy = Self.loopback(StepNamespace.proxyPort)
            let size = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(client, $0, size) } }
            let connected = withUnsafePointer(to: &proxy) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, size) } }
            guard client >= 0, bound == 0, connected == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
            return client
        }
        var accepted: Int32 = -1
        for _ in 0..<200 where accepted < 0 {
            accepted = accept(listener, nil, nil)
            if accepted < 0 { usleep(5_000) }
        }
        try #require(accepted >= 0, "the connection was not accepted")
        return (client, accepted)
    }

    static func find(clientPort: Int) -> Int32 {
        var local = loopback(StepNamespace.proxyPort), peer = loopback(clientPort)
        return withUnsafePointer(to: &local) { local in
            withUnsafePointer(to: &peer) { peer in
                local.withMemoryRebound(to: sockaddr.self, capacity: 1) { local in
                    peer.withMemoryRebound(to: sockaddr.self, capacity: 1) { cnetns_find_socket(local, $0) }
                }
            }
        }
    }

    @Test func aConnectionWithATwinInAnotherStepsNamespaceIsNeverPicked() throws {
        // Above the kernel's ephemeral range, so that no other test's connection has this port.
        let clientPort = Int.random(in: 61_100..<65_000)
        let first = try StepNamespace()
        defer { first.remove() }
        let one = try Self.connection(in: first, clientPort: clientPort)
        defer { close(one.client); close(one.accepted) }

        let found = Self.find(clientPort: clientPort)
        #expect(found >= 0, "the only connection with these addresses was not found")
        if found >= 0 {
            // The duplicate is the accepted socket itself: a byte sent through it reaches the client.
            var byte: UInt8 = 42
            #expect(send(found, &byte, 1, 0) == 1)
            var received: UInt8 = 0
            #expect(recv(one.client, &received, 1, 0) == 1 && received == 42)
            close(found)
        }

        let second = try StepNamespace()
        defer { second.remove() }
        let twin = try Self.connection(in: second, clientPort: clientPort)
        defer { close(twin.client); close(twin.accepted) }
        let ambiguous = Self.find(clientPort: clientPort)
        #expect(ambiguous == -1, "one of two twin connections was picked (descriptor \(ambiguous))")
        if ambiguous >= 0 { close(ambiguous) }
    }
}
