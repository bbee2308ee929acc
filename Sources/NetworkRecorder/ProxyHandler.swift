import BuildJournal
import ContentStore
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Serves one connection from the step: HTTP/1.1 requests, each answered (recorded or replayed)
/// by ``ProxyCore`` before the next, as the pipelining helper orders them.
///
/// Where a request's origin comes from depends on how the connection arrived:
/// - ``Origin/proxy``: the proxy port; requests carry absolute URLs (`GET http://host/path`),
///   or `CONNECT host:443` to open a tunnel, which ``TunnelInterceptor`` takes over;
/// - ``Origin/transparent``: redirected by the namespace's packet filter from a tool that
///   ignored the proxy variables; the origin is the Host header (or the name behind a
///   synthetic address); anything that is not HTTP is refused and logged;
/// - ``Origin/tunnel``: the decrypted inside of an intercepted CONNECT.
final class ProxyHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    enum Origin {
        case proxy
        case transparent(address: String, port: Int)
        case tunnel(scheme: String, host: String, port: Int)
    }

    let core: ProxyCore
    let origin: Origin
    /// Takes over a connection after a CONNECT was answered; nil refuses CONNECT.
    let connectHandler: ((ChannelHandlerContext, _ host: String, _ port: Int) -> Void)?
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var sawRequest = false

    init(core: ProxyCore, origin: Origin,
         connectHandler: ((ChannelHandlerContext, _ host: String, _ port: Int) -> Void)? = nil) {
        self.core = core
        self.origin = origin
        self.connectHandler = connectHandler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            sawRequest = true
            self.head = head
            body = nil
        case .body(var chunk):
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            self.head = nil
            handle(head, context: context)
        }
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        if head.method == .CONNECT {
            let (host, port) = Self.splitAuthority(head.uri, defaultPort: 443)
            guard case .proxy = origin, let connectHandler, let host else {
                respond(.message(.methodNotAllowed, "CONNECT is only served on the proxy port"), to: head, context: context)
                return
            }
            connectHandler(context, host, port)
            return
        }
        guard let request = proxiedRequest(head) else {
            core.refuse(head.uri, method: head.method.rawValue, reason: "no origin server in the request")
            respond(.message(.badRequest, "\(head.method.rawValue) \(head.uri): no origin server named (absolute URL or Host header)"),
                    to: head, context: context)
            return
        }
        if case .record(let policy) = core.mode {
            stream(request, head: head, policy: policy, context: context)
            return
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        core.exchange(request, on: context.eventLoop).hop(to: context.eventLoop).whenComplete { result in
            let (handler, context) = loopBound.value
            switch result {
            case .success(let response): handler.respond(response, to: head, context: context)
            case .failure(let error): handler.respond(.message(.badGateway, "\(error)"), to: head, context: context)
            }
        }
    }

    private func proxiedRequest(_ head: HTTPRequestHead) -> ProxiedRequest? {
        switch origin {
        case .proxy:
            guard let components = URLComponents(string: head.uri), let scheme = components.scheme?.lowercased(),
                  scheme == "http", let host = components.host, !host.isEmpty else { return nil }
            var inner = head
            let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            inner.uri = path + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
            return ProxiedRequest(scheme: scheme, host: host, port: components.port ?? 80, head: inner, body: body)
        case .transparent(let address, let port):
            let named = head.headers.first(name: "host").map { Self.splitAuthority($0, defaultPort: port).0 } ?? nil
            guard let host = named ?? core.names.name(for: address) ?? Optional(address) else { return nil }
            return ProxiedRequest(scheme: "http", host: host, port: port, head: head, body: body)
        case .tunnel(let scheme, let host, let port):
            return ProxiedRequest(scheme: scheme, host: host, port: port, head: head, body: body)
        }
    }

    /// Records by relaying: the origin's answer streams to the step while it is stored
    /// (``StreamingRelay``), on a connection on this channel's event loop.
    private func stream(_ request: ProxiedRequest, head: HTTPRequestHead, policy: DestinationPolicy,
                        context: ChannelHandlerContext) {
        let core = self.core
        let position = core.transcript.reserve()
        let downstream = NIOLoopBound(StreamingRelay.Downstream(handler: self, context: context, request: head),
                                      eventLoop: context.eventLoop)
        var requestBody: Digest?
        if var sent = request.body, sent.readableBytes > 0,
           let data = sent.readData(length: sent.readableBytes) {
            requestBody = try? core.store.ingest(data).digest
        }
        let record = FetchRecord(kind: request.scheme == "https" ? .https : .http, method: head.method.rawValue,
                                 url: request.url, requestHeaders: ProxyCore.selecting(head.headers),
                                 requestBody: requestBody)
        let loop = context.eventLoop
        core.destination(of: request, policy: policy, position: position, on: loop).whenSuccess { outcome in
            let target = downstream.value
            switch outcome {
            case .refused(let response):
                target.handler.respond(response, to: target.request, context: target.context)
            case .reachable(let address, let addresses):
                var resolved = record
                resolved.addresses = addresses
                let fetch = resolved
                let relay = UncheckedBox(StreamingRelay(core: core, head: ProxyCore.upstreamHead(request), body: request.body,
                                                        downstream: downstream, record: fetch, position: position))
                let serverName = request.scheme == "https" ? request.host : nil
                core.upstream.connect(address: address, port: request.port, serverName: serverName,
                                      on: loop, handler: relay)
                    .whenFailure { error in
                        var failed = fetch
                        failed.note = "upstream error: \(error)"
                        core.transcript.add(failed, at: position)
                        let target = downstream.value
                        target.handler.respond(.message(.badGateway, "\(fetch.method) \(fetch.url): \(error)"),
                                               to: target.request, context: target.context)
                    }
            }
        }
    }

    /// A streamed response: the head first (its length as the origin gave it, else chunked)…
    func beginResponse(_ response: ProxiedResponse, to request: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = response.headers
        let delimited = headers.contains(name: "content-length") || request.method == .HEAD
            || [204, 304].contains(response.status.code) || request.version.minor >= 1
        streamingKeepAlive = request.isKeepAlive && delimited
        headers.replaceOrAdd(name: "connection", value: streamingKeepAlive ? "keep-alive" : "close")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: response.status,
                                                                     headers: headers))), promise: nil)
    }

    /// …then the body as it arrives…
    func sendBody(_ chunk: ByteBuffer, context: ChannelHandlerContext) {
        guard chunk.readableBytes > 0 else { return }
        context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
    }

    /// Succeeds once everything written so far has left for the step's socket: a relay that
    /// writes to that socket itself (splice) starts after it.
    func drain(context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer()))))
    }

    /// …and its end.
    func endResponse(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !streamingKeepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    private var streamingKeepAlive = true

    /// Runs `resume` once the step's connection can take more (a relay paused its origin).
    func whenWritable(_ resume: @escaping () -> Void) {
        writableWaiters.append(resume)
    }

    private var writableWaiters: [() -> Void] = []

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, !writableWaiters.isEmpty {
            let waiting = writableWaiters
            writableWaiters = []
            for resume in waiting { resume() }
        }
        context.fireChannelWritabilityChanged()
    }

    func respond(_ response: ProxiedResponse, to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = request.isKeepAlive
        var headers = response.headers
        headers.replaceOrAdd(name: "connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD, let file = response.file, file.size > 0,
           let handle = try? NIOFileHandle(_deprecatedPath: file.path) {
            let region = FileRegion(fileHandle: handle, readerIndex: 0, endIndex: file.size)
            context.write(wrapOutboundOut(.body(.fileRegion(region)))).assumeIsolated().whenComplete { _ in
                try? handle.close()
            }
        } else if request.method != .HEAD, response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !sawRequest, case .transparent(let address, let port) = origin {
            let name = core.names.name(for: address).map { "\($0) (\(address))" } ?? address
            core.refuse("\(name):\(port)", method: "TCP",
                        reason: "a connection that ignored the proxy and is not HTTP; the recorder cannot record it")
        } else if !sawRequest {
            core.refuse("proxy", method: "TCP", reason: "not an HTTP request: \(error)")
        }
        context.close(promise: nil)
    }

    /// `host:port`, `[v6]:port` or `host` → (host, port).
    static func splitAuthority(_ text: String, defaultPort: Int) -> (String?, Int) {
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<end])
            let rest = text[text.index(after: end)...]
            return (host, rest.hasPrefix(":") ? Int(rest.dropFirst()) ?? defaultPort : defaultPort)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard let first = parts.first, !first.isEmpty else { return (nil, defaultPort) }
        return (String(first), parts.count == 2 ? Int(parts[1]) ?? defaultPort : defaultPort)
    }
}
