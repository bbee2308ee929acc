import BuildJournal
import ContentStore
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import NIOSSL

/// What the recorder does with a request: fetch it from the origin and record it, or serve it
/// from a record with no network at all.
public enum RecorderMode: Sendable {
    case record(DestinationPolicy)
    case replay([FetchRecord])
}

/// A request as the step made it, with its origin resolved from the absolute URL (proxy), the
/// intercepted tunnel, or the Host header (transparent).
struct ProxiedRequest: Sendable {
    var scheme: String
    var host: String
    var port: Int
    var head: HTTPRequestHead
    var body: ByteBuffer?

    var url: String {
        let defaultPort = scheme == "https" ? 443 : 80
        let authority = (host.contains(":") ? "[\(host)]" : host) + (port == defaultPort ? "" : ":\(port)")
        return "\(scheme)://\(authority)\(head.uri.hasPrefix("/") ? head.uri : "/" + head.uri)"
    }
}

struct ProxiedResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer
    /// A verified blob to send with sendfile(2) instead of `body` (plain HTTP replays).
    var file: (path: String, size: Int)? = nil

    static func message(_ status: HTTPResponseStatus, _ text: String) -> ProxiedResponse {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "x-reprise-recorder", value: "refused")
        return ProxiedResponse(status: status, headers: headers, body: ByteBuffer(string: "reprise: " + text + "\n"))
    }
}

/// The recorder's logic, shared by every connection of one step: destination checks, the
/// upstream fetch, storing bodies, the transcript, and replay lookups.
final class ProxyCore: Sendable {
    let mode: RecorderMode
    let store: BlobStore
    let transcript = TranscriptCollector()
    /// Body bytes that went from an origin to a step by splice (the fast path), for tests and
    /// diagnostics: the record itself does not say how its bytes travelled.
    let splicedBytes = NIOLockedValueBox<Int64>(0)
    let names = SyntheticNames()
    let upstream: UpstreamClient
    let threadPool: NIOThreadPool
    /// Whether large plain-HTTP bodies go by splice(2) (`StreamingRelay`'s fast path).
    let splicesPlainBodies: Bool
    private let replayIndex: ReplayIndex?

    /// Request headers that select what a server sends back: kept in the record.
    static let selectingHeaders: Set<String> = ["range", "accept", "accept-encoding", "accept-language", "if-range",
                                                "if-modified-since", "if-none-match", "content-type"]
    /// Per-connection headers that a proxy never forwards (RFC 9110 §7.6.1) nor records.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "proxy-authenticate",
                                        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"]

    init(mode: RecorderMode, store: BlobStore, upstream: UpstreamClient, threadPool: NIOThreadPool,
         splicesPlainBodies: Bool) {
        self.splicesPlainBodies = splicesPlainBodies
        self.mode = mode
        self.store = store
        self.upstream = upstream
        self.threadPool = threadPool
        if case .replay(let fetches) = mode { replayIndex = ReplayIndex(fetches) } else { replayIndex = nil }
    }

    var isReplay: Bool { replayIndex != nil }

    func exchange(_ request: ProxiedRequest, on eventLoop: any EventLoop) -> EventLoopFuture<ProxiedResponse> {
        let position = transcript.reserve()
        switch mode {
        case .replay:
            return threadPool.runIfActive(eventLoop: eventLoop) { self.serveRecorded(request, position: position) }
        case .record(let policy):
            return record(request, policy: policy, position: position, on: eventLoop)
        }
    }

