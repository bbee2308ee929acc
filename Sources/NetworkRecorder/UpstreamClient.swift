import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP/1.1 request to the real server, on a connection of its own (closed after the
/// response), with the whole response collected: what the recorder stores and serves.
struct UpstreamClient: Sendable {
    let group: any EventLoopGroup
    /// PEM files trusted for HTTPS origins besides the system's roots (tests' own CAs).
    let extraTrustRoots: [String]

    /// The client TLS context for a set of extra roots, made once per process: loading the
    /// system's roots costs milliseconds, too much for every connection of every step.
    func clientContext() throws -> NIOSSLContext {
        if let known = Self.contexts.withLockedValue({ $0[extraTrustRoots] }) { return known }
        var tls = TLSConfiguration.makeClientConfiguration()
        if !extraTrustRoots.isEmpty {
            tls.trustRoots = .default
            tls.additionalTrustRoots = extraTrustRoots.map { .file($0) }
        }
        let context = try NIOSSLContext(configuration: tls)
        Self.contexts.withLockedValue { $0[extraTrustRoots] = context }
        return context
    }

    private static let contexts = NIOLockedValueBox<[[String]: NIOSSLContext]>([:])

    struct Response: Sendable {
        var head: HTTPResponseHead
        var body: ByteBuffer
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func fetch(address: String, port: Int, serverName: String?, head: HTTPRequestHead, body: ByteBuffer?,
               on eventLoop: any EventLoop) -> EventLoopFuture<Response> {
        let promise = eventLoop.makePromise(of: Response.self)
        let socketAddress: SocketAddress
        do {
            socketAddress = try SocketAddress(ipAddress: address, port: port)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let sslContext: NIOSSLContext?
        do {
            sslContext = serverName == nil ? nil : try clientContext()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let isHead = head.method == .HEAD
        ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(30))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext, let serverName {
                        // SNI carries names only; for an address literal NIOSSL checks the
                        // certificate against the peer's address instead.
                        let isAddress = InterceptionAuthority.addressBytes(serverName) != nil
                        let handler = try NIOSSLClientHandler(context: sslContext, serverHostname: isAddress ? nil : serverName)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        ResponseCollector(head: head, body: body, isHead: isHead, promise: promise))
                }
            }
            .connect(to: socketAddress)
            .whenFailure { error in
                promise.fail(Failure(description: "connecting to \(address):\(port): \(error)"))
            }
        return promise.futureResult
    }
}

extension UpstreamClient {
    /// A connection to the origin on `eventLoop` whose responses go to `handler` (TLS first for
    /// HTTPS, with the system's trust and any extra roots).
    func connect(address: String, port: Int, serverName: String?, on eventLoop: any EventLoop,
                 handler: UncheckedBox<StreamingRelay>) -> EventLoopFuture<any Channel> {
        connectRaw(address: address, port: port, serverName: serverName, on: eventLoop) { pipeline in
            try pipeline.addHandler(handler.value)
        }
    }

    func connectRaw(address: String, port: Int, serverName: String?, on eventLoop: any EventLoop,
                    _ addLast: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void)
        -> EventLoopFuture<any Channel> {
        let socketAddress: SocketAddress
        let sslContext: NIOSSLContext?
        do {
            socketAddress = try SocketAddress(ipAddress: address, port: port)
            sslContext = serverName == nil ? nil : try clientContext()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(30))
            // Downloads are what this connection is for: read in large bursts.
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 16384, initial: 262_144,
                                                                                  maximum: 1_048_576))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext, let serverName {
                        let isAddress = InterceptionAuthority.addressBytes(serverName) != nil
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: sslContext, serverHostname: isAddress ? nil : serverName))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try addLast(channel.pipeline.syncOperations)
                }
            }
            .connect(to: socketAddress)
    }
}

/// Sends the request when the connection is up and collects the response until its end.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let body: ByteBuffer?
    private let isHead: Bool
    private let promise: EventLoopPromise<UpstreamClient.Response>
    private var responseHead: HTTPResponseHead?
    private var responseBody = ByteBuffer()
    private var done = false

    init(head: HTTPRequestHead, body: ByteBuffer?, isHead: Bool, promise: EventLoopPromise<UpstreamClient.Response>) {
        self.head = head
        self.body = body
        self.isHead = isHead
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // 1xx informational responses precede the real one.
            if head.status.code >= 100 && head.status.code < 200 { return }
            responseHead = head
        case .body(var chunk):
            responseBody.writeBuffer(&chunk)
        case .end:
            finish(context: context)
        }
    }

    private func finish(context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        if let responseHead {
            promise.succeed(.init(head: responseHead, body: responseBody))
        } else {
            promise.fail(UpstreamClient.Failure(description: "the server closed the connection without a response"))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done {
            done = true
            promise.fail(UpstreamClient.Failure(description: "\(error)"))
        }
        context.close(promise: nil)
    }
}
