#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where the recorder may connect on a step's behalf. A build must not reach the services of
/// the machine it runs on: loopback, link-local (cloud metadata lives there), unspecified and
/// the host's own interface addresses are refused, unless an allow entry names the host (as
/// written in the URL), the address, or either with `:port`.
public struct DestinationPolicy: Sendable {
    /// `host`, `address`, `host:port` or `address:port` entries that are allowed anyway.
    public var allowed: Set<String>
    /// The host's own addresses, read once.
    let hostAddresses: Set<String>

    public init(allowed: [String] = []) {
        self.allowed = Set(allowed.map { $0.lowercased() })
        hostAddresses = Self.interfaceAddresses()
    }

    /// Why connecting to `address` (resolved from `host`) is refused, or nil when it is not.
    public func refusal(host: String, address: String, port: Int) -> String? {
        let names = [host.lowercased(), address.lowercased()]
        if names.contains(where: { allowed.contains($0) || allowed.contains("\($0):\(port)") }) { return nil }
        let reason: String?
        if address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.") {
            reason = "a loopback address of the host"
        } else if address.hasPrefix("169.254.") || address.lowercased().hasPrefix("fe80:") {
            reason = "a link-local address"
        } else if address == "0.0.0.0" || address == "::" {
            reason = "the unspecified address"
        } else if hostAddresses.contains(address) {
            reason = "an address of the host itself"
        } else {
            reason = nil
        }
        return reason.map { "\(host):\(port) resolves to \(address), \($0) (allow it with --network-allow \(host))" }
    }

    static func interfaceAddresses() -> Set<String> {
        var result = Set<String>()
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return result }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor {
            if let address = entry.pointee.ifa_addr, let text = Self.text(of: address) { result.insert(text) }
            cursor = entry.pointee.ifa_next
        }
        return result
    }

    /// The numeric text of an IPv4 or IPv6 socket address.
    static func text(of address: UnsafePointer<sockaddr>) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let length: socklen_t
        switch Int32(address.pointee.sa_family) {
        case AF_INET: length = socklen_t(MemoryLayout<sockaddr_in>.size)
        case AF_INET6: length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        default: return nil
        }
        guard getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return nil
        }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Link-local IPv6 carries a zone ("fe80::1%eth0").
        return text.split(separator: "%").first.map(String.init)
    }

    /// Resolves `host` with the host's resolver (blocking): numeric addresses, IPv4 first.
    static func resolve(_ host: String, port: Int) throws -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0 else {
            throw ResolutionError(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(result) }
        var addresses: [String] = []
        var cursor = result
        while let entry = cursor {
            if let address = entry.pointee.ai_addr, let text = text(of: address), !addresses.contains(text) {
                addresses.append(text)
            }
            cursor = entry.pointee.ai_next
        }
        return addresses.filter { !$0.contains(":") } + addresses.filter { $0.contains(":") }
    }
}

struct ResolutionError: Error, CustomStringConvertible {
    var host: String
    var reason: String
    var description: String { "cannot resolve \(host): \(reason)" }
}
