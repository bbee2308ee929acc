import BuildJournal
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// What happens to a connection after `CONNECT host:port` on the proxy port. With the
/// journal's authority the tunnel is intercepted: the recorder answers the step's TLS itself
/// with a certificate for the host and serves the decrypted requests like any other (recorded,
/// or replayed from the record). Without it (`--network-record=no-tls`), the recorder joins the
/// step to the origin byte for byte and logs the tunnel by host; a replay cannot serve those.
struct TunnelTakeover: Sendable {
    let core: ProxyCore
    let authority: InterceptionAuthority?

    static let handlerNames = ["pipelining", "encoder", "decoder", "proxy"]

    /// The HTTP/1.1 server handlers of a connection from the step, by name so they can be removed.
    static func addHTTPHandlers(to pipeline: ChannelPipeline.SynchronousOperations, proxy: ProxyHandler) throws {
        try pipeline.addHandler(HTTPResponseEncoder(), name: "encoder")
        try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)), name: "decoder")
        try pipeline.addHandler(HTTPServerPipelineHandler(), name: "pipelining")
        try pipeline.addHandler(proxy, name: "proxy")
    }

    func take(_ context: ChannelHandlerContext, host: String, port: Int) {
        let channel = context.channel
        if let authority {
            intercept(channel, host: host, port: port, authority: authority)
        } else if case .record(let policy) = core.mode {
            tunnel(channel, host: host, port: port, policy: policy)
        } else {
            core.transcript.miss("CONNECT \(host):\(port)")
            core.refuse("\(host):\(port)", reason: "a tunnel that was not intercepted cannot be replayed")
            channel.writeAndFlush(ByteBuffer(string: "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"))
                .whenComplete { _ in channel.close(promise: nil) }
        }
    }

    private func removeHTTPHandlers(_ channel: any Channel) -> EventLoopFuture<Void> {
        let removals = Self.handlerNames.map { channel.pipeline.removeHandler(name: $0) }
        return EventLoopFuture.andAllSucceed(removals, on: channel.eventLoop)
    }

    private func intercept(_ channel: any Channel, host: String, port: Int, authority: InterceptionAuthority) {
        let core = self.core
        let sslContext: NIOSSLContext
        do {
            sslContext = try authority.serverContext(for: host)
        } catch {
            core.refuse("\(host):\(port)", reason: "no certificate could be made for it: \(error)")
            channel.close(promise: nil)
            return
        }
        removeHTTPHandlers(channel).flatMapThrowing {
            channel.writeAndFlush(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n"), promise: nil)
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(NIOSSLServerHandler(context: sslContext))
            try Self.addHTTPHandlers(to: pipeline, proxy: ProxyHandler(core: core, origin: .tunnel(scheme: "https", host: host, port: port)))
            channel.read()
        }.whenFailure { _ in channel.close(promise: nil) }
    }

    private func tunnel(_ channel: any Channel, host: String, port: Int, policy: DestinationPolicy) {
        let core = self.core
        let position = core.transcript.reserve()
        let resolved = core.threadPool.runIfActive(eventLoop: channel.eventLoop) { () throws -> (String, [String]) in
            let addresses = try DestinationPolicy.resolve(host, port: port)
            let refusals = addresses.map { policy.refusal(host: host, address: $0, port: port) }
            guard let index = refusals.firstIndex(where: { $0 == nil }) else {
                throw ProxyCore.Refused(reason: refusals.compactMap { $0 }.first ?? "no address")
            }
            return (addresses[index], addresses)
        }
        resolved.flatMap { (address: String, addresses: [String]) -> EventLoopFuture<Void> in
            let (local, remote) = GlueHandler.matchedPair()
            let connected = ClientBootstrap(group: channel.eventLoop)
                .connectTimeout(.seconds(30))
                .channelInitializer { outbound in
                    outbound.eventLoop.makeCompletedFuture { try outbound.pipeline.syncOperations.addHandler(remote) }
                }
                .connect(host: address, port: port)
            return connected.flatMap { _ in
                core.transcript.add(FetchRecord(kind: .tunnel, method: "CONNECT", url: "\(host):\(port)", addresses: addresses,
                                                note: "not intercepted (--network-record=no-tls): not replayable offline"),
                                    at: position)
                return self.removeHTTPHandlers(channel).flatMapThrowing {
                    channel.writeAndFlush(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n"), promise: nil)
                    try channel.pipeline.syncOperations.addHandler(local)
                    // The pipelining handler held reads back while the CONNECT was answered.
                    channel.read()
                }
            }
        }.whenFailure { error in
            let reason = (error as? ProxyCore.Refused)?.reason ?? "\(error)"
            core.transcript.add(FetchRecord(kind: .refused, method: "CONNECT", url: "\(host):\(port)", note: reason), at: position)
            channel.writeAndFlush(ByteBuffer(string: "HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"))
                .whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