    private func serveRecorded(_ request: ProxiedRequest, position: Int) -> ProxiedResponse {
        let method = request.head.method.rawValue
        let fetch = replayIndex?.take(method: method, url: request.url, range: request.head.headers.first(name: "range"))
        // Plain HTTP goes out by sendfile once the blob is verified; TLS needs the bytes.
        let sendsFile = request.scheme == "http" && fetch?.body.map { (try? store.verify($0)) == .intact } == true
        guard let fetch, let digest = fetch.body,
              let data = sendsFile ? Data() : try? store.read(digest) else {
            transcript.miss("\(method) \(request.url)")
            transcript.add(FetchRecord(kind: .refused, method: method, url: request.url,
                                       note: "not in the record (a replay serves recorded fetches only)"), at: position)
            return .message(.badGateway, "\(method) \(request.url) is not in the record of this step; "
                                + "a replay serves recorded fetches only")
        }
        let size = sendsFile ? Int(fetch.size ?? 0) : data.count
        var headers = HTTPHeaders(fetch.responseHeaders.map { ($0.name, $0.value) })
        Self.setLength(&headers, body: size, method: request.head.method, status: fetch.status ?? 200)
        transcript.add(fetch, at: position)
        return ProxiedResponse(status: HTTPResponseStatus(statusCode: fetch.status ?? 200), headers: headers,
                               body: ByteBuffer(bytes: data),
                               file: sendsFile ? (store.path(for: digest), size) : nil)
    }

    private func record(_ request: ProxiedRequest, policy: DestinationPolicy, position: Int,
                        on eventLoop: any EventLoop) -> EventLoopFuture<ProxiedResponse> {
        let method = request.head.method.rawValue
        let url = request.url
        let selecting = Self.selecting(request.head.headers)
        let resolved = threadPool.runIfActive(eventLoop: eventLoop) { () throws -> (String, [String]) in
            let addresses = try DestinationPolicy.resolve(request.host, port: request.port)
            let refusals = addresses.map { policy.refusal(host: request.host, address: $0, port: request.port) }
            guard let index = refusals.firstIndex(where: { $0 == nil }) else {
                throw Refused(reason: refusals.compactMap { $0 }.first ?? "no address")
            }
            return (addresses[index], addresses)
        }
        return resolved.flatMap { (address: String, addresses: [String]) -> EventLoopFuture<ProxiedResponse> in
            var head = request.head
            head.version = .http1_1
            var headers = HTTPHeaders()
            for (name, value) in request.head.headers where !Self.hopByHop.contains(name.lowercased()) {
                headers.add(name: name, value: value)
            }
            if !headers.contains(name: "host") { headers.add(name: "host", value: Self.hostHeader(request)) }
            headers.replaceOrAdd(name: "connection", value: "close")
            head.headers = headers
            return self.upstream.fetch(address: address, port: request.port,
                                       serverName: request.scheme == "https" ? request.host : nil,
                                       head: head, body: request.body, on: eventLoop)
                .flatMap { response in
                    self.threadPool.runIfActive(eventLoop: eventLoop) { () throws -> ProxiedResponse in
                        var body = response.body
                        let data = body.readData(length: body.readableBytes) ?? Data()
                        let digest = try self.store.ingest(data).digest
                        var requestBody: Digest?
                        if var sent = request.body, sent.readableBytes > 0 {
                            requestBody = try self.store.ingest(sent.readData(length: sent.readableBytes) ?? Data()).digest
                        }
                        let kept = response.head.headers.filter { !Self.hopByHop.contains($0.name.lowercased()) }
                        let fetch = FetchRecord(
                            kind: request.scheme == "https" ? .https : .http, method: method, url: url,
                            requestHeaders: selecting, requestBody: requestBody, status: Int(response.head.status.code),
                            responseHeaders: kept.map { FetchRecord.Header(name: $0.name, value: $0.value) },
                            body: digest, size: Int64(data.count), addresses: addresses)
                        self.transcript.add(fetch, at: position)
                        var headers = HTTPHeaders(kept.map { ($0.name, $0.value) })
                        Self.setLength(&headers, body: data.count, method: request.head.method,
                                       status: Int(response.head.status.code))
                        return ProxiedResponse(status: response.head.status, headers: headers, body: response.body)
                    }
                }
                .flatMapErrorThrowing { error in
                    self.transcript.add(FetchRecord(kind: request.scheme == "https" ? .https : .http, method: method,
                                                    url: url, requestHeaders: selecting, addresses: addresses,
                                                    note: "upstream error: \(error)"), at: position)
                    return .message(.badGateway, "\(method) \(url): \(error)")
                }
        }.flatMapErrorThrowing { error in
            if let refused = error as? Refused {
                self.transcript.add(FetchRecord(kind: .refused, method: method, url: url, note: refused.reason), at: position)
                return .message(.forbidden, "refused \(method) \(url): \(refused.reason)")
            }
            if let response = error as? ResolutionError {
                self.transcript.add(FetchRecord(kind: .refused, method: method, url: url, note: response.description),
                                    at: position)
                return .message(.badGateway, "\(method) \(url): \(response)")
            }
            throw error
        }
    }

