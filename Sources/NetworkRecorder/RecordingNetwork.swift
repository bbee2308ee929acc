#if canImport(Glibc)
import Glibc
#endif
import BuildJournal
import ContentStore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The network of one RUN step under Reprise's recorder: a namespace of its own
/// (``StepNamespace``) whose loopback holds the recorder's proxy, transparent listener and DNS
/// responder, all served from the host's namespace by ``ProxyCore``.
///
/// ```swift
/// let network = try RecordingNetwork(mode: .record(DestinationPolicy()), store: store)
/// // run the step in network.namespacePath with network.environment and network.resolvConf
/// let transcript = network.finish()
/// ```
public final class RecordingNetwork: @unchecked Sendable {
    public let namespace: StepNamespace
    let core: ProxyCore
    let authority: InterceptionAuthority?
    private var channels: [any Channel] = []
    private var finished = false

    /// The namespace the sandbox joins.
    public var namespacePath: String { namespace.path }

    /// Where the step finds the authority's certificate (a file mount outside the layer).
    public static let certificatePath = "/run/reprise/network-ca.pem"

    /// The file mounts the step needs: its resolv.conf, and the authority's certificate.
    public var files: [(path: String, contents: String)] { Self.files(authority: authority) }

    /// The proxy variables the step sees, in both cases, as curl, apt, pip, wget and git read
    /// them; and with interception, the variables that point TLS clients at the authority.
    public var environment: [String] { Self.environment(intercepting: authority != nil) }

    /// What a step on the recording network sees of it (its files and variables), the same
    /// whether the recorder runs or, for a replayed step that fetched nothing, does not.
    public static func files(authority: InterceptionAuthority?) -> [(path: String, contents: String)] {
        [("/etc/resolv.conf", resolvConf)] + (authority.map { [(certificatePath, $0.certificatePEM)] } ?? [])
    }