    /// Resolves the request's origin with the host's resolver and checks it against the policy;
    /// a refusal or a name that does not resolve is recorded at `position` and answered here.
    func destination(of request: ProxiedRequest, policy: DestinationPolicy, position: Int,
                     on eventLoop: any EventLoop) -> EventLoopFuture<Destination> {
        let method = request.head.method.rawValue
        let url = request.url
        return threadPool.runIfActive(eventLoop: eventLoop) { () throws -> (String, [String]) in
            let addresses = try DestinationPolicy.resolve(request.host, port: request.port)
            let refusals = addresses.map { policy.refusal(host: request.host, address: $0, port: request.port) }
            guard let index = refusals.firstIndex(where: { $0 == nil }) else {
                throw Refused(reason: refusals.compactMap { $0 }.first ?? "no address")
            }
            return (addresses[index], addresses)
        }.map { Destination.reachable(address: $0.0, addresses: $0.1) }.flatMapErrorThrowing { error in
            let reason = (error as? Refused)?.reason ?? "\(error)"
            self.transcript.add(FetchRecord(kind: .refused, method: method, url: url, note: reason), at: position)
            return Destination.refused(error is Refused ? ProxiedResponse.message(.forbidden, "refused \(method) \(url): \(reason)")
                                                        : ProxiedResponse.message(.badGateway, "\(method) \(url): \(reason)"))
        }
    }

    /// The request as the recorder sends it to the origin: origin-form, no hop-by-hop headers,
    /// one request per connection.
    static func upstreamHead(_ request: ProxiedRequest) -> HTTPRequestHead {
        var head = request.head
        head.version = .http1_1
        var headers = HTTPHeaders()
        for (name, value) in request.head.headers where !hopByHop.contains(name.lowercased()) {
            headers.add(name: name, value: value)
        }
        if !headers.contains(name: "host") { headers.add(name: "host", value: hostHeader(request)) }
        headers.replaceOrAdd(name: "connection", value: "close")
        head.headers = headers
        return head
    }

    /// A connection the recorder would not carry (a host address, a protocol it cannot record).
    func refuse(_ target: String, method: String = "CONNECT", reason: String) {
        transcript.add(FetchRecord(kind: .refused, method: method, url: target, note: reason))
    }

    enum Destination: Sendable {
        case reachable(address: String, addresses: [String])
        /// Refused or unresolvable; the answer the step gets.
        case refused(ProxiedResponse)
    }

    struct Refused: Error {
        var reason: String
    }

    static func selecting(_ headers: HTTPHeaders) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in headers where selectingHeaders.contains(name.lowercased()) {
            result[name.lowercased()] = result[name.lowercased()].map { $0 + ", " + value } ?? value
        }
        return result
    }

    static func hostHeader(_ request: ProxiedRequest) -> String {
        let defaultPort = request.scheme == "https" ? 443 : 80
        return request.host + (request.port == defaultPort ? "" : ":\(request.port)")
    }

    /// The body is served whole: its length replaces any transfer coding, except where a
    /// response has no body of its own (HEAD, 204, 304), whose length header is the origin's.
    static func setLength(_ headers: inout HTTPHeaders, body: Int, method: HTTPMethod, status: Int) {
        if method == .HEAD || status == 204 || status == 304 || (100..<200).contains(status) { return }
        headers.replaceOrAdd(name: "content-length", value: String(body))
    }
}