    public static func environment(intercepting: Bool) -> [String] {
        proxyEnvironment + (intercepting ? ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "NODE_EXTRA_CA_CERTS",
                                            "GIT_SSL_CAINFO", "CURL_CA_BUNDLE"].map { "\($0)=\(certificatePath)" } : [])
    }

    /// The system trust bundles of the usual distributions (Debian/Ubuntu/Alpine, Fedora/RHEL,
    /// openSUSE, older RHEL, OpenELEC, Alpine's and BSD-style `cert.pem`): those an image has get
    /// the authority's certificate appended for the step (never in its layer), so that clients
    /// which read only the system store (apt, curl without options) trust it too.
    public static let trustBundlePaths = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
        "/etc/pki/tls/cacert.pem",
        "/etc/ssl/cert.pem",
    ]

    private static var proxyEnvironment: [String] {
        let proxy = "http://127.0.0.1:\(StepNamespace.proxyPort)"
        let exempt = "localhost,127.0.0.1,::1"
        return ["http_proxy=\(proxy)", "HTTP_PROXY=\(proxy)", "https_proxy=\(proxy)", "HTTPS_PROXY=\(proxy)",
                "no_proxy=\(exempt)", "NO_PROXY=\(exempt)"]
    }

    /// The step's `/etc/resolv.conf`: the recorder's DNS responder only.
    public static let resolvConf = "nameserver 127.0.0.1\noptions timeout:2 attempts:1\n"

    /// Names of the variables `environment` sets, which a step's own proxy settings must not override.
    public static let variableNames: Set<String> = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                                    "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY", "SSL_CERT_FILE",
                                                    "REQUESTS_CA_BUNDLE", "PIP_CERT", "NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO",
                                                    "CURL_CA_BUNDLE"]

    /// Off unless `REPRISE_NETWORK_SPLICE=1`: on an idle machine the splice fast path was slower
    /// than the NIO relay (Reports/network-recording.md measures both in the same run).
    public static var splicesPlainBodiesByDefault: Bool {
        ProcessInfo.processInfo.environment["REPRISE_NETWORK_SPLICE"] == "1"
    }

    /// Does ahead what the first recorder of a process would otherwise do on its step's path:
    /// starts SwiftNIO's shared event loops and thread pool, and loads (or makes) the journal's
    /// authority in `authorityDirectory`, ignoring a failure (the step that needs it reports it).
    /// Blocks: call it from a thread of its own.
    public static func warmUp(authorityDirectory: String?) {
        _ = MultiThreadedEventLoopGroup.singleton.next()
        _ = NIOThreadPool.singleton
        if let authorityDirectory { _ = try? InterceptionAuthority.loadOrCreate(in: authorityDirectory) }
    }

    /// `authority` intercepts HTTPS (nil: tunnels pass through when recording, and are refused
    /// in a replay); `extraTrustRoots` are PEM files the recorder trusts for origins;
    /// `splicePlainBodies` moves large plain-HTTP bodies by splice(2) instead of through NIO;
    /// `namespace` is one made beforehand (``StepNamespace/init(bindingRecorderSockets:)``, which
    /// the recorder then owns and removes), nil to make one now.
    public init(mode: RecorderMode, store: BlobStore, authority: InterceptionAuthority? = nil,
                extraTrustRoots: [String] = [],
                splicePlainBodies: Bool = RecordingNetwork.splicesPlainBodiesByDefault,
                namespace prepared: StepNamespace? = nil) throws {
        self.authority = authority
        namespace = try prepared ?? StepNamespace(bindingRecorderSockets: true)
        let group = MultiThreadedEventLoopGroup.singleton
        core = ProxyCore(mode: mode, store: store, upstream: UpstreamClient(group: group, extraTrustRoots: extraTrustRoots),
                         threadPool: NIOThreadPool.singleton, splicesPlainBodies: splicePlainBodies)
        do {
            try start(group: group, takeover: TunnelTakeover(core: core, authority: authority))
        } catch {
            _ = finish()
            throw error
        }
    }

    private func start(group: any EventLoopGroup, takeover: TunnelTakeover) throws {
        let core = self.core
        let sockets = try namespace.takeRecorderSockets() ?? StepNamespace.RecorderSockets(
            proxy: namespace.listeningSocket(port: StepNamespace.proxyPort),
            transparent: namespace.listeningSocket(port: StepNamespace.transparentPort),
            dns: namespace.datagramSocket(port: StepNamespace.dnsPort))
        // The three listeners start together and are waited for together: each wait is a hop to
        // an event loop thread, which on a loaded machine can cost milliseconds of the step's path.
        let proxy = ServerBootstrap(group: group)
            // A client that closes its sending side after the request (nc, HTTP/1.0 tools) still
            // waits for the answer.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.writeBufferWaterMark, value: Self.stepWaterMark)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try TunnelTakeover.addHTTPHandlers(
                        to: channel.pipeline.syncOperations,
                        proxy: ProxyHandler(core: core, origin: .proxy) { context, host, port in
                            takeover.take(context, host: host, port: port)
                        })
                }
            }
            .withBoundSocket(sockets.proxy)
        let transparent = ServerBootstrap(group: group)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.writeBufferWaterMark, value: Self.stepWaterMark)
            .childChannelInitializer { channel in
                Self.originalDestination(of: channel).flatMapThrowing { destination in
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: false)
                    try channel.pipeline.syncOperations.addHandler(
                        ProxyHandler(core: core, origin: .transparent(address: destination.0, port: destination.1)))
                }
            }
            .withBoundSocket(sockets.transparent)
        let dns = DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DNSResponder(core: core))
                }
            }
            .withBoundSocket(sockets.dns)
        var failure: (any Error)?
        for future in [proxy, transparent, dns] {
            // Every listener that started is kept, so that finish() closes it after a failure.
            do { channels.append(try future.wait()) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    /// How much a connection to the step may hold unsent before the relay stops reading from
    /// the origin (NIO's default of 64 KiB would pause after every large read).
    static let stepWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 1 << 20, high: 4 << 20)

    /// Where a redirected connection was going (SO_ORIGINAL_DST, from netfilter's NAT).
    static func originalDestination(of channel: any Channel) -> EventLoopFuture<(String, Int)> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        let future: EventLoopFuture<sockaddr_in> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(IPPROTO_IP), name: SocketOptionName(80))
        return future.map { address in
            var copy = address
            var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            inet_ntop(AF_INET, &copy.sin_addr, &buffer, socklen_t(buffer.count))
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return (text, Int(UInt16(bigEndian: address.sin_port)))
        }
    }

    /// Body bytes relayed by splice so far (plain-HTTP bodies with a Content-Length).
    public var splicedBodyBytes: Int64 { core.splicedBytes.withLockedValue { $0 } }

    /// Stops listening, deletes the namespace and returns what the step fetched.
    @discardableResult
    public func finish() -> NetworkTranscript {
        if !finished {
            finished = true
            // Closed together, waited for together (see start).
            for closed in channels.map({ $0.close() }) { try? closed.wait() }
            channels = []
            namespace.remove()
            // The step has its last byte before the body is committed: wait for the record.
            core.transcript.waitUntilComplete(timeout: 60)
        }
        return core.transcript.transcript
    }

    deinit { _ = finish() }
}
